/**
 * The one copy of dcmjs in the process: its CommonJS build, the one dcmjs-dimse requires. dcmjs
 * ships a separate ES module build, and `import 'dcmjs'` would load it as a second copy with its
 * own dictionary and log level (measured: +11 MB resident).
 */
import { createRequire } from 'node:module';
import type dcmjsModule from 'dcmjs';
import type { DicomJsonDataset, DicomJsonElement as DcmjsElement } from 'dcmjs';
import type { DicomJson, DicomJsonElement, DicomJsonValue } from './item.js';

export const dcmjs = createRequire(import.meta.url)('dcmjs') as typeof dcmjsModule;

// dcmjs warns on the console for every private tag it cannot name; the bridge reports its own errors.
dcmjs.log.setLevel('error');

/** VRs of bulk data, which a worklist item does not keep. */
const BINARY_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);

/**
 * A data set as dcmjs read it -> DICOM JSON as the bridge keeps it: drops dcmjs bookkeeping
 * (_rawValue, _vrMap), binary elements and empty (null) values, and normalises tags to upper-case hex.
 */
export function cleanDataset(dataset: DicomJsonDataset): DicomJson {
  const out: DicomJson = {};
  for (const [tag, element] of Object.entries(dataset)) {
    // Binary and unknown-VR elements have no place in a worklist answer and do not survive JSON.
    if (!/^[0-9A-Fa-f]{8}$/.test(tag) || BINARY_VRS.has(element.vr)) continue;
    out[tag.toUpperCase()] = cleanElement(element);
  }
  return out;
}

function cleanElement(element: DcmjsElement): DicomJsonElement {
  const vr = element.vr;
  const values = Array.isArray(element.Value) ? element.Value : [];
  // dcmjs gives sequence items as data sets (or null for an empty one), other values as strings, numbers and PN objects.
  if (vr === 'SQ') return { vr, Value: values.map((v) => cleanDataset((v ?? {}) as DicomJsonDataset)) };
  const kept = values.filter((v) => v !== null && v !== undefined && !(typeof v === 'string' && v === '' && values.length === 1)) as DicomJsonValue[];
  return kept.length ? { vr, Value: kept } : { vr };
}
