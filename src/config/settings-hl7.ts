/** Settings of the MLLP listener and HL7 input; and of MPPS status messages to the RIS (mppsSettings). */
import type { SettingSpec } from './setting-types.js';

export const hl7Settings = {
  'mllp.port': {
    type: { kind: 'portOrOff' },
    default: 2575,
    flag: 'mllp-port',
    doc: 'TCP port of the HL7 MLLP listener; off runs the bridge without it, 0 listens on any free port (logged in mllp.ready).',
  },
  'mllp.host': {
    type: { kind: 'string' },
    default: '0.0.0.0',
    flag: 'mllp-host',
    doc: 'Address the MLLP listener binds to (0.0.0.0 = every IPv4 interface, 127.0.0.1 = this host only).',
  },
  'mllp.maxFrameBytes': {
    type: { kind: 'integer', min: 1024, max: 64 * 1024 * 1024 },
    default: 1024 * 1024,
    flag: 'mllp-max-frame-bytes',
    doc: 'Largest MLLP frame accepted, in bytes. A longer frame is refused and its connection closed.',
  },
  'mllp.maxConnections': {
    type: { kind: 'integer', min: 1, max: 10000 },
    default: 100,
    flag: 'mllp-max-connections',
    doc: 'MLLP connections served at once; a connection beyond them is closed as soon as it is accepted, and logged (mllp.connection_refused). Keep it below the process file-descriptor limit (ulimit -n) minus dicom.maxAssociations.',
  },
  'mllp.idleTimeoutSeconds': {
    type: { kind: 'integer', min: 0, max: 31 * 86400 },
    default: 86400,
    flag: 'mllp-idle-timeout',
    doc: 'Seconds an MLLP connection may go without a complete message or a reply before it is closed (mllp.idle_timeout); 0: never. The default (24 h) keeps a RIS connection that stays open and quiet all night; dead peers are found sooner by TCP keepalive.',
  },
  'mllp.frameTimeoutSeconds': {
    type: { kind: 'integer', min: 0, max: 3600 },
    default: 30,
    flag: 'mllp-frame-timeout',
    doc: 'Seconds a frame may take from its first byte to its end (FS CR); a slower sender, or bytes that never form a frame, get the connection closed (mllp.frame_timeout); 0: no limit.',
  },
  'hl7.maxSegments': {
    type: { kind: 'integer', min: 10, max: 1000000 },
    default: 1000,
    flag: 'hl7-max-segments',
    doc: 'Most segments in one HL7 message; a message with more is answered AR (ERR 207) without being parsed.',
  },
  'hl7.maxFieldsPerSegment': {
    type: { kind: 'integer', min: 10, max: 1000000 },
    default: 500,
    flag: 'hl7-max-fields',
    doc: 'Most fields in one segment of an HL7 message; a message with more is answered AR (ERR 207) without being parsed.',
  },
  'hl7.emptyControlId': {
    type: { kind: 'enum', values: ['accept', 'reject'] },
    default: 'accept',
    flag: 'empty-control-id',
    doc: "A message with an empty MSH-10 (required by HL7, left empty by some senders): accept maps it, answers with an empty MSA-2, logs hl7.empty_control_id and never treats it as a resend; reject answers AE (ERR 101 at MSH-10). A mapping's policies.emptyControlId overrides it for its senders.",
  },
  'hl7.charsetMismatch': {
    type: { kind: 'enum', values: ['utf8', 'reject'] },
    default: 'utf8',
    flag: 'hl7-charset-mismatch',
    doc: 'Text labelled with a single-byte character set in MSH-18 (8859/1, ASCII, ..., or none) whose non-ASCII bytes are valid multi-byte UTF-8: utf8 reads it as UTF-8 and logs hl7.charset_mismatch; reject answers AR (ERR at MSH-18).',
  },
} as const satisfies Record<string, SettingSpec>;

export const mppsSettings = {
  'mpps.hl7Destination': {
    type: { kind: 'hostPortOrEmpty' },
    default: '',
    flag: 'mpps-hl7-destination',
    doc: 'host:port of the RIS MLLP listener that gets an ORM^O01 (ORC-1 SC, ORC-5 IP/CM/DC) for each MPPS status change; empty sends none.',
  },
  'mpps.hl7RetrySeconds': {
    type: { kind: 'integer', min: 1, max: 86400 },
    default: 30,
    flag: 'mpps-hl7-retry-seconds',
    doc: 'Seconds between attempts to deliver a status message the RIS has not acknowledged yet (messages wait in the database).',
  },
} as const satisfies Record<string, SettingSpec>;
