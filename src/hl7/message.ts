/**
 * Bytes -> Hl7Message. Decoding (MSH-18 character set, UTF-8 BOM, CR / LF / CRLF segment
 * separators) happens here; parsing into segments, fields, repetitions, components and
 * subcomponents is hl7-standard's, whose output is normalised into the plain Hl7Message model.
 */
import HL7 from 'hl7-standard';
import { errorMessage } from '../errors.js';
import { Hl7Error } from '../model/hl7-error.js';
import type { Hl7Field, Hl7Message, Hl7Segment } from '../mapping/message.js';
import { charsetForMsh18, decodeBytes, SUPPORTED_CHARSETS, type CharsetMismatchPolicy } from './charset.js';

const STANDARD_ENCODING = '^~\\&';

export interface DecodedMessage {
  message: Hl7Message;
  text: string;
  /** Set when the bytes were read as UTF-8 against MSH-18 (see decodeBytes). */
  charsetMismatch?: { declared: string };
}

export function decodeHl7Message(bytes: Buffer, policy: CharsetMismatchPolicy = 'utf8'): DecodedMessage {
  const body = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  const msh18 = readMsh18(body);
  const charset = charsetForMsh18(msh18);
  if (charset === undefined) {
    throw new Hl7Error('HL7_DECODE', `unknown character set "${msh18}"`, {
      location: 'MSH-18',
      hint: `use one of ${SUPPORTED_CHARSETS.join(', ')}`,
    });
  }
  const decoded = decodeBytes(body, charset, policy, msh18.trim());
  const text = normalizeSeparators(decoded.text);
  const message = parseHl7Text(text, decoded.charset);
  return decoded.mismatch ? { message, text, charsetMismatch: decoded.mismatch } : { message, text };
}

/** Parses already decoded text (segments separated by CR, LF or CRLF). */
export function parseHl7Text(text: string, charset = 'utf-8'): Hl7Message {
  const normalized = normalizeSeparators(text);
  if (!normalized.startsWith('MSH')) {
    throw new Hl7Error('HL7_MISSING_MSH', 'the message does not start with an MSH segment', {
      location: 'MSH',
      hint: 'each MLLP frame must hold exactly one HL7 v2 message starting with MSH',
    });
  }
  if (normalized[3] !== '|' || normalized.slice(4, 8) !== STANDARD_ENCODING) {
    throw new Hl7Error('HL7_PARSE', `unsupported delimiters "${normalized.slice(3, 8)}"`, {
      location: 'MSH-2',
      hint: 'the bridge reads the standard delimiters |^~\\&',
    });
  }
  // hl7-standard needs at least one segment terminator, even for a lone MSH.
  const parser = new HL7(normalized + '\r', { lineEndings: '\r' });
  try {
    parser.transform();
  } catch (err) {
    throw new Hl7Error('HL7_PARSE', `the message cannot be parsed: ${errorMessage(err)}`, {
      hint: 'check that every segment starts with a three-character name followed by |',
      cause: err,
    });
  }
  const segments = Object.values(parser.transformed)
    .flat()
    .sort((a, b) => a.index - b.index)
    .map((seg): Hl7Segment => toSegment(seg.type, seg.data));
  return { segments, charset };
}

function normalizeSeparators(text: string): string {
  return text
    .replace(/\r\n|\n/g, '\r')
    .replace(/\r{2,}/g, '\r')
    .replace(/^\r+|\r+$/g, '');
}

/** MSH-18 read from the raw bytes (ASCII-safe) before the whole message can be decoded. */
function readMsh18(bytes: Buffer): string {
  const end = firstLineEnd(bytes);
  const header = bytes.subarray(0, end).toString('latin1');
  if (!header.startsWith('MSH') || header.length < 4) return '';
  const fields = header.split(header.charAt(3));
  // fields[0] = "MSH", fields[n-1] = MSH-n; MSH-18 may repeat (first one counts).
  return (fields[17] ?? '').split('~')[0] ?? '';
}

function toSegment(name: string, data: Record<string, unknown>): Hl7Segment {
  const fields: Hl7Field[] = [];
  // Keys are "PID.3": the field number follows the dot.
  for (const key in data) {
    const n = Number(key.slice(key.indexOf('.') + 1));
    if (Number.isInteger(n)) fields[n] = toField(data[key]);
  }
  if (name === 'MSH') fields[1] = [[['|']]];
  for (let i = 0; i < fields.length; i++) fields[i] ??= [[['']]];
  return { name, fields };
}

/**
 * hl7-standard gives a field as a string, an object of components, an array of repetitions
 * (objects) or, for "a&b" without components, an array of subcomponent strings.
 */
function toField(value: unknown): Hl7Field {
  if (typeof value === 'string') return [[[value]]];
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) return [[value]];
    return value.map((rep) => (typeof rep === 'string' ? [[rep]] : toComponents(rep as Record<string, unknown>)));
  }
  if (value && typeof value === 'object') return [toComponents(value as Record<string, unknown>)];
  return [[['']]];
}

function toComponents(obj: Record<string, unknown>): string[][] {
  const comps: string[][] = [];
  // Keys are "PID.3.1": the component number follows the last dot.
  for (const key in obj) {
    const value = obj[key];
    const last = key.lastIndexOf('.');
    const c = last > key.indexOf('.') ? Number(key.slice(last + 1)) : NaN;
    if (!Number.isInteger(c)) continue;
    // hl7-standard splits text, so a component is a string or an array of repetition strings.
    comps[c - 1] = Array.isArray(value) ? value.map(String) : [typeof value === 'string' ? value : ''];
  }
  for (let i = 0; i < comps.length; i++) comps[i] ??= [''];
  return comps;
}

/**
 * Header fields read without the parser, for answering a message that could not be parsed:
 * the ACK still names its control id and swaps sender and receiver.
 */
export function readHeaderLeniently(bytes: Buffer): { fields: string[] } {
  const end = firstLineEnd(bytes);
  const header = bytes.subarray(0, end).toString('latin1');
  if (!header.startsWith('MSH') || header.length < 4) return { fields: [] };
  const separator = header.charAt(3);
  const parts = header.split(separator);
  // fields[n] = MSH-n, as received
  return { fields: ['', separator, ...parts.slice(1)] };
}

/** Where the first segment ends (CR or LF), -1 for none; indexOf rather than a callback per byte. */
function firstLineEnd(bytes: Buffer): number {
  const cr = bytes.indexOf(0x0d);
  const lf = bytes.indexOf(0x0a);
  const end = cr < 0 ? lf : lf < 0 ? cr : Math.min(cr, lf);
  // An MSH is a few hundred bytes: a hostile one-line megabyte is not split into fields here.
  return Math.min(end < 0 ? bytes.length : end, MAX_HEADER_BYTES);
}

const MAX_HEADER_BYTES = 65536;
