/** A query as the query log keeps it: what a modality asked, when, and how the SCP answered. */
import type { DicomJson } from './item.js';

/** The settings of one calling AE title that shape its answers (dicom.callingAeSettings). */
export interface AeSetting {
  characterSet?: string;
  onlyOwnStation?: boolean;
  maxAnswers?: number;
}

/** find: a DIMSE C-FIND; dicomweb: a DICOMweb worklist search (the remote address and token; a calling AE title only if its token or http.callingAeTitle names one); association: a rejected association. */
export type QueryKind = 'find' | 'dicomweb' | 'association';

/** How a query ended: answered in full or cut at the answer limit, cancelled, failed, refused, or the peer left; or an association rejected. */
export type QueryOutcome = 'complete' | 'truncated' | 'cancelled' | 'failed' | 'refused' | 'abandoned' | 'rejected';

export interface QueryRecord {
  id: number;
  /** ISO time the query arrived. */
  at: string;
  kind: QueryKind;
  remote: string | null;
  callingAeTitle: string | null;
  calledAeTitle: string | null;
  /** The C-FIND identifier as decoded (character set applied). */
  identifier: DicomJson | null;
  /** One line: "PatientID=123 SPS.Modality=CT". */
  keys: string | null;
  outcome: QueryOutcome;
  /** The final DIMSE status, e.g. "0x0000". */
  status: string | null;
  answers: number | null;
  durationMs: number | null;
  /** Why it failed, was refused or rejected. */
  error: string | null;
  /** Attributes whose characters the answer's character set could not hold. */
  replaced: string[];
  /** The calling AE title's settings that applied (dicom.callingAeSettings), if any. */
  aeSetting: AeSetting | null;
}

/** The query log record of an association the SCP rejected (no query was made). */
export function rejectedAssociationRecord(
  remote: string,
  aeTitles: { callingAeTitle: string; calledAeTitle: string } | undefined,
  why: string,
): Omit<QueryRecord, 'id'> {
  return {
    at: new Date().toISOString(),
    kind: 'association',
    remote,
    callingAeTitle: aeTitles?.callingAeTitle ?? null,
    calledAeTitle: aeTitles?.calledAeTitle ?? null,
    identifier: null,
    keys: null,
    outcome: 'rejected',
    status: null,
    answers: null,
    durationMs: null,
    error: why,
    replaced: [],
    aeSetting: null,
  };
}
