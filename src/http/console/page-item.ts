/**
 * Item: every attribute in DICOM terms, the HL7 messages (and changes by hand) that created and
 * changed the item, its MPPS instances, its mirror file; edit and cancel for a user who may write.
 */
import type { ItemView, ManagementReads, MessageSummary } from '../services.js';
import { html, type Html } from './html.js';
import { CONSOLE } from './paths.js';
import { attributeTable, showDate, showName, showTime, statusBadge, summarize } from './dicom-view.js';
import type { ConsoleUser } from './layout.js';
import type { ConsoleServices, MirrorFileView, MppsEventView } from './console-services.js';
import { itemActions } from './page-manual.js';

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
        <td>${statusBadge(m.outcome)}${m.token ? html` <span class="hint">by ${m.token}</span>` : ''}</td>
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

export function itemBody(reads: ManagementReads, extras: ConsoleServices, item: ItemView, user: ConsoleUser | undefined): Html {
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
    ${itemActions(item, user)}
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
    ${mppsSection(extras.mppsOfItem(item.id))} ${mirrorSection(item.id, extras.mirrorFileOf(item.id))}
    <section aria-labelledby="attributes">
      <h2 id="attributes">Attributes</h2>
      ${attributeTable(item.dataset)}
    </section>`;
}

function mppsSection(events: MppsEventView[]): Html {
  return html`<section aria-labelledby="mpps">
    <h2 id="mpps">MPPS</h2>
    ${
      events.length === 0
        ? html`<p>No modality has reported performing this item (no MPPS instance names it).</p>`
        : html`<table class="mpps">
            <caption>
              Performed procedure steps that name this item
            </caption>
            <thead>
              <tr>
                <th scope="col">SOP instance UID</th>
                <th scope="col">Status</th>
                <th scope="col">Modality (calling AE)</th>
                <th scope="col">Created (UTC)</th>
                <th scope="col">Last set (UTC)</th>
              </tr>
            </thead>
            <tbody>
              ${events.map(
                (e) =>
                  html`<tr>
                    <td>${e.sopInstanceUid}</td>
                    <td>${statusBadge(e.status)}</td>
                    <td>${e.callingAeTitle ?? ''}</td>
                    <td>${e.createdAt}</td>
                    <td>${e.updatedAt}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
  </section>`;
}

function mirrorSection(id: number, file: MirrorFileView | undefined): Html {
  return html`<section aria-labelledby="mirror">
    <h2 id="mirror">Mirror file</h2>
    ${
      file
        ? html`<dl class="summary">
              <dt>Path</dt>
              <dd><code>${file.path}</code></dd>
              <dt>State</dt>
              <dd data-mirror-state="${file.state}">${statusBadge(file.state)} ${file.detail}</dd>
            </dl>
            ${
              file.state === 'in-sync' || file.state === 'stale' || file.state === 'unexpected'
                ? html`<p><a href="${CONSOLE.itemMirrorFile(id)}" download>Download the file</a> (DICOM, as wlmscpfs reads it)</p>`
                : ''
            }`
        : html`<p>No mirror folder is configured (mirror.dir).</p>`
    }
  </section>`;
}
