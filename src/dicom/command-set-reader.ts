/**
 * DIMSE command sets read straight from their bytes into the object dcmjs-dimse works with (dcmjs's
 * naturalized form: keyword -> value). Every message the SCP receives starts with one; dcmjs reads
 * it through a general data set reader (streams, dictionary lookups, then naturalizing), some 70 us
 * of a selective query's ~1 ms of CPU (measured, 100 associations querying at once). Only the plain
 * cases are read here: group 0000 elements of the table below, each a single value dcmjs would read
 * unchanged but for its padding. Anything else (another element, an empty or multi-valued one,
 * a byte outside printable ASCII) gives undefined, and dcmjs reads the command set as before;
 * test/unit/command-set-reader.test.ts checks that both readings agree.
 */

import { SINGLE_PRINTABLE_VALUE, UID_CHARS } from './plain-values.js';

type CommandVr = 'UL' | 'US' | 'UI' | 'AE' | 'LO';

/** The command elements of PS3.7 E.1 read here, by tag (group 0000): keyword and VR. */
const COMMAND_ELEMENTS = new Map<number, readonly [string, CommandVr]>([
  [0x0000, ['CommandGroupLength', 'UL']],
  [0x0002, ['AffectedSOPClassUID', 'UI']],
  [0x0003, ['RequestedSOPClassUID', 'UI']],
  [0x0100, ['CommandField', 'US']],
  [0x0110, ['MessageID', 'US']],
  [0x0120, ['MessageIDBeingRespondedTo', 'US']],
  [0x0600, ['MoveDestination', 'AE']],
  [0x0700, ['Priority', 'US']],
  [0x0800, ['CommandDataSetType', 'US']],
  [0x0900, ['Status', 'US']],
  [0x0902, ['ErrorComment', 'LO']],
  [0x0903, ['ErrorID', 'US']],
  [0x1000, ['AffectedSOPInstanceUID', 'UI']],
  [0x1001, ['RequestedSOPInstanceUID', 'UI']],
  [0x1002, ['EventTypeID', 'US']],
  [0x1008, ['ActionTypeID', 'US']],
  [0x1020, ['NumberOfRemainingSuboperations', 'US']],
  [0x1021, ['NumberOfCompletedSuboperations', 'US']],
  [0x1022, ['NumberOfFailedSuboperations', 'US']],
  [0x1023, ['NumberOfWarningSuboperations', 'US']],
  [0x1030, ['MoveOriginatorApplicationEntityTitle', 'AE']],
  [0x1031, ['MoveOriginatorMessageID', 'US']],
]);

/**
 * A command set (implicit VR little endian) as dcmjs-dimse's Dataset holds it after dcmjs read it,
 * or undefined when it is not one of the plain cases read here.
 */
export function readPlainCommandSet(bytes: Buffer): Record<string, unknown> | undefined {
  // As dcmjs's naturalizeDataset: the VR map first (empty: no element here has a choice of VR).
  const out: Record<string, unknown> = { _vrMap: {} };
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < 8 || bytes.readUInt16LE(at) !== 0) return undefined;
    const known = COMMAND_ELEMENTS.get(bytes.readUInt16LE(at + 2));
    const length = bytes.readUInt32LE(at + 4);
    const start = at + 8;
    at = start + length;
    if (!known || length === 0 || at > bytes.length) return undefined;
    const [keyword, vr] = known;
    if (keyword in out) return undefined;
    const value = valueOf(bytes, vr, start, length);
    if (value === undefined) return undefined;
    out[keyword] = value;
  }
  return out;
}

function valueOf(bytes: Buffer, vr: CommandVr, start: number, length: number): number | string | undefined {
  switch (vr) {
    case 'UL':
      return length === 4 ? bytes.readUInt32LE(start) : undefined;
    case 'US':
      return length === 2 ? bytes.readUInt16LE(start) : undefined;
    case 'UI': {
      // One trailing NUL is padding (PS3.5 6.2); dcmjs drops it.
      const end = bytes[start + length - 1] === 0 ? start + length - 1 : start + length;
      const uid = bytes.toString('latin1', start, end);
      return UID_CHARS.test(uid) ? uid : undefined;
    }
    case 'AE':
    case 'LO': {
      // dcmjs trims leading and trailing spaces (significant in neither VR).
      const text = bytes.toString('latin1', start, start + length);
      const trimmed = text.trim();
      return SINGLE_PRINTABLE_VALUE.test(text) && trimmed.length > 0 ? trimmed : undefined;
    }
  }
}
