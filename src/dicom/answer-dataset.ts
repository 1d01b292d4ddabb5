/**
 * The SCP's side of encoding: C-FIND answers as dcmjs-dimse data sets written straight from DICOM
 * JSON, and DIMSE command sets, both through encodeDataset (model/encoding.ts).
 */
import dimse from 'dcmjs-dimse';
import { dcmjs } from '../model/dcmjs.js';
import type { DicomJson, DicomJsonElement } from '../model/item.js';
import { encodeDataset } from '../model/encoding.js';
import { TransferSyntaxUid } from './association-policy.js';
import { SINGLE_PRINTABLE_VALUE, UID_CHARS } from './plain-values.js';

/**
 * A C-FIND answer for dcmjs-dimse, written straight from DICOM JSON. dcmjs-dimse's own Dataset
 * denaturalizes with a copy of dcmjs's whole name map per dataset ({...nameMap, ...custom}), which
 * cost 3.5 ms per answer (profiled: 1,000 answers took 5.5 s); this writes the JSON as it is. With
 * byteStrings, text values are bytes from encodeAnswer and are written unchanged.
 */
export class AnswerDataset extends dimse.Dataset {
  constructor(
    private readonly answer: DicomJson,
    transferSyntaxUid: string,
    private readonly byteStrings = false,
  ) {
    super({}, transferSyntaxUid);
  }

  override getElements(): Record<string, unknown> {
    return dcmjs.data.DicomMetaDictionary.naturalizeDataset(this.answer);
  }

  override getDenaturalizedDataset(writeOptions?: Record<string, unknown>): Buffer {
    return encodeDataset(this.answer, this.getTransferSyntaxUid(), this.byteStrings, writeOptions ?? {});
  }
}

/**
 * A DIMSE command set, as dcmjs-dimse's getDenaturalizedCommandDataset writes it (its elements in
 * implicit VR little endian after their group length), but element by element, the plain ones
 * here and the others through encodeDataset: dcmjs-dimse writes it into two fresh dcmjs streams of
 * 256 KiB each, allocated and zeroed per response (profiled: 0.6 ms per command set, two per
 * C-FIND, a fifth of a one-answer query).
 */
export function encodeCommandSet(command: { getElements(): Record<string, unknown> }): Buffer {
  const elements = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(command.getElements()) as DicomJson;
  const tags = Object.keys(elements).sort();
  const parts: Buffer[] = [];
  for (const tag of tags) {
    const element = elements[tag];
    if (!element) continue;
    parts.push(plainCommandElement(tag, element) ?? encodeDataset({ [tag]: element }, TransferSyntaxUid.ImplicitVrLittleEndian, false));
  }
  const body = Buffer.concat(parts);
  const groupLength = plainCommandElement('00000000', { vr: 'UL', Value: [body.length] });
  return Buffer.concat([
    groupLength ?? encodeDataset({ '00000000': { vr: 'UL', Value: [body.length] } }, TransferSyntaxUid.ImplicitVrLittleEndian, false),
    body,
  ]);
}

/**
 * A command element (implicit VR little endian) written here as dcmjs writes it, for the plain
 * cases: one US or UL number, one UI, AE, CS, SH or LO value of printable ASCII. A response's
 * Message ID Being Responded To differs per request, and dcmjs took some 50 us to write it (the
 * element cache of encodeDataset misses); undefined for anything else (written by dcmjs).
 */
function plainCommandElement(tag: string, element: DicomJsonElement): Buffer | undefined {
  const values = element.Value;
  if (!values || values.length !== 1) return undefined;
  const value = values[0];
  let content: Buffer;
  switch (element.vr) {
    case 'US':
    case 'UL': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : NaN;
      const size = element.vr === 'US' ? 2 : 4;
      if (!Number.isInteger(n) || n < 0 || n >= 2 ** (8 * size)) return undefined;
      content = Buffer.alloc(size);
      if (size === 2) content.writeUInt16LE(n);
      else content.writeUInt32LE(n);
      break;
    }
    case 'UI':
    case 'AE':
    case 'CS':
    case 'SH':
    case 'LO': {
      if (typeof value !== 'string' || value === '' || !(element.vr === 'UI' ? UID_CHARS : SINGLE_PRINTABLE_VALUE).test(value)) return undefined;
      // Padded to an even length: UI with NUL, text with a space (PS3.5 6.2).
      const padded = value.length % 2 ? value + (element.vr === 'UI' ? '\0' : ' ') : value;
      content = Buffer.from(padded, 'latin1');
      break;
    }
    default:
      return undefined;
  }
  const header = Buffer.alloc(8);
  header.writeUInt16LE(parseInt(tag.slice(0, 4), 16), 0);
  header.writeUInt16LE(parseInt(tag.slice(4, 8), 16), 2);
  header.writeUInt32LE(content.length, 4);
  return Buffer.concat([header, content]);
}
