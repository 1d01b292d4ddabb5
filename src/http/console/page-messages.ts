/** Messages: the log with filters, and one message laid out by segments and fields with its ACK. */
import type { ManagementReads, MessageDetail, MessageFilterView } from '../services.js';
import { html, queryString, type Html } from './html.js';
import { CONSOLE } from './paths.js';
import { statusBadge } from './dicom-view.js';
import { errorLocationOf, messageLayout } from './hl7-view.js';
import { MESSAGE_HEAD, messageRows } from './page-item.js';
import type { ConsoleUser } from './layout.js';

const OUTCOMES = ['stored', 'ignored', 'duplicate', 'rejected', 'error'];
const PAGE = 100;

export type MessagesQuery = Partial<Record<'outcome' | 'patientId' | 'accessionNumber' | 'controlId' | 'since' | 'until' | 'before', string>>;

/** The filter from the form, each value checked as the API checks it (anything else is left out). */
export function messageFilter(query: MessagesQuery): MessageFilterView {
  const text = (v: string | undefined): string | undefined => (v && v.length <= 64 ? v : undefined);
  const date = (v: string | undefined): string | undefined => (v && /^\d{4}-\d{2}-\d{2}[\x20-\x7e]{0,30}$/.test(v) ? v : undefined);
  const before = Number(query.before);
  return {
    outcome: query.outcome && OUTCOMES.includes(query.outcome) ? query.outcome : undefined,
    patientId: text(query.patientId),
    accessionNumber: text(query.accessionNumber),
    controlId: text(query.controlId),
    since: date(query.since),
    until: date(query.until),
    beforeId: Number.isSafeInteger(before) && before > 0 ? before : undefined,
    limit: PAGE,
  };
}

export function messagesBody(reads: ManagementReads, query: MessagesQuery): Html {
  const filter = messageFilter(query);
  const messages = reads.listMessages(filter);
  const last = messages.at(-1);
  const field = (name: keyof MessagesQuery, label: string, type = 'text'): Html =>
    html`<label>${label} <input type="${type}" name="${name}" value="${query[name] ?? ''}" maxlength="64" /></label>`;
  return html`<form class="filters" method="get" action="${CONSOLE.messages}" role="search">
      <label
        >Outcome
        <select name="outcome">
          <option value="">any</option>
          ${OUTCOMES.map((o) => html`<option value="${o}" ${o === filter.outcome ? html`selected` : ''}>${o}</option>`)}
        </select>
      </label>
      ${field('patientId', 'Patient ID')} ${field('accessionNumber', 'Accession')} ${field('controlId', 'Control id')} ${field('since', 'Since', 'date')}
      ${field('until', 'Until', 'date')}
      <button type="submit">Filter</button>
    </form>
    <table class="messages">
      <caption>
        ${messages.length} message(s), newest first
      </caption>
      ${MESSAGE_HEAD}
      <tbody>
        ${messageRows(messages)}
      </tbody>
    </table>
    ${last && messages.length === PAGE ? html`<p><a href="${CONSOLE.messages}${queryString({ ...query, before: last.id })}">Older messages</a></p>` : ''}`;
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** Reprocess, for a rejected HL7 message and a user who may write (the API's rule: manual changes are not run again). */
function reprocessForm(m: MessageDetail, user: ConsoleUser | undefined): Html | string {
  if (!user?.canWrite || (m.outcome !== 'rejected' && m.outcome !== 'error') || m.source === 'http') return '';
  return html`<form method="post" action="${CONSOLE.messageReprocess(m.id)}" class="reprocess" data-edit-controls>
    <button type="submit">Reprocess</button>
    <span class="hint">Runs the message again through the mapping files as they are now (after a fix); the outcome is a new log entry.</span>
  </form>`;
}

export function messageBody(m: MessageDetail, user: ConsoleUser | undefined): Html {
  const location = errorLocationOf(m.ack);
  return html`<dl class="summary">
      <dt>Received</dt>
      <dd>${m.receivedAt} from ${m.remote ?? '(unknown)'}</dd>
      <dt>Type, control id</dt>
      <dd>${m.messageType ?? '(unknown)'}, ${m.controlId ?? '(none)'}</dd>
      <dt>Outcome</dt>
      <dd>${statusBadge(m.outcome)} ${m.action ?? ''} (ACK ${m.ackCode})</dd>
      ${
        m.error
          ? html`<dt>Error</dt>
              <dd class="error-text">${m.error}</dd>`
          : ''
      }
      ${
        location
          ? html`<dt>Error location</dt>
              <dd>${location.segment}${location.field ? `-${location.field}` : ''} (from the ACK's ERR segment)</dd>`
          : ''
      }
      ${
        m.reprocessOf !== null
          ? html`<dt>Reprocessing of</dt>
              <dd><a href="${CONSOLE.message(m.reprocessOf)}">message ${m.reprocessOf}</a>${m.token ? ` by ${m.token}` : ''}</dd>`
          : ''
      }
      ${
        m.source === 'http'
          ? html`<dt>Changed by hand</dt>
              <dd>${m.token ?? 'local user'} from ${m.remote ?? '(unknown)'}</dd>`
          : ''
      }
      <dt>Items</dt>
      <dd>${m.itemIds.length === 0 ? 'none' : m.itemIds.map((id) => html`<a href="${CONSOLE.item(id)}">item ${id}</a> `)}</dd>
    </dl>
    ${reprocessForm(m, user)}
    <section aria-labelledby="raw">
      <h2 id="raw">Message</h2>
      ${
        m.source === 'http'
          ? html`<p>A change made through the console or the API: the data set it sent (DICOM JSON).</p>
              <pre class="raw-json">${prettyJson(m.raw)}</pre>`
          : messageLayout(m.raw, 'The message by segments and fields', location)
      }
    </section>
    <section aria-labelledby="ack">
      <h2 id="ack">ACK sent</h2>
      ${m.ack ? messageLayout(m.ack, 'The ACK by segments and fields') : html`<p>No ACK was sent.</p>`}
    </section>`;
}
