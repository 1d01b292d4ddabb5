/**
 * The matching keys the store indexes, pulled from an item. A key is '' when the item has no
 * value (so an SQL equality can rule the item out) and null when the item holds several values
 * (multi-valued attribute or several scheduled steps): the SQL filter then keeps the item and the
 * exact matcher decides.
 */
import { Tags, elementStrings, sequenceItems, type DicomJson, type DicomJsonElement } from '../model/item.js';

export interface IndexKeys {
  patientId: string | null;
  accessionNumber: string | null;
  /** Upper-cased alphabetic name, for case-insensitive person name matching. */
  patientName: string | null;
  modality: string | null;
  stationAeTitle: string | null;
  /** YYYYMMDD, or null when the date is missing a clean 8-digit form. */
  spsStartDate: string | null;
  spsStartTime: string | null;
  placerOrderNumber: string | null;
  fillerOrderNumber: string | null;
  studyInstanceUid: string | null;
  spsId: string | null;
}

export function indexKeysOf(item: DicomJson): IndexKeys {
  const steps = sequenceItems(item, Tags.ScheduledProcedureStepSequence);
  const fromStep = (tag: string): string | null => {
    if (steps.length > 1) return null;
    const [step] = steps;
    if (!step) return '';
    return single(elementStrings(step[tag]));
  };
  const date = fromStep(Tags.ScheduledProcedureStepStartDate);
  const name = single(elementStrings(item[Tags.PatientName]));
  return {
    patientId: single(elementStrings(item[Tags.PatientID])),
    accessionNumber: single(elementStrings(item[Tags.AccessionNumber])),
    patientName: name === null ? null : name.toUpperCase(),
    modality: fromStep(Tags.Modality),
    stationAeTitle: fromStep(Tags.ScheduledStationAETitle),
    spsStartDate: date === null || date === '' || /^\d{8}$/.test(date) ? date : null,
    spsStartTime: fromStep(Tags.ScheduledProcedureStepStartTime),
    placerOrderNumber: single(elementStrings(item[Tags.PlacerOrderNumberImagingServiceRequest])),
    fillerOrderNumber: single(elementStrings(item[Tags.FillerOrderNumberImagingServiceRequest])),
    studyInstanceUid: single(elementStrings(item[Tags.StudyInstanceUID])),
    spsId: fromStep(Tags.ScheduledProcedureStepID),
  };
}

function single(values: string[]): string | null {
  if (values.length > 1) return null;
  const [value] = values;
  if (value === undefined) return '';
  return value.replace(/[ \0]+$/, '');
}

/** VRs whose values go into the value index: short texts, codes, dates and UIDs. */
export const INDEXED_VRS: ReadonlySet<string> = new Set(['AE', 'CS', 'DA', 'LO', 'PN', 'SH', 'UI']);

/**
 * Attributes that queries match through their own indexed columns (above), at the top level and in
 * the scheduled step; the value index leaves them out (Specific Character Set is no matching key).
 */
export const COLUMN_TAGS: ReadonlySet<string> = new Set([
  Tags.PatientID,
  Tags.AccessionNumber,
  Tags.PatientName,
  Tags.StudyInstanceUID,
  Tags.SpecificCharacterSet,
]);
export const STEP_COLUMN_TAGS: ReadonlySet<string> = new Set([Tags.Modality, Tags.ScheduledStationAETitle, Tags.ScheduledProcedureStepStartDate]);

/** Key of a value inside the scheduled procedure step sequence, e.g. "00400100.00080060". */
export function stepValueKey(tag: string): string {
  return `${Tags.ScheduledProcedureStepSequence}.${tag}`;
}

/**
 * The (tag, value) pairs of an item for the value index: top-level elements and those of its
 * scheduled steps, except those with their own column; person names upper-cased (matching ignores
 * case), dates without separators.
 */
export function indexedValuesOf(item: DicomJson): { tag: string; value: string }[] {
  const out: { tag: string; value: string }[] = [];
  // Items are JSON read back from the store: an element may be missing (null) there.
  const add = (key: string, element: DicomJsonElement | undefined) => {
    if (!element || !INDEXED_VRS.has(element.vr)) return;
    for (const raw of elementStrings(element)) {
      const v = raw.replace(/[ \0]+$/, '');
      if (v === '') continue;
      out.push({ tag: key, value: element.vr === 'PN' ? v.toUpperCase() : element.vr === 'DA' ? v.replace(/[./-]/g, '') : v });
    }
  };
  for (const [tag, element] of Object.entries(item)) if (!COLUMN_TAGS.has(tag)) add(tag, element);
  for (const step of sequenceItems(item, Tags.ScheduledProcedureStepSequence)) {
    for (const [tag, element] of Object.entries(step)) if (!STEP_COLUMN_TAGS.has(tag)) add(stepValueKey(tag), element);
  }
  return out;
}
