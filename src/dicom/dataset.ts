/**
 * Conversions between dcmjs's dataset forms and the bridge's DICOM JSON items: C-FIND
 * identifiers in, answers out, and .wl (DICOM Part 10) worklist files read for import.
 * dcmjs decodes text with the dataset's Specific Character Set, so everything here is Unicode.
 */
import { dcmjs } from './dcmjs.js';
import { BridgeError } from '../errors.js';
import type { DicomJson, DicomJsonElement } from '../worklist/item.js';

const { DicomMessage, DicomMetaDictionary } = dcmjs.data;

/** A C-FIND identifier as dcmjs-dimse hands it over (naturalized) -> DICOM JSON. */
export function identifierFromNaturalized(elements: Record<string, unknown>): DicomJson {
  return cleanDataset(DicomMetaDictionary.denaturalizeDataset(elements) as unknown as DicomJson);
}

/**
 * Reads a worklist file (.wl, DICOM Part 10, any VR little endian transfer syntax) into an item.
 * Text is decoded with its Specific Character Set; the item itself is Unicode, so that attribute
 * and the file meta group are dropped.
 */
export function readWorklistFile(bytes: Buffer, name: string): DicomJson {
  let dict: DicomJson;
  try {
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    dict = DicomMessage.readFile(buffer, { ignoreErrors: false }).dict as unknown as DicomJson;
  } catch (err) {
    throw new BridgeError('DICOM_FILE_INVALID', `${name} is not a readable DICOM file: ${(err as Error).message}`, {
      hint: 'worklist files must be DICOM Part 10 files with a 128-byte preamble and DICM (dump2dcm writes them)',
      cause: err,
    });
  }
  const item = cleanDataset(dict);
  delete item['00080005'];
  if (Object.keys(item).length === 0) {
    throw new BridgeError('DICOM_FILE_INVALID', `${name} holds no attributes`, { hint: 'check that the file is a worklist item' });
  }
  return item;
}

const BINARY_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);

/** Drops dcmjs bookkeeping (_rawValue, _vrMap) and normalises tags to upper-case hex. */
function cleanDataset(dataset: DicomJson): DicomJson {
  const out: DicomJson = {};
  for (const [tag, element] of Object.entries(dataset)) {
    // Binary and unknown-VR elements have no place in a worklist answer and do not survive JSON.
    if (!/^[0-9A-Fa-f]{8}$/.test(tag) || BINARY_VRS.has(element.vr)) continue;
    out[tag.toUpperCase()] = cleanElement(element);
  }
  return out;
}

function cleanElement(element: DicomJsonElement): DicomJsonElement {
  const vr = element.vr;
  const values = Array.isArray(element.Value) ? element.Value : [];
  if (vr === 'SQ') return { vr, Value: values.map((v) => cleanDataset((v ?? {}) as DicomJson)) };
  const kept = values.filter((v) => v !== null && v !== undefined && !(typeof v === 'string' && v === '' && values.length === 1));
  return kept.length ? { vr, Value: kept } : { vr };
}
