/**
 * C-FIND identifiers as the matcher takes them, and the bounds a query must keep. The matcher
 * runs in time linear in each value, but a query is applied to every candidate item: a key of a
 * million values, or a value of a megabyte, would still hold the SCP for long. No modality sends
 * either; such a query is refused (A900, identifier does not match SOP class).
 */
import { dcmjs } from './dcmjs.js';
import type { DicomJson } from '../worklist/item.js';
import { describeTag } from '../worklist/dictionary.js';

const { DicomMetaDictionary } = dcmjs.data;

/** Most values one matching key (other than a UID list) may carry. */
export const MAX_KEY_VALUES = 64;
/** Longest value of a key, in characters (the longest worklist VR, LT, holds 10,240; keys are far shorter). */
export const MAX_KEY_VALUE_LENGTH = 1024;

const BINARY_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);

/** A C-FIND identifier as dcmjs-dimse hands it over (naturalized) -> DICOM JSON. */
export function identifierFromNaturalized(elements: Record<string, unknown>): DicomJson {
  return cleanDataset(DicomMetaDictionary.denaturalizeDataset(elements) as unknown as DicomJson);
}

/** Why an identifier cannot be a worklist query, or undefined. */
export function identifierProblem(identifier: DicomJson): string | undefined {
  for (const [tag, element] of Object.entries(identifier)) {
    const values = element.Value ?? [];
    if (element.vr === 'SQ') {
      for (const item of values) {
        const inner = identifierProblem(item as DicomJson);
        if (inner) return inner;
      }
      continue;
    }
    if (element.vr !== 'UI' && values.length > MAX_KEY_VALUES) return `${describeTag(tag)} carries ${values.length} values (at most ${MAX_KEY_VALUES})`;
    for (const value of values) {
      const text = typeof value === 'string' ? value : value && typeof value === 'object' ? Object.values(value).join('=') : '';
      if (text.length > MAX_KEY_VALUE_LENGTH) return `${describeTag(tag)} has a value of ${text.length} characters (at most ${MAX_KEY_VALUE_LENGTH})`;
    }
  }
  return undefined;
}

/** Drops dcmjs bookkeeping (_rawValue, _vrMap), binary elements, and normalises tags to upper-case hex. */
export function cleanDataset(dataset: DicomJson): DicomJson {
  const out: DicomJson = {};
  for (const [tag, element] of Object.entries(dataset)) {
    // Binary and unknown-VR elements have no place in a worklist answer and do not survive JSON.
    if (!/^[0-9A-Fa-f]{8}$/.test(tag) || BINARY_VRS.has(element.vr)) continue;
    out[tag.toUpperCase()] = cleanElement(element);
  }
  return out;
}

function cleanElement(element: DicomJson[string]): DicomJson[string] {
  const vr = element.vr;
  const values = Array.isArray(element.Value) ? element.Value : [];
  if (vr === 'SQ') return { vr, Value: values.map((v) => cleanDataset((v ?? {}) as DicomJson)) };
  const kept = values.filter((v) => v !== null && v !== undefined && !(typeof v === 'string' && v === '' && values.length === 1));
  return kept.length ? { vr, Value: kept } : { vr };
}
