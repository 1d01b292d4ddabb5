/**
 * Character sets of HL7 v2 messages (MSH-18, table 0211) and how to turn their bytes into text.
 * ISO 8859-1 uses Node's own latin1 codec: WHATWG's "latin1" label means windows-1252, which
 * would change bytes 0x80-0x9F.
 */
import { BridgeError } from '../errors.js';

/** MSH-18 values (upper-cased, spaces and underscores folded) -> decoder label. */
const CHARSETS: Record<string, string> = {
  'ASCII': 'utf-8',
  'ISOIR6': 'utf-8',
  '8859/1': 'latin1',
  'ISOIR100': 'latin1',
  'ISO-8859-1': 'latin1',
  'LATIN1': 'latin1',
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
  'UTF8': 'utf-8',
  'UNICODE': 'utf-8',
  'ISOIR192': 'utf-8',
  'WINDOWS-1252': 'windows-1252',
  'CP1252': 'windows-1252',
};

export const SUPPORTED_CHARSETS = ['ASCII', '8859/1', '8859/2', '8859/5', '8859/7', '8859/9', '8859/15', 'UNICODE UTF-8'];

/** The decoder label for an MSH-18 value, '' meaning "not declared". */
export function charsetForMsh18(value: string): string | undefined {
  const key = value.trim().toUpperCase().replace(/[\s_]+/g, '');
  if (key === '') return '';
  return CHARSETS[key];
}

/** Decodes bytes; with no declared charset, UTF-8 when the bytes are valid UTF-8, else ISO 8859-1. */
export function decodeBytes(bytes: Buffer, charset: string): { text: string; charset: string } {
  if (charset === '') {
    try {
      return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), charset: 'utf-8' };
    } catch {
      return { text: bytes.toString('latin1'), charset: 'latin1' };
    }
  }
  if (charset === 'latin1') return { text: bytes.toString('latin1'), charset };
  try {
    return { text: new TextDecoder(charset, { fatal: true }).decode(bytes), charset };
  } catch (err) {
    throw new BridgeError('HL7_DECODE', `the message bytes are not valid ${charset}`, {
      location: 'MSH-18',
      hint: 'make MSH-18 name the character set the RIS really sends',
      cause: err,
    });
  }
}

/** Encodes reply text in the message's character set (ASCII-safe fallback for the rest). */
export function encodeText(text: string, charset: string): Buffer {
  if (charset === 'utf-8') return Buffer.from(text, 'utf8');
  if (charset === 'latin1') return Buffer.from(text.replace(/[^\x00-\xff]/g, '?'), 'latin1');
  return Buffer.from(text.replace(/[^\x00-\x7f]/g, '?'), 'latin1');
}
