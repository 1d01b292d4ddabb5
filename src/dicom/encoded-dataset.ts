/**
 * Is this byte string a data set at all? dcmjs reads anything: in a measured case it read 4,000
 * buffers of random bytes without one error, each as an element of VR UN (and wrote a console
 * line for each invalid VR), so a C-FIND identifier of garbage was answered as a universal query.
 * This walks the element headers of a little endian data set (PS3.5 7.1, 7.5) and says what is
 * wrong: a VR that does not exist, a length running past the end, an item or delimiter out of
 * place, sequences nested too deep, a tag twice. It does not decode values; dcmjs does that after.
 */
import { TransferSyntaxUid } from './association-policy.js';

const VRS = new Set([
  'AE',
  'AS',
  'AT',
  'CS',
  'DA',
  'DS',
  'DT',
  'FD',
  'FL',
  'IS',
  'LO',
  'LT',
  'OB',
  'OD',
  'OF',
  'OL',
  'OV',
  'OW',
  'PN',
  'SH',
  'SL',
  'SQ',
  'SS',
  'ST',
  'SV',
  'TM',
  'UC',
  'UI',
  'UL',
  'UN',
  'UR',
  'US',
  'UT',
  'UV',
]);
/** VRs whose explicit VR header has 2 reserved bytes and a 4-byte length (PS3.5 Table 7.1-1). */
const LONG_HEADER_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const UNDEFINED_LENGTH = 0xffffffff;
/** Deepest nesting of sequences accepted (worklist identifiers use two or three levels). */
export const MAX_SEQUENCE_DEPTH = 16;

class Malformed extends Error {}

interface Walk {
  bytes: Buffer;
  explicit: boolean;
  isSequenceTag: (tag: number) => boolean;
}

/**
 * What makes bytes not a well-formed data set in the given transfer syntax, or undefined when they
 * are one. isSequenceTag tells, for implicit VR, which defined-length elements hold items.
 */
export function encodedDatasetProblem(bytes: Buffer, transferSyntaxUid: string, isSequenceTag: (tag: number) => boolean): string | undefined {
  try {
    const walk: Walk = { bytes, explicit: transferSyntaxUid !== TransferSyntaxUid.ImplicitVrLittleEndian, isSequenceTag };
    readDataset(walk, 0, bytes.length, 0, false);
    return undefined;
  } catch (err) {
    if (err instanceof Malformed) return err.message;
    throw err;
  }
}

function tagText(tag: number): string {
  const hex = tag.toString(16).toUpperCase().padStart(8, '0');
  return `(${hex.slice(0, 4)},${hex.slice(4)})`;
}

/** Reads elements from start to end (or to an item delimiter when inUndefinedItem); returns where it stopped. */
function readDataset(walk: Walk, start: number, end: number, depth: number, inUndefinedItem: boolean): number {
  const { bytes } = walk;
  const seen = new Set<number>();
  let offset = start;
  while (offset < end) {
    if (end - offset < 8) throw new Malformed(`${end - offset} bytes at offset ${offset}, too few for an element header`);
    const tag = ((bytes.readUInt16LE(offset) << 16) | bytes.readUInt16LE(offset + 2)) >>> 0;
    if (tag >>> 16 === 0xfffe) {
      if (tag === 0xfffee00d && inUndefinedItem) {
        if (bytes.readUInt32LE(offset + 4) !== 0) throw new Malformed(`item delimiter at offset ${offset} with a non-zero length`);
        return offset + 8;
      }
      throw new Malformed(`${tagText(tag)} at offset ${offset} outside its place in a sequence`);
    }
    if (seen.has(tag)) throw new Malformed(`${tagText(tag)} appears twice`);
    seen.add(tag);
    let vr: string | undefined;
    let length: number;
    let valueStart: number;
    if (walk.explicit) {
      vr = bytes.toString('latin1', offset + 4, offset + 6);
      if (!VRS.has(vr)) throw new Malformed(`${tagText(tag)} has VR "${vr.replace(/[^\x20-\x7e]/g, '?')}", which does not exist`);
      if (LONG_HEADER_VRS.has(vr)) {
        if (end - offset < 12) throw new Malformed(`${tagText(tag)}: header cut short`);
        length = bytes.readUInt32LE(offset + 8);
        valueStart = offset + 12;
      } else {
        length = bytes.readUInt16LE(offset + 6);
        valueStart = offset + 8;
      }
    } else {
      length = bytes.readUInt32LE(offset + 4);
      valueStart = offset + 8;
    }
    if (length === UNDEFINED_LENGTH) {
      // Undefined length: a sequence; an explicit VR UN one holds implicit VR items (PS3.5 6.2.2).
      if (walk.explicit && vr !== 'SQ' && vr !== 'UN') throw new Malformed(`${tagText(tag)} of VR ${vr} has an undefined length`);
      const itemsExplicit = walk.explicit && vr === 'SQ';
      offset = readSequence({ ...walk, explicit: itemsExplicit }, tag, valueStart, end, depth + 1, true);
      continue;
    }
    if (length > end - valueStart) throw new Malformed(`${tagText(tag)} announces ${length} bytes, ${end - valueStart} are left`);
    const isSequence = walk.explicit ? vr === 'SQ' : walk.isSequenceTag(tag);
    if (isSequence) readSequence(walk, tag, valueStart, valueStart + length, depth + 1, false);
    offset = valueStart + length;
  }
  if (inUndefinedItem) throw new Malformed('an item of undefined length has no item delimiter');
  return offset;
}

/** Reads the items of a sequence; returns where it ended (after its delimiter, for an undefined length). */
function readSequence(walk: Walk, sequenceTag: number, start: number, end: number, depth: number, undefinedLength: boolean): number {
  if (depth > MAX_SEQUENCE_DEPTH) throw new Malformed(`sequences nested deeper than ${MAX_SEQUENCE_DEPTH} levels`);
  const { bytes } = walk;
  let offset = start;
  while (offset < end) {
    if (end - offset < 8) throw new Malformed(`${tagText(sequenceTag)}: ${end - offset} bytes, too few for an item header`);
    const tag = ((bytes.readUInt16LE(offset) << 16) | bytes.readUInt16LE(offset + 2)) >>> 0;
    const length = bytes.readUInt32LE(offset + 4);
    offset += 8;
    if (tag === 0xfffee0dd && undefinedLength) {
      if (length !== 0) throw new Malformed(`${tagText(sequenceTag)}: sequence delimiter with a non-zero length`);
      return offset;
    }
    if (tag !== 0xfffee000) throw new Malformed(`${tagText(sequenceTag)} holds ${tagText(tag)} where an item belongs`);
    if (length === UNDEFINED_LENGTH) {
      offset = readDataset(walk, offset, end, depth, true);
    } else {
      if (length > end - offset) throw new Malformed(`${tagText(sequenceTag)}: item announces ${length} bytes, ${end - offset} are left`);
      readDataset(walk, offset, offset + length, depth, false);
      offset += length;
    }
  }
  if (undefinedLength) throw new Malformed(`${tagText(sequenceTag)} has no sequence delimiter`);
  return offset;
}
