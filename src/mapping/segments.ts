/**
 * HL7 v2 segments a mapping may read, with their highest field number (v2.3 to v2.5.1, the
 * largest across versions), so a mapping that names a field that cannot exist is refused at load
 * time. Z-segments (site-defined, e.g. ZDS) are accepted with any field number.
 */
export const SEGMENT_FIELD_COUNTS: Readonly<Record<string, number>> = {
  MSH: 21,
  EVN: 7,
  PID: 39,
  PD1: 21,
  NK1: 39,
  PV1: 52,
  PV2: 49,
  MRG: 7,
  ORC: 31,
  OBR: 50,
  TQ1: 14,
  TQ2: 10,
  IPC: 9,
  NTE: 4,
  OBX: 25,
  DG1: 21,
  AL1: 6,
  IAM: 20,
  IN1: 53,
  IN2: 72,
  GT1: 57,
  ROL: 12,
  PRT: 24,
  SPM: 30,
  BLG: 4,
  CTD: 7,
  FT1: 31,
  PR1: 20,
  ODS: 4,
  ODT: 3,
  RQD: 10,
  RQ1: 7,
  AIS: 12,
  AIG: 14,
  AIL: 12,
  AIP: 12,
  SCH: 27,
  ARQ: 25,
  SFT: 6,
  UAC: 2,
  MSA: 6,
  ERR: 12,
  QRD: 12,
  QRF: 10,
};

/** null when the segment and field can exist, else the reason. */
export function checkSegmentField(segment: string, field: number): string | null {
  if (segment.startsWith('Z')) return null;
  const max = SEGMENT_FIELD_COUNTS[segment];
  if (max === undefined) return `unknown segment ${segment}`;
  if (field > max) return `${segment} has ${max} fields, there is no ${segment}-${field}`;
  return null;
}
