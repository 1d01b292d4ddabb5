/**
 * Character sets of HL7 v2 messages (MSH-18, table 0211) and how to turn their bytes into text.
 * ISO 8859-1 uses Node's own latin1 codec: WHATWG's "latin1" label means windows-1252, which
 * would change bytes 0x80-0x9F.
 */
import { Hl7Error } from '../model/hl7-error.js';

/** MSH-18 values (upper-cased, spaces and underscores folded) -> decoder label. */
const CHARSETS: Record<string, string> = {
  ASCII: 'ascii',
  ISOIR6: 'ascii',
  '8859/1': 'latin1',
  ISOIR100: 'latin1',
  'ISO-8859-1': 'latin1',
  LATIN1: 'latin1',
  '8859/2': 'iso-8859-2',
  '8859/3': 'iso-8859-3',
  '8859/4': 'iso-8859-4',
  '8859/5': 'iso-8859-5',
  '8859/6': 'iso-8859-6',
  '8859/7': 'iso-8859-7',
  '8859/8': 'iso-8859-8',
  '8859/9': 'iso-8859-9',
  '8859/15': 'iso-8859-15',
  'UNICODEUTF-8': 'utf-8',
  'UTF-8': 'utf-8',
  UTF8: 'utf-8',
  UNICODE: 'utf-8',
  ISOIR192: 'utf-8',
  'WINDOWS-1252': 'windows-1252',
  CP1252: 'windows-1252',
};

export const SUPPORTED_CHARSETS = ['ASCII', '8859/1', '8859/2', '8859/5', '8859/7', '8859/9', '8859/15', 'UNICODE UTF-8'];

/** The decoder label for an MSH-18 value, '' meaning "not declared". */
export function charsetForMsh18(value: string): string | undefined {
  const key = value
    .trim()
    .toUpperCase()
    .replace(/[\s_]+/g, '');
  if (key === '') return '';
  return CHARSETS[key];
}

/** What to do with text labelled with a single-byte character set whose bytes are valid UTF-8. */
export type CharsetMismatchPolicy = 'utf8' | 'reject';

export interface DecodedBytes {
  text: string;
  /** The decoder label the text was read with ('utf-8', 'latin1', 'iso-8859-2', ...). */
  charset: string;
  /** Set when the bytes were read as UTF-8 although MSH-18 said otherwise (or nothing). */
  mismatch?: { declared: string };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes bytes in the declared character set ('' = MSH-18 empty). Labels are checked against the
 * bytes: text labelled ASCII, ISO 8859-x or windows-1252 (or not labelled) whose non-ASCII bytes
 * form valid multi-byte UTF-8 was written by a UTF-8 sender that left the label at its default (two
 * common npm HL7 clients do); read with the label, GONÇALVES would become GONÃ\u0087ALVES. Such text
 * is read as UTF-8 and reported (policy 'utf8'), or refused (policy 'reject'). Real single-byte text
 * practically never forms valid UTF-8: a letter in 0xC0-0xFF would have to be followed by one in
 * 0x80-0xBF each time. Unlabelled bytes that are not UTF-8 are read as ISO 8859-1.
 */
export function decodeBytes(bytes: Buffer, charset: string, policy: CharsetMismatchPolicy = 'utf8', declared = charset): DecodedBytes {
  if (charset === 'utf-8') return { text: decodeStrict(bytes, 'utf-8'), charset };
  if (!hasNonAscii(bytes)) return { text: bytes.toString('latin1'), charset: charset === '' || charset === 'ascii' ? 'utf-8' : charset };
  let utf8: string | undefined;
  try {
    utf8 = strictUtf8.decode(bytes);
  } catch {
    utf8 = undefined;
  }
  if (utf8 !== undefined) {
    if (policy === 'reject') {
      throw new Hl7Error('HL7_DECODE', `the message is labelled ${declared || 'with no character set (ASCII)'} but its bytes are UTF-8`, {
        location: 'MSH-18',
        hint: 'set MSH-18 to UNICODE UTF-8 in the sender, or set hl7.charsetMismatch to utf8 to read such messages as UTF-8',
      });
    }
    return { text: utf8, charset: 'utf-8', mismatch: { declared } };
  }
  if (charset === '') return { text: bytes.toString('latin1'), charset: 'latin1' };
  if (charset === 'ascii') {
    throw new Hl7Error('HL7_DECODE', 'the message is labelled ASCII but holds bytes above 0x7F', {
      location: 'MSH-18',
      hint: 'make MSH-18 name the character set the RIS really sends',
    });
  }
  if (charset === 'latin1') return { text: bytes.toString('latin1'), charset };
  return { text: decodeStrict(bytes, charset), charset };
}

function decodeStrict(bytes: Buffer, charset: string): string {
  try {
    return new TextDecoder(charset, { fatal: true }).decode(bytes);
  } catch (err) {
    throw new Hl7Error('HL7_DECODE', `the message bytes are not valid ${charset}`, {
      location: 'MSH-18',
      hint: 'make MSH-18 name the character set the RIS really sends',
      cause: err,
    });
  }
}

function hasNonAscii(bytes: Buffer): boolean {
  for (const byte of bytes) if (byte >= 0x80) return true;
  return false;
}

/** Encodes reply text in the message's character set (ASCII-safe fallback for the rest). */
export function encodeText(text: string, charset: string): Buffer {
  if (charset === 'utf-8') return Buffer.from(text, 'utf8');
  // Per UTF-16 code unit (no u flag): a character outside the set becomes one '?' per code unit.
  if (charset === 'latin1') return Buffer.from(text.replace(/[\u0100-\uffff]/g, '?'), 'latin1');
  return Buffer.from(text.replace(/[\u0080-\uffff]/g, '?'), 'latin1');
}
