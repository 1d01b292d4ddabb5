/**
 * The attributes every DICOMweb worklist result carries when the search does not name them: the
 * return keys that PS3.4 Table K.6-1 makes required (R) and a modality reads to fill in a study,
 * as paths for search-params.ts. includefield adds to them; includefield=all returns whole items.
 */
export const DEFAULT_RETURN_KEYS: readonly string[] = [
  'AccessionNumber',
  'ReferringPhysicianName',
  'PatientName',
  'PatientID',
  'IssuerOfPatientID',
  'PatientBirthDate',
  'PatientSex',
  'StudyInstanceUID',
  'RequestedProcedureDescription',
  'RequestedProcedureID',
  'ScheduledProcedureStepSequence.ScheduledStationAETitle',
  'ScheduledProcedureStepSequence.ScheduledProcedureStepStartDate',
  'ScheduledProcedureStepSequence.ScheduledProcedureStepStartTime',
  'ScheduledProcedureStepSequence.Modality',
  'ScheduledProcedureStepSequence.ScheduledPerformingPhysicianName',
  'ScheduledProcedureStepSequence.ScheduledProcedureStepDescription',
  'ScheduledProcedureStepSequence.ScheduledProcedureStepID',
  'ScheduledProcedureStepSequence.ScheduledStationName',
  'ScheduledProcedureStepSequence.ScheduledProcedureStepLocation',
  'ScheduledProcedureStepSequence.ScheduledProcedureStepStatus',
];
