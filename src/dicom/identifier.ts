/**
 * C-FIND identifiers as the matcher takes them, and the bounds a query must keep. The matcher
 * runs in time linear in each value, but a query is applied to every candidate item: a key of a
 * million values, or a value of a megabyte, would still hold the SCP for long. No modality sends
 * either; such a query is refused (A900, identifier does not match SOP class).
 */
import { cleanDataset, dcmjs } from '../model/dcmjs.js';
import type { DicomJson } from '../model/item.js';
import { describeTag } from '../model/dictionary.js';

const { DicomMetaDictionary } = dcmjs.data;

/** Most values one matching key (other than a UID list) may carry. */
export const MAX_KEY_VALUES = 64;
/** Longest value of a key, in characters (the longest worklist VR, LT, holds 10,240; keys are far shorter). */
export const MAX_KEY_VALUE_LENGTH = 1024;

/** A C-FIND identifier as dcmjs-dimse hands it over (naturalized) -> DICOM JSON. */
export function identifierFromNaturalized(elements: Record<string, unknown>): DicomJson {
  return cleanDataset(DicomMetaDictionary.denaturalizeDataset(elements));
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
