/**
 * Compiles a worklist query into an SQL WHERE clause over the indexed key columns. The clause is a
 * sound pre-filter: it never drops an item the exact matcher would accept (NULL columns, meaning
 * "several values", always pass), so the matcher only confirms what the indexes found.
 */
import { Tags, itemsOf, type DicomJsonElement } from '../worklist/item.js';
import { matchingValues, type WorklistQuery } from '../worklist/query.js';

export interface CompiledQuery {
  where: string;
  params: string[];
}

/** Highest code point: `col < prefix || MAX` bounds a prefix range under BINARY collation. */
const MAX_CHAR = String.fromCodePoint(0x10ffff);

export function compileWorklistQuery(query: WorklistQuery): CompiledQuery {
  const clauses: string[] = [];
  const params: string[] = [];
  const id = query.identifier;

  const constrainText = (column: string, element: DicomJsonElement | undefined, caseFold: boolean): void => {
    const values = matchingValues(element);
    if (values.length !== 1) return; // universal, or a list: left to the matcher
    const value = caseFold ? values[0]!.toUpperCase() : values[0]!;
    if (!/[*?]/.test(value)) {
      clauses.push(`(${column} = ? OR ${column} IS NULL)`);
      params.push(value);
      return;
    }
    const prefix = value.slice(0, value.search(/[*?]/));
    if (prefix.length > 0) {
      clauses.push(`((${column} >= ? AND ${column} < ?) OR ${column} IS NULL)`);
      params.push(prefix, prefix + MAX_CHAR);
    }
  };

  const constrainDate = (column: string, element: DicomJsonElement | undefined): void => {
    const values = matchingValues(element);
    if (values.length !== 1) return;
    const value = values[0]!.replace(/[./]/g, '');
    const range = /^(\d{8})?-(\d{8})?$/.exec(value);
    if (range) {
      if (range[1]) {
        clauses.push(`(${column} >= ? OR ${column} IS NULL)`);
        params.push(range[1]);
      }
      if (range[2]) {
        clauses.push(`(${column} <= ? OR ${column} IS NULL)`);
        params.push(range[2]);
      }
    } else if (/^\d{8}$/.test(value)) {
      clauses.push(`(${column} = ? OR ${column} IS NULL)`);
      params.push(value);
    }
  };

  constrainText('patient_id', id[Tags.PatientID], false);
  constrainText('accession_number', id[Tags.AccessionNumber], false);
  constrainText('patient_name', id[Tags.PatientName], true);
  // UID list matching: any of the UIDs.
  const uids = matchingValues(id[Tags.StudyInstanceUID]);
  if (uids.length > 0) {
    clauses.push(`(study_instance_uid IN (${uids.map(() => '?').join(', ')}) OR study_instance_uid IS NULL)`);
    params.push(...uids.map((u) => u.trim()));
  }
  // Only one query item in the SPS sequence can be compiled; several are left to the matcher.
  const steps = itemsOf(id[Tags.ScheduledProcedureStepSequence]);
  if (steps.length === 1) {
    const step = steps[0]!;
    constrainText('modality', step[Tags.Modality], false);
    constrainText('station_ae_title', step[Tags.ScheduledStationAETitle], false);
    constrainDate('sps_start_date', step[Tags.ScheduledProcedureStepStartDate]);
  }
  return { where: clauses.length ? clauses.join(' AND ') : '1', params };
}
