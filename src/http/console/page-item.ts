/** Item: every attribute in DICOM terms, and the HL7 messages that created and changed the item. */
import type { ItemView, ManagementReads, MessageSummary } from '../services.js';
import { html, type Html } from './html.js';
import { CONSOLE } from './paths.js';
import { attributeTable, showDate, showName, showTime, statusBadge, summarize } from './dicom-view.js';
import type { ConsoleUser } from './layout.js';

/** Messages looked at per key (accession number, patient ID). */
const MAX_MESSAGES = 200;

/** The logged messages that name this item, oldest first. */
export function messagesOfItem(reads: ManagementReads, item: ItemView): MessageSummary[] {
  const { accessionNumber, patientId } = summarize(item.dataset);
  const found = new Map<number, MessageSummary>();
  const lists = [
    accessionNumber ? reads.listMessages({ accessionNumber, limit: MAX_MESSAGES }) : [],
    patientId ? reads.listMessages({ patientId, limit: MAX_MESSAGES }) : [],
  ];
  for (const m of lists.flat()) if (m.itemIds.includes(item.id)) found.set(m.id, m);
  return [...found.values()].sort((a, b) => a.id - b.id);
}

export function messageRows(messages: MessageSummary[]): Html {
  return html`${messages.map(
    (m) =>
      html`<tr>
        <td><a href="${CONSOLE.message(m.id)}">${m.id}</a></td>
        <td><time datetime="${m.receivedAt}">${m.receivedAt.replace('T', ' ').replace(/\.\d+Z$|Z$/, 'Z')}</time></td>
        <td>${m.messageType ?? ''}</td>
        <td>${m.controlId ?? ''}</td>
        <td>${[m.sendingApplication, m.sendingFacility].filter(Boolean).join('/')}</td>
        <td>${m.patientId ?? ''}</td>
        <td>${m.accessionNumber ?? ''}</td>
        <td>${m.action ?? ''}</td>
        <td>${statusBadge(m.outcome)}</td>
        <td>${m.ackCode}</td>
        <td class="error-text">${m.error ?? ''}</td>
      </tr>`,
  )}`;
}

export const MESSAGE_HEAD = html`<thead>
  <tr>
    <th scope="col">Id</th>
    <th scope="col">Received (UTC)</th>
    <th scope="col">Type</th>
    <th scope="col">Control id</th>
    <th scope="col">Sender</th>
    <th scope="col">Patient ID</th>
    <th scope="col">Accession</th>
    <th scope="col">Action</th>
    <th scope="col">Outcome</th>
    <th scope="col">ACK</th>
    <th scope="col">Error</th>
  </tr>
</thead>`;

/** Edit controls for a user who may write: placeholders until the REST writes arrive (issue 20). */
function actions(user: ConsoleUser | undefined): Html | string {
  if (!user?.canWrite) return '';
  return html`<section aria-labelledby="actions" data-edit-controls>
    <h2 id="actions">Actions</h2>
    <p class="hint">Editing and cancelling by hand arrive with the management API's writes.</p>
    <button type="button" disabled>Edit…</button>
    <button type="button" disabled>Cancel item…</button>
  </section>`;
}

export function itemBody(reads: ManagementReads, item: ItemView, user: ConsoleUser | undefined): Html {
  const s = summarize(item.dataset);
  const messages = messagesOfItem(reads, item);
  return html`<dl class="summary">
      <dt>Status</dt>
      <dd>${statusBadge(item.status)}</dd>
      <dt>Patient</dt>
      <dd>${showName(s.patientName)} (${s.patientId})</dd>
      <dt>Accession</dt>
      <dd>${s.accessionNumber}</dd>
      <dt>Scheduled</dt>
      <dd>${showDate(s.date)} ${showTime(s.time)} on ${s.station || '(no station)'} (${s.modality})</dd>
      <dt>Procedure</dt>
      <dd>${s.procedure}</dd>
    </dl>
    ${actions(user)}
    <section aria-labelledby="messages">
      <h2 id="messages">HL7 messages</h2>
      ${
        messages.length === 0
          ? html`<p>No logged message names this item (created by hand, or its messages were purged).</p>`
          : html`<table class="messages">
              ${MESSAGE_HEAD}
              <tbody>
                ${messageRows(messages)}
              </tbody>
            </table>`
      }
    </section>
    <section aria-labelledby="attributes">
      <h2 id="attributes">Attributes</h2>
      ${attributeTable(item.dataset)}
    </section>`;
}
