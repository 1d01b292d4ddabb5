/**
 * A worklist query: the C-FIND identifier as a DICOM JSON dataset. An element with a value is a
 * matching key; an element without one is a return key (universal matching). The same object is
 * compiled to SQL by the store (to narrow candidates with indexes) and evaluated exactly by the
 * matcher in dicom/match.ts.
 */
import type { DicomJson, DicomJsonElement } from './item.js';
import { elementStrings } from './item.js';

export interface WorklistQuery {
  identifier: DicomJson;
  /** PN matching ignores case (the default; PS3.4 C.2.2.2.1 allows it, modalities expect it). */
  personNameCaseInsensitive: boolean;
}

/**
 * Binary numeric VRs are never matching keys (none is one in PS3.4 Table K.6-1), and dcmjs reads a
 * zero-length US as 0, so a requested PregnancyStatus would otherwise turn into "match 0".
 */
const RETURN_ONLY_VRS = new Set(['US', 'SS', 'UL', 'SL', 'UV', 'SV', 'FL', 'FD', 'AT']);

/** The non-empty query values of an element; none means universal matching. "*" alone is universal too. */
export function matchingValues(element: DicomJsonElement | undefined): string[] {
  if (!element || RETURN_ONLY_VRS.has(element.vr)) return [];
  const values = elementStrings(element).filter((v) => v.trim() !== '');
  if (values.length === 0 || values.some((v) => v.trim() === '*')) return [];
  return values;
}
