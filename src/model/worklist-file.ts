/**
 * Writes a worklist item as a .wl file: DICOM Part 10 (preamble, DICM, File Meta Information in
 * Explicit VR Little Endian) with the dataset in Explicit VR Little Endian, as DCMTK wlmscpfs and the
 * Orthanc worklist plugin read it. The bytes depend only on the item, so a file can be compared with
 * what the store would write now (mirror rebuild).
 */
import { createHash } from 'node:crypto';
import { BridgeError, errorMessage } from '../errors.js';
import { Tags, type DicomJson } from './item.js';
import { dcmjs } from './dcmjs.js';
import { REPERTOIRES, encodeAnswer, narrowestCharacterSet, withByteStringWriter, writableCopy } from './encoding.js';

/** Modality Worklist Information Model FIND: the SOP class worklist files are stored under. */
const WORKLIST_SOP_CLASS = '1.2.840.10008.5.1.4.31';
const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
/** mwl-bridge's implementation class UID (a fixed UUID-derived UID, PS3.5 B.2). */
const IMPLEMENTATION_CLASS_UID = '2.25.160685459951649286388236341939152380041';
const IMPLEMENTATION_VERSION_NAME = 'MWL_BRIDGE_1';

/** 'auto' picks the narrowest repertoire that holds the item's text (ASCII, ISO_IR 100, ISO_IR 192). */
export type WorklistFileCharset = 'auto' | keyof typeof REPERTOIRES;

export interface EncodedWorklistFile {
  bytes: Buffer;
  /** The Specific Character Set written (undefined: plain ASCII, none written). */
  characterSet: string | undefined;
  /** Attributes with characters the chosen repertoire cannot hold (written as "?"). */
  replaced: string[];
}

/** A stable SOP Instance UID for an item's file (the item has none of its own). */
function worklistFileInstanceUid(itemId: number, item: DicomJson): string {
  const study = item[Tags.StudyInstanceUID]?.Value?.[0];
  const digest = createHash('sha256')
    .update(`mwl-bridge item ${itemId} ${typeof study === 'string' ? study : ''}`)
    .digest('hex');
  return `2.25.${BigInt('0x' + digest.slice(0, 32)).toString(10)}`;
}

export function encodeWorklistFile(itemId: number, item: DicomJson, charset: WorklistFileCharset): EncodedWorklistFile {
  const { [Tags.SpecificCharacterSet]: _characterSet, ...plain } = item;
  const term = charset === 'auto' ? narrowestCharacterSet(plain) : charset;
  const meta: DicomJson = {
    '00020001': { vr: 'OB', Value: [new Uint8Array([0, 1]).buffer as unknown as string] },
    '00020002': { vr: 'UI', Value: [WORKLIST_SOP_CLASS] },
    '00020003': { vr: 'UI', Value: [worklistFileInstanceUid(itemId, item)] },
    '00020010': { vr: 'UI', Value: [EXPLICIT_VR_LITTLE_ENDIAN] },
    '00020012': { vr: 'UI', Value: [IMPLEMENTATION_CLASS_UID] },
    '00020013': { vr: 'SH', Value: [IMPLEMENTATION_VERSION_NAME] },
  };
  try {
    if (term === undefined || term === 'ISO_IR 6') {
      return { bytes: writePart10(meta, plain), characterSet: undefined, replaced: [] };
    }
    if (term === 'ISO_IR 192') {
      // dcmjs writes text as UTF-8 already.
      return { bytes: writePart10(meta, { [Tags.SpecificCharacterSet]: { vr: 'CS', Value: [term] }, ...plain }), characterSet: term, replaced: [] };
    }
    const encoded = encodeAnswer(plain, term);
    return { bytes: withByteStringWriter(() => writePart10(meta, encoded.answer)), characterSet: term, replaced: encoded.replaced };
  } catch (err) {
    throw new BridgeError('WL_FILE_UNWRITABLE', `item ${itemId} cannot be written as a DICOM file: ${errorMessage(err)}`, {
      hint: 'check the item with "mwl-bridge messages" and the mapping that produced it',
      cause: err,
    });
  }
}

function writePart10(meta: DicomJson, dataset: DicomJson): Buffer {
  // dcmjs writes elements in tag order and consumes what it is given: hand it copies.
  const dict = new dcmjs.data.DicomDict(structuredClone(meta));
  dict.dict = writableCopy(dataset);
  return Buffer.from(dict.write());
}
