/**
 * C-FIND identifiers of the usual kind read straight from their bytes into DICOM JSON, as the SCP
 * would get them from dcmjs (read, naturalized, denaturalized and cleaned: identifier.ts): some
 * 70-100 us of dcmjs streams and dictionary work per query, for a data set of a few keys. Only the
 * plain cases are read here: little endian, elements the dictionary names with the VR they came
 * with, among AE, CS, DA, LO, PN, SH, TM and UI (and sequences of such items), each with one value
 * of printable ASCII or none. Anything else (another VR, a value list, other bytes, a Specific
 * Character Set, which dcmjs rewrites) gives undefined, and dcmjs reads the identifier as before;
 * test/unit/identifier-reader.test.ts checks that both readings agree. Structure was checked
 * before (encoded-dataset.ts).
 */
import type { DicomJson, DicomJsonElement } from '../model/item.js';
import { lookupTag } from '../model/dictionary.js';
import { TransferSyntaxUid } from './association-policy.js';
import { SINGLE_PRINTABLE_VALUE, UID_CHARS } from './plain-values.js';

const SHORT_VRS = new Set(['AE', 'CS', 'DA', 'LO', 'PN', 'SH', 'TM', 'UI']);
const UNDEFINED_LENGTH = 0xffffffff;
const ITEM = 0xfffee000;
const ITEM_END = 0xfffee00d;
const SEQUENCE_END = 0xfffee0dd;

/**
 * The dictionary's tag and VR by tag number, for the tags read here (named by the dictionary, whose
 * name leads back to the same tag; not the Specific Character Set); null for the others. Bounded:
 * a peer can send any tag numbers.
 */
const definitions = new Map<number, { tag: string; vr: string } | null>();
const MAX_DEFINITIONS = 4096;

function definitionOf(tagNumber: number): { tag: string; vr: string } | null {
  let definition = definitions.get(tagNumber);
  if (definition === undefined) {
    const tag = tagNumber.toString(16).toUpperCase().padStart(8, '0');
    const known = lookupTag(tag);
    definition = known && known.tag === tag && tag !== '00080005' ? { tag, vr: known.vr } : null;
    if (definitions.size >= MAX_DEFINITIONS) definitions.clear();
    definitions.set(tagNumber, definition);
  }
  return definition;
}

/** Thrown inside to give the data set to dcmjs. */
class NotPlain extends Error {}

interface Reader {
  bytes: Buffer;
  explicit: boolean;
}

/** The identifier as DICOM JSON, or undefined when it is not one of the plain cases read here. */
export function readPlainIdentifier(bytes: Buffer, transferSyntaxUid: string): DicomJson | undefined {
  try {
    const reader = { bytes, explicit: transferSyntaxUid !== TransferSyntaxUid.ImplicitVrLittleEndian };
    return readItems(reader, 0, bytes.length, false).dataset;
  } catch (err) {
    // A length that runs past the data set (RangeError from the buffer) is left to dcmjs too, which
    // reports it as the malformed identifier it is.
    if (err instanceof NotPlain || err instanceof RangeError) return undefined;
    throw err;
  }
}

function readItems(reader: Reader, start: number, end: number, untilDelimiter: boolean): { dataset: DicomJson; end: number } {
  const { bytes } = reader;
  const dataset: DicomJson = {};
  let at = start;
  while (at < end) {
    const tagNumber = ((bytes.readUInt16LE(at) << 16) | bytes.readUInt16LE(at + 2)) >>> 0;
    if (tagNumber === ITEM_END && untilDelimiter) return { dataset, end: at + 8 };
    const known = definitionOf(tagNumber);
    if (!known) throw new NotPlain();
    const { tag } = known;
    let vr = known.vr;
    let length: number;
    if (reader.explicit) {
      vr = bytes.toString('latin1', at + 4, at + 6);
      if (vr === 'SQ') {
        length = bytes.readUInt32LE(at + 8);
        at += 12;
      } else {
        length = bytes.readUInt16LE(at + 6);
        at += 8;
      }
    } else {
      length = bytes.readUInt32LE(at + 4);
      at += 8;
    }
    if (vr !== known.vr) throw new NotPlain();
    if (vr === 'SQ') {
      const sequence = readSequence(reader, at, length === UNDEFINED_LENGTH ? end : at + length, length === UNDEFINED_LENGTH);
      dataset[tag] = { vr, Value: sequence.items };
      at = length === UNDEFINED_LENGTH ? sequence.end : at + length;
      continue;
    }
    if (!SHORT_VRS.has(vr) || length === UNDEFINED_LENGTH) throw new NotPlain();
    dataset[tag] = valueOf(vr, bytes, at, at + length);
    at += length;
  }
  if (untilDelimiter) throw new NotPlain();
  return { dataset, end: at };
}

function readSequence(reader: Reader, start: number, end: number, untilDelimiter: boolean): { items: DicomJson[]; end: number } {
  const { bytes } = reader;
  const items: DicomJson[] = [];
  let at = start;
  while (at < end) {
    const tagNumber = ((bytes.readUInt16LE(at) << 16) | bytes.readUInt16LE(at + 2)) >>> 0;
    const length = bytes.readUInt32LE(at + 4);
    at += 8;
    if (tagNumber === SEQUENCE_END && untilDelimiter) return { items, end: at };
    if (tagNumber !== ITEM) throw new NotPlain();
    const item = readItems(reader, at, length === UNDEFINED_LENGTH ? end : at + length, length === UNDEFINED_LENGTH);
    // dcmjs reads an empty item as no item at all: left to it.
    if (Object.keys(item.dataset).length === 0) throw new NotPlain();
    items.push(item.dataset);
    at = length === UNDEFINED_LENGTH ? item.end : at + length;
  }
  if (untilDelimiter) throw new NotPlain();
  return { items, end: at };
}

/** One value as dcmjs reads it (its formatting per VR), or none. */
function valueOf(vr: string, bytes: Buffer, start: number, end: number): DicomJsonElement {
  if (start === end) return { vr };
  let text = bytes.toString('latin1', start, end);
  if (vr === 'UI') {
    // One trailing NUL is padding.
    if (text.endsWith('\0')) text = text.slice(0, -1);
    if (!UID_CHARS.test(text)) throw new NotPlain();
    return { vr, Value: [text] };
  }
  // Printable ASCII, one value (a backslash would make several), one PN component group.
  if (!SINGLE_PRINTABLE_VALUE.test(text) || (vr === 'PN' && text.includes('='))) throw new NotPlain();
  switch (vr) {
    case 'DA':
      // dcmjs keeps a DA as it came, padding included.
      return { vr, Value: [text] };
    case 'TM':
      text = text.replace(/\s*$/, '');
      break;
    case 'PN':
      text = text.replace(/ $/, '');
      if (text === '' || text.trim() !== text) throw new NotPlain();
      return { vr, Value: [{ Alphabetic: text }] };
    default:
      text = text.trim();
  }
  return text === '' ? { vr } : { vr, Value: [text] };
}
