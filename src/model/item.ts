/**
 * A worklist item is a DICOM dataset in the DICOM JSON model (PS3.18 F.2): tag -> { vr, Value }.
 * It is the standard's own neutral form, loses nothing (names stay Unicode, sequences nest) and
 * is what the store keeps, the matcher reads and the SCP projects answers from.
 */

export interface PersonNameValue {
  Alphabetic?: string;
  Ideographic?: string;
  Phonetic?: string;
}

export type DicomJsonValue = string | number | PersonNameValue | DicomJson | null;

export interface DicomJsonElement {
  vr: string;
  Value?: DicomJsonValue[] | null;
}

/** Keys are 8 upper-case hex digits, e.g. "00100010". */
export type DicomJson = Record<string, DicomJsonElement>;

/** A worklist item as stored: its id in the store, its status and its data set. */
export interface StoredItem {
  id: number;
  status: ItemStatus;
  dataset: DicomJson;
}

/** Item lifecycle states (ScheduledProcedureStepStatus vocabulary). */
export type ItemStatus = 'SCHEDULED' | 'ARRIVED' | 'READY' | 'STARTED' | 'DEPARTED' | 'COMPLETED' | 'DISCONTINUED' | 'CANCELED' | 'HELD';

/** Statuses of items still to be performed (a held order comes back with RL). */
export const OPEN_STATUSES: readonly ItemStatus[] = ['SCHEDULED', 'ARRIVED', 'READY', 'STARTED', 'HELD'];
/** Statuses shown on the worklist by default. */
export const ACTIVE_STATUSES: readonly ItemStatus[] = ['SCHEDULED', 'ARRIVED', 'READY', 'STARTED'];
/** Final statuses: such items leave the worklist (unless configured to stay) and are purged later. */
export const CLOSED_STATUSES: readonly ItemStatus[] = ['COMPLETED', 'DISCONTINUED', 'CANCELED'];
/** Every status an item can have. */
export const ALL_STATUSES: readonly ItemStatus[] = ['SCHEDULED', 'ARRIVED', 'READY', 'STARTED', 'DEPARTED', 'COMPLETED', 'DISCONTINUED', 'CANCELED', 'HELD'];

export const Tags = {
  SpecificCharacterSet: '00080005',
  AccessionNumber: '00080050',
  Modality: '00080060',
  PatientName: '00100010',
  PatientID: '00100020',
  StudyInstanceUID: '0020000D',
  ScheduledProcedureStepSequence: '00400100',
  ScheduledStationAETitle: '00400001',
  ScheduledProcedureStepStartDate: '00400002',
  ScheduledProcedureStepStartTime: '00400003',
  ScheduledProcedureStepID: '00400009',
  ScheduledProcedureStepStatus: '00400020',
  RequestedProcedureID: '00401001',
  IssuerOfPatientID: '00100021',
  PlacerOrderNumberImagingServiceRequest: '00402016',
  FillerOrderNumberImagingServiceRequest: '00402017',
} as const;

/** The text values of an element: PN values give their alphabetic group, numbers their decimal form. */
export function elementStrings(element: DicomJsonElement | undefined): string[] {
  if (!element?.Value) return [];
  const out: string[] = [];
  for (const v of element.Value) {
    if (typeof v === 'string') out.push(v);
    else if (typeof v === 'number') out.push(String(v));
    else if (v && typeof v === 'object' && element.vr === 'PN') out.push((v as PersonNameValue).Alphabetic ?? '');
  }
  return out;
}

export function firstString(dataset: DicomJson, tag: string): string | undefined {
  return elementStrings(dataset[tag])[0];
}

/** The items of a sequence element (an empty list when absent). */
export function sequenceItems(dataset: DicomJson, tag: string): DicomJson[] {
  return itemsOf(dataset[tag]);
}

/** The items of a sequence element (an empty list when absent or not a sequence). */
export function itemsOf(element: DicomJsonElement | undefined): DicomJson[] {
  if (!element || element.vr !== 'SQ' || !element.Value) return [];
  return element.Value.filter((v): v is DicomJson => typeof v === 'object' && v !== null);
}

/** The item with ScheduledProcedureStepStatus set in its steps (HELD is not a DICOM status: left as is). */
export function withStepStatus(item: DicomJson, status: ItemStatus): DicomJson {
  if (status === 'HELD') return item;
  const steps = sequenceItems(item, Tags.ScheduledProcedureStepSequence);
  if (steps.length === 0) return item;
  return {
    ...item,
    [Tags.ScheduledProcedureStepSequence]: {
      vr: 'SQ',
      Value: steps.map((s) => ({ ...s, [Tags.ScheduledProcedureStepStatus]: { vr: 'CS', Value: [status] } })),
    },
  };
}
