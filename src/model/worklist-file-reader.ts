/**
 * .wl (DICOM Part 10) worklist files read into the bridge's DICOM JSON items, for import.
 * dcmjs decodes text with the dataset's Specific Character Set, so everything here is Unicode.
 */
import { cleanDataset, dcmjs } from './dcmjs.js';
import { BridgeError, errorMessage } from '../errors.js';
import type { DicomJsonDataset } from 'dcmjs';
import type { DicomJson } from './item.js';

const { DicomMessage } = dcmjs.data;

/**
 * Reads a worklist file (.wl, DICOM Part 10, any VR little endian transfer syntax) into an item.
 * Text is decoded with its Specific Character Set; the item itself is Unicode, so that attribute
 * and the file meta group are dropped.
 */
export function readWorklistFile(bytes: Buffer, name: string): DicomJson {
  let dict: DicomJsonDataset;
  try {
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    dict = DicomMessage.readFile(buffer, { ignoreErrors: false }).dict;
  } catch (err) {
    throw new BridgeError('DICOM_FILE_INVALID', `${name} is not a readable DICOM file: ${errorMessage(err)}`, {
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
