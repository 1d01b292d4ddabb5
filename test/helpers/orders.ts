/**
 * HL7 orders built for tests, one field at a time, so that a test says what it varies.
 */
export interface OrderFields {
  controlId?: string;
  sendingApplication?: string;
  msh7?: string;
  msh18?: string;
  patientId?: string;
  /** PID-5, as it goes on the wire (escapes included). */
  name?: string;
  accession?: string;
  placer?: string;
  /** ORC-7.4, the SPS start date/time. */
  start?: string;
  /** Extra segments after OBR. */
  extra?: string[];
}

export function order(f: OrderFields = {}): string {
  const id = f.controlId ?? 'CTRL1';
  const pid = f.patientId ?? 'PAT1';
  const acc = f.accession ?? 'ACC1';
  const placer = f.placer ?? `PLC-${acc}`;
  const start = f.start ?? '20261123143000';
  return (
    [
      `MSH|^~\\&|${f.sendingApplication ?? 'RIS'}|RADIOLOGY|MWL_BRIDGE|HOSPITAL|${f.msh7 ?? '20261123091500'}||ORM^O01|${id}|P|2.3.1${f.msh18 !== undefined ? `||||||${f.msh18}` : ''}`,
      `PID|1||${pid}^^^HOSP^MR||${f.name ?? 'ROE^JANE'}||19851103|F`,
      `ORC|NW|${placer}^RIS|FIL-${acc}^RIS||SC||^^^${start}^^R`,
      `OBR|1|${placer}^RIS|FIL-${acc}^RIS|MRKNEE^MR knee left^LOCAL||||||||||||5678^HOUSE^GREGORY^^^DR||${acc}|RP-${acc}|SPS-${acc}||||MR|||^^^${start}`,
      ...(f.extra ?? []),
    ].join('\r') + '\r'
  );
}

/** An acknowledgement as an MLLP client sends one back for the bridge's own ACK. */
export function ackMessage(controlId: string, acknowledged: string): string {
  return `MSH|^~\\&|RIS|RADIOLOGY|MWL_BRIDGE|HOSPITAL|20261123091500||ACK^O01|${controlId}|P|2.3.1\rMSA|AA|${acknowledged}\r`;
}
