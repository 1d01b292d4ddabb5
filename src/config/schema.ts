/**
 * Every setting of the bridge, declared once: its type, default and documentation. The loader,
 * the CLI flags, the environment variables and the README table are all derived from this list.
 */

import { CHARACTER_SET_TERMS, type CharacterSetTerm } from '../model/encoding.js';

export type SettingType =
  | { kind: 'string' }
  | { kind: 'path' }
  /** A path, or empty for none (the feature is off). */
  | { kind: 'pathOrEmpty' }
  /** A TCP port to listen on; 0 lets the system choose a free one (the bound port is logged). */
  | { kind: 'port' }
  /** A TCP port to listen on, 0 for any free one, or "off" for no listener. */
  | { kind: 'portOrOff' }
  | { kind: 'integer'; min: number; max: number }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'boolean' }
  /** Per calling AE title settings: a JSON object (a map in the config file). */
  | { kind: 'callingAeSettings' }
  /** host:port, or empty for none. */
  | { kind: 'hostPortOrEmpty' }
  /** Comma-separated AE titles, possibly none. */
  | { kind: 'aeTitleList' }
  | { kind: 'aeTitle' }
  | { kind: 'aeTitleOrEmpty' }
  | { kind: 'uidRoot' };


export interface SettingSpec {
  type: SettingType;
  default: string | number;
  /** CLI flag without the leading dashes. */
  flag: string;
  doc: string;
}

export const settingsSchema = {
  'db.path': {
    type: { kind: 'path' },
    default: './data/worklist.db',
    flag: 'db',
    doc: 'SQLite database file holding worklist items and the message log. Its folder is created when missing.',
  },
  'db.checkpointIntervalMs': {
    type: { kind: 'integer', min: 0, max: 60000 },
    default: 100,
    flag: 'db-checkpoint-interval-ms',
    doc: 'How often a worker thread copies committed WAL frames into the database file (SQLite checkpoint), beside the writes; 0 leaves all checkpoints to the commits, which then stop the event loop every ~600 orders.',
  },
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
  'hl7.charsetMismatch': {
    type: { kind: 'enum', values: ['utf8', 'reject'] },
    default: 'utf8',
    flag: 'hl7-charset-mismatch',
    doc: 'Text labelled with a single-byte character set in MSH-18 (8859/1, ASCII, ..., or none) whose non-ASCII bytes are valid multi-byte UTF-8: utf8 reads it as UTF-8 and logs hl7.charset_mismatch; reject answers AR (ERR at MSH-18).',
  },
  'dicom.port': {
    type: { kind: 'port' },
    default: 11112,
    flag: 'dicom-port',
    doc: 'TCP port of the DICOM Modality Worklist SCP (C-FIND and C-ECHO); 0 listens on any free port (logged in dicom.ready).',
  },
  'dicom.host': {
    type: { kind: 'string' },
    default: '0.0.0.0',
    flag: 'dicom-host',
    doc: 'Address the DICOM SCP binds to (0.0.0.0 = every IPv4 interface, :: = every interface, 127.0.0.1 = this host only).',
  },
  'dicom.aeTitle': {
    type: { kind: 'aeTitle' },
    default: 'MWL_BRIDGE',
    flag: 'ae-title',
    doc: 'Application Entity title of the worklist SCP, as configured on the modalities (1-16 characters, no backslash).',
  },
  'dicom.checkCalledAeTitle': {
    type: { kind: 'boolean' },
    default: 'true',
    flag: 'check-called-ae-title',
    doc: 'Reject associations whose called AE title is not dicom.aeTitle (a modality configured for another SCP).',
  },
  'dicom.allowedCallingAeTitles': {
    type: { kind: 'aeTitleList' },
    default: '',
    flag: 'allowed-calling-ae-titles',
    doc: 'Comma-separated calling AE titles allowed to associate; empty allows any.',
  },
  'dicom.maxAssociations': {
    type: { kind: 'integer', min: 1, max: 10000 },
    default: 100,
    flag: 'max-associations',
    doc: 'Associations served at once; more are rejected (transient, local limit exceeded) and logged. Connections that have not sent their association request yet are kept up to this number (at least 64); past that the oldest of them is closed.',
  },
  'dicom.maxPduLength': {
    type: { kind: 'integer', min: 4096, max: 4194304 },
    default: 65536,
    flag: 'max-pdu-length',
    doc: 'Largest PDU the SCP receives, in bytes, as announced in the association answer. A longer PDU is refused at its header (A-ABORT). Peers announcing less than 4096 bytes (but not 0, no limit) are rejected.',
  },
  'dicom.maxMessageBytes': {
    type: { kind: 'integer', min: 65536, max: 1073741824 },
    default: 4 * 1024 * 1024,
    flag: 'dicom-max-message-bytes',
    doc: 'Largest DIMSE message (command set or data set: a C-FIND identifier, an MPPS data set) a peer may send, in bytes. A longer one ends its association (A-ABORT). Memory held for peers is at most about dicom.maxAssociations x (this + dicom.maxPduLength).',
  },
  'dicom.acseTimeoutSeconds': {
    type: { kind: 'integer', min: 1, max: 3600 },
    default: 30,
    flag: 'acse-timeout',
    doc: 'Seconds a new connection may take to send its whole association request before it is closed, however slowly it sends.',
  },
  'dicom.dimseTimeoutSeconds': {
    type: { kind: 'integer', min: 1, max: 86400 },
    default: 60,
    flag: 'dimse-timeout',
    doc: 'Seconds an association may stay idle (no PDU received whole and nothing sent) before it is aborted and closed. A PDU begun but not finished does not count as activity.',
  },
  'dicom.personNameMatching': {
    type: { kind: 'enum', values: ['case-insensitive', 'case-sensitive'] },
    default: 'case-insensitive',
    flag: 'person-name-matching',
    doc: 'How person names (PN) match: case-insensitive, as modality users expect, or exactly as PS3.4 single value matching.',
  },
  'dicom.maxAnswers': {
    type: { kind: 'integer', min: 0, max: 1000000 },
    default: 10000,
    flag: 'max-answers',
    doc: 'Most answers to one C-FIND; the rest are left out and a warning is logged. 0 means no limit.',
  },
  'dicom.callingAeSettings': {
    type: { kind: 'callingAeSettings' },
    default: '{}',
    flag: 'calling-ae-settings',
    doc: 'Settings per calling AE title, as JSON (a map in the config file), e.g. {"OLD_CT": {"characterSet": "ISO_IR 100", "onlyOwnStation": true, "maxAnswers": 200}}. characterSet: answer in that repertoire instead of UTF-8 (ISO_IR 6, 100, 101, 109, 110, 126, 127, 138, 144, 148, 203, 192); onlyOwnStation: only items whose ScheduledStationAETitle is the calling AE title; maxAnswers: overrides dicom.maxAnswers.',
  },
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
  'mapping.files': {
    type: { kind: 'string' },
    default: 'mappings/default.yaml,mappings/omi-o23.yaml,mappings/omg-o19.yaml,mappings/adt.yaml',
    flag: 'mapping',
    doc: 'Mapping files (comma-separated) that turn HL7 orders into worklist items; for each message the most specific one applies. A relative path is looked up in the working folder, then in the bridge installation. Reloaded on SIGHUP.',
  },
  'orders.unknownOrder': {
    type: { kind: 'enum', values: ['reject', 'apply'] },
    default: 'reject',
    flag: 'unknown-order',
    doc: 'XO, CA, DC, SC, HD or RL for an order the bridge does not know: reject answers AE (ERR 204, ORC-2); apply creates the item for XO and acknowledges and ignores the others.',
  },
  'worklist.showClosedItems': {
    type: { kind: 'boolean' },
    default: 'false',
    flag: 'show-closed-items',
    doc: 'Keep completed, cancelled and discontinued items in worklist answers, with their ScheduledProcedureStepStatus (they leave the worklist by default).',
  },
  'retention.closedItemDays': {
    type: { kind: 'integer', min: 0, max: 36500 },
    default: 30,
    flag: 'retention-closed-item-days',
    doc: 'Completed, cancelled and discontinued items are deleted this many days after their status changed.',
  },
  'retention.scheduledItemDays': {
    type: { kind: 'integer', min: 0, max: 36500 },
    default: 90,
    flag: 'retention-scheduled-item-days',
    doc: 'Items still open whose scheduled date is more than this many days in the past are deleted.',
  },
  'retention.messageDays': {
    type: { kind: 'integer', min: 0, max: 36500 },
    default: 180,
    flag: 'retention-message-days',
    doc: 'Entries of the message log are deleted this many days after they were received.',
  },
  'retention.intervalMinutes': {
    type: { kind: 'integer', min: 0, max: 10080 },
    default: 60,
    flag: 'retention-interval-minutes',
    doc: 'How often the retention purge runs (also once at start); 0 turns purging off.',
  },
  'mirror.dir': {
    type: { kind: 'pathOrEmpty' },
    default: '',
    flag: 'mirror-dir',
    doc: 'Folder kept in step with the store: one DICOM .wl file per worklist item, for DCMTK wlmscpfs, the Orthanc worklist plugin or a PACS that reads a worklist folder. Empty turns the mirror off.',
  },
  'mirror.layout': {
    type: { kind: 'enum', values: ['wlmscpfs', 'flat'] },
    default: 'wlmscpfs',
    flag: 'mirror-layout',
    doc: 'wlmscpfs: files in <mirror.dir>/<mirror.aeTitle>/ beside a lockfile, write-locked (fcntl, as wlmscpfs reads under an fcntl read lock) while the folder changes, as wlmscpfs -dfp <mirror.dir> expects; flat: files directly in mirror.dir (Orthanc Worklists.Database).',
  },
  'mirror.aeTitle': {
    type: { kind: 'aeTitleOrEmpty' },
    default: '',
    flag: 'mirror-ae-title',
    doc: 'Storage area (sub-folder) of the wlmscpfs layout: the AE title the modalities call wlmscpfs by. Empty uses dicom.aeTitle.',
  },
  'mirror.characterSet': {
    type: { kind: 'enum', values: ['auto', ...CHARACTER_SET_TERMS] },
    default: 'auto',
    flag: 'mirror-character-set',
    doc: 'Specific Character Set of the .wl files. auto: none for plain ASCII, ISO_IR 100 when Latin-1 holds every name, else ISO_IR 192 (UTF-8). A fixed repertoire writes characters it lacks as "?" and logs which attributes.',
  },
  'mirror.retrySeconds': {
    type: { kind: 'integer', min: 1, max: 3600 },
    default: 30,
    flag: 'mirror-retry-seconds',
    doc: 'Seconds before the mirror retries after it could not write the folder (disk full, permissions, lock held). Changes wait in the database meanwhile; none is lost.',
  },
  'uid.root': {
    type: { kind: 'uidRoot' },
    default: '2.25',
    flag: 'uid-root',
    doc: 'Root for Study Instance UIDs generated when an order carries none. 2.25 makes UUID-derived UIDs that need no registration; use your organisation root otherwise.',
  },
  'log.level': {
    type: { kind: 'enum', values: ['debug', 'info', 'warn', 'error'] },
    default: 'info',
    flag: 'log-level',
    doc: 'Least severe log level written to stderr.',
  },
  'log.format': {
    type: { kind: 'enum', values: ['text', 'json'] },
    default: 'text',
    flag: 'log-format',
    doc: 'Log line format: text for people, json for log shippers.',
  },
} as const satisfies Record<string, SettingSpec>;

export type SettingKey = keyof typeof settingsSchema;

/** host:port of a peer (mpps.hl7Destination). */
export interface HostPort {
  host: string;
  port: number;
}

/** What each kind of setting is once loaded: real booleans, numbers, lists and maps. */
interface KindValues {
  string: string;
  path: string;
  pathOrEmpty: string;
  port: number;
  portOrOff: number | 'off';
  integer: number;
  enum: string;
  boolean: boolean;
  callingAeSettings: Readonly<Record<string, CallingAeSetting>>;
  hostPortOrEmpty: HostPort | undefined;
  aeTitleList: readonly string[];
  aeTitle: string;
  aeTitleOrEmpty: string;
  uidRoot: string;
}

type SettingTypeOf<K extends SettingKey> = (typeof settingsSchema)[K]['type'];
/** The loaded value of a setting: an enum gives the union of its values. */
export type SettingValue<K extends SettingKey> = SettingTypeOf<K> extends { kind: 'enum'; values: readonly (infer V)[] } ? V : KindValues[SettingTypeOf<K>['kind']];

/** The validated, frozen configuration the bridge runs with. */
export type BridgeConfig = { readonly [K in SettingKey]: SettingValue<K> };

/** MWL_BRIDGE_ + the key in upper snake case: dicom.aeTitle -> MWL_BRIDGE_DICOM_AE_TITLE. */
export function envVarFor(key: string): string {
  return 'MWL_BRIDGE_' + key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/\./g, '_').toUpperCase();
}

/** One calling AE title's settings (dicom.callingAeSettings). */
export interface CallingAeSetting {
  characterSet?: CharacterSetTerm;
  onlyOwnStation?: boolean;
  maxAnswers?: number;
}

/** Environment variable naming the config file. */
export const configFileEnvVar = 'MWL_BRIDGE_CONFIG';
