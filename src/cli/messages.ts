/** `mwl-bridge messages [show ID]`: the message log, newest first, or one message in full. */
import { describeDerived, findMessage, listMessages, type StoredMessage } from '../app/messages.js';
import { buildConfig, text, type Flags } from './options.js';
import { runLogListing } from './log-listing.js';
import { formatTable, shortTime } from './table.js';

/** The filters `messages` takes. */
export function commandMessages(flags: Flags, args: string[]): number {
  return runLogListing(
    {
      command: 'messages',
      noun: 'message',
      find: findMessage,
      show: formatMessage,
      list: (config, limit) => {
        const out: string[] = [];
        const rows = listMessages(config, {
          since: text(flags.since),
          until: text(flags.until),
          patientId: text(flags.patient),
          accessionNumber: text(flags.accession),
          outcome: text(flags.outcome),
          controlId: text(flags['control-id']),
          limit,
        });
        const header = ['ID', 'RECEIVED (UTC)', 'SENDER', 'TYPE', 'CONTROL ID', 'OUTCOME', 'ACK', 'PATIENT', 'ACCESSION', 'ITEMS', 'ACTION / ERROR'];
        const table = rows.map((m) => [
          String(m.id),
          shortTime(m.receivedAt),
          m.origin?.source === 'http' ? `http:${m.origin.token ?? 'local'}` : [m.sendingApplication, m.sendingFacility].filter(Boolean).join('/'),
          m.messageType ?? '',
          m.controlId ?? '',
          m.outcome,
          m.ackCode,
          m.patientId ?? '',
          m.accessionNumber ?? '',
          m.itemIds.join(','),
          (m.error ?? m.action ?? '').slice(0, 80),
        ]);
        out.push(formatTable(header, table) + '\n');
        out.push(`${rows.length} message(s)${rows.length === limit ? ` (--limit ${limit} reached)` : ''}\n`);
        return out.join('');
      },
    },
    buildConfig(flags),
    flags.limit,
    args,
  );
}

function formatMessage(m: StoredMessage): string {
  return [
    `message ${m.id}`,
    `received:     ${m.receivedAt} from ${m.remote ?? '?'}`,
    `sender:       ${m.sendingApplication ?? ''} / ${m.sendingFacility ?? ''}`,
    ...originLines(m),
    `type:         ${m.messageType ?? ''}   control id: ${m.controlId ?? ''}`,
    `patient:      ${m.patientId ?? ''}   accession: ${m.accessionNumber ?? ''}`,
    `outcome:      ${m.outcome}   ACK: ${m.ackCode}   action: ${m.action ?? ''}`,
    `items:        ${m.itemIds.join(', ') || '(none)'}`,
    ...(m.error ? [`error:        ${m.error}`] : []),
    ...notesLines(m),
    '',
    'message as received:',
    decodeForDisplay(m.raw),
    '',
    'ACK sent:',
    (m.ack ?? '(none)').replace(/\r/g, '\n').trimEnd(),
  ].join('\n');
}

/** Where an entry came from when not from an HL7 sender: the management API (with the token), or a message run again. */
function originLines(m: StoredMessage): string[] {
  const origin = m.origin;
  if (!origin) return [];
  const token = origin.token ?? '(none: no tokens configured)';
  if (origin.source === 'http') return [`source:       management API (HTTP), token ${token}`];
  return [`source:       message ${origin.reprocessOf ?? '?'} processed again through the management API, token ${token}`];
}

/** The values not taken from their first source, and the order groups ignored, as noted when the message was mapped. */
function notesLines(m: StoredMessage): string[] {
  const notes = m.notes;
  if (!notes) return [];
  const lines: string[] = [];
  for (const i of notes.ignored) lines.push(`ignored:      item ${i.item}: not an imaging order: ${i.reason}`);
  if (notes.derived.length > 0) {
    lines.push(`derived:      ${notes.derived.length + notes.derivedLeftOut} value(s) not from their first source`);
    for (const d of notes.derived) lines.push(`  item ${d.item}: ${describeDerived(d)}`);
    if (notes.derivedLeftOut > 0) lines.push(`  ... and ${notes.derivedLeftOut} more (not kept)`);
  }
  return lines;
}

/** The raw bytes as text (UTF-8 when valid, else ISO 8859-1), one segment per line. */
function decodeForDisplay(raw: Buffer): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    text = raw.toString('latin1');
  }
  return text.replace(/\r\n|\r|\n/g, '\n').trimEnd();
}
