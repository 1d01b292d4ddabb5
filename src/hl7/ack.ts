/**
 * Builds HL7 ACK messages: MSH with sender and receiver swapped, MSA-1 AA/AE/AR, MSA-2 = MSH-10
 * of the message, and for errors an ERR segment with the table 0357 code, the location and the
 * reason (ERR-1 for v2.3/2.4 receivers, ERR-2/3/4/8 for v2.5 and later).
 */
import type { Hl7ConditionCode } from '../model/hl7-error.js';

export type AckCode = 'AA' | 'AE' | 'AR';

export interface AckHeaderSource {
  sendingApplication: string;
  sendingFacility: string;
  receivingApplication: string;
  receivingFacility: string;
  controlId: string;
  triggerEvent: string;
  processingId: string;
  version: string;
}

export interface AckError {
  condition: Hl7ConditionCode;
  /** "PID-3.1" style location, when the error is about one field. */
  location?: string | undefined;
  /** Short reason for MSA-3 (at most 80 characters are sent). */
  message: string;
  /** Full description for ERR-8 (v2.5+): code, location, reason and fix hint. */
  detail?: string;
}

export interface AckOptions {
  /** Used as MSH-3 when the message left MSH-5 empty. */
  bridgeApplication: string;
  now?: Date;
}

let ackCounter = 0;

export function buildAck(source: AckHeaderSource, code: AckCode, error: AckError | undefined, opts: AckOptions): string {
  const version = source.version || '2.5.1';
  const msh = [
    'MSH',
    '^~\\&',
    escapeHl7(source.receivingApplication || opts.bridgeApplication),
    escapeHl7(source.receivingFacility),
    escapeHl7(source.sendingApplication),
    escapeHl7(source.sendingFacility),
    hl7Timestamp(opts.now ?? new Date()),
    '',
    `ACK^${escapeHl7(source.triggerEvent)}^ACK`,
    nextControlId(opts.now ?? new Date()),
    escapeHl7(source.processingId || 'P'),
    escapeHl7(version),
  ].join('|');
  // Cut before escaping, so that an escape sequence is never cut in half.
  const msaText = error ? escapeHl7(error.message.slice(0, 80)) : '';
  const msa = ['MSA', code, escapeHl7(source.controlId), msaText].join('|').replace(/\|+$/, '');
  const segments = [msh, msa];
  if (error) segments.push(errSegment(error, version));
  return segments.join('\r') + '\r';
}

function errSegment(error: AckError, version: string): string {
  const loc = parseLocation(error.location);
  const { code, text } = error.condition;
  if (isBefore25(version)) {
    // ERR-1 (ELD): segment^sequence^field^code&text&HL70357
    return `ERR|${loc.segment}^${loc.segment ? 1 : ''}^${loc.field}^${code}&${escapeHl7(text)}&HL70357`;
  }
  // ERR-2 location (ERL), ERR-3 code (CWE), ERR-4 severity, ERR-8 user message
  const erl = loc.segment ? [loc.segment, '1', loc.field, loc.field ? '1' : '', loc.component].join('^').replace(/\^+$/, '') : '';
  return ['ERR', '', erl, `${code}^${escapeHl7(text)}^HL70357`, 'E', '', '', '', escapeHl7(error.detail ?? error.message)].join('|');
}

function parseLocation(location: string | undefined): { segment: string; field: string; component: string } {
  const m = location ? /^([A-Z][A-Z0-9]{2})(?:\[\d+\])?(?:-(\d+))?(?:\[[^\]]*\])?(?:\.(\d+))?/.exec(location) : null;
  return { segment: m?.[1] ?? '', field: m?.[2] ?? '', component: m?.[3] ?? '' };
}

function isBefore25(version: string): boolean {
  const [major = 2, minor = 5] = version.split('.').map(Number);
  return major < 2 || (major === 2 && minor < 5);
}

/**
 * A value as HL7 text: the delimiters as \F\ \S\ \R\ \E\ \T\, and every control character (C0,
 * DEL, C1) as a hex escape \Xhh\, so that no raw CR, VT or FS (segment and frame delimiters) can end
 * up in a field the bridge writes. (C1 characters are written with their ISO 8859-1 code.)
 */
export function escapeHl7(value: string): string {
  return value.replace(/[\\|^~&\p{Cc}]/gu, (ch) => {
    switch (ch) {
      case '\\':
        return '\\E\\';
      case '|':
        return '\\F\\';
      case '^':
        return '\\S\\';
      case '~':
        return '\\R\\';
      case '&':
        return '\\T\\';
      default:
        return `\\X${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}\\`;
    }
  });
}

export function hl7Timestamp(d: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

function nextControlId(now: Date): string {
  ackCounter = (ackCounter + 1) % 100000;
  return `A${now.getTime()}${String(ackCounter).padStart(5, '0')}`;
}
