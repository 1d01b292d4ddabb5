/**
 * The SCP's side of encoding: C-FIND answers as dcmjs-dimse data sets written straight from DICOM
 * JSON, and DIMSE command sets, both through encodeDataset (model/encoding.ts).
 */
import dimse from 'dcmjs-dimse';
import { dcmjs } from '../model/dcmjs.js';
import type { DicomJson } from '../model/item.js';
import { encodeDataset } from '../model/encoding.js';

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

const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';

/**
 * A DIMSE command set, as dcmjs-dimse's getDenaturalizedCommandDataset writes it (its elements in
 * implicit VR little endian after their group length), but through encodeDataset: dcmjs-dimse
 * writes it into two fresh dcmjs streams of 256 KiB each, allocated and zeroed per response
 * (profiled: 0.6 ms per command set, two per C-FIND, a fifth of a one-answer query).
 */
export function encodeCommandSet(command: { getElements(): Record<string, unknown> }): Buffer {
  const elements = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(command.getElements()) as DicomJson;
  const body = encodeDataset(elements, IMPLICIT_VR_LITTLE_ENDIAN, false);
  const groupLength = encodeDataset({ '00000000': { vr: 'UL', Value: [body.length] } }, IMPLICIT_VR_LITTLE_ENDIAN, false);
  return Buffer.concat([groupLength, body]);
}
