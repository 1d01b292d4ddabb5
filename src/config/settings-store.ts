/** Settings of the database; and of mappings, order rules, the worklist, retention, the mirror, UIDs and logging (dataSettings). */
import { CHARACTER_SET_TERMS } from '../model/encoding.js';
import type { SettingSpec } from './setting-types.js';

export const databaseSettings = {
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
} as const satisfies Record<string, SettingSpec>;

export const dataSettings = {
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
  'orders.nonImaging': {
    type: { kind: 'enum', values: ['ignore', 'reject'] },
    default: 'ignore',
    flag: 'non-imaging',
    doc: "An order group the mapping's nonImaging rule says is not an imaging order (e.g. no modality can be derived; a HIS that sends every order to every interface): ignore acknowledges it (AA) and logs it as ignored with the reason; reject answers AR (ERR 103 naming the field). A mapping's policies.nonImaging overrides it for its senders.",
  },
  'mapping.fallbacks': {
    type: { kind: 'enum', values: ['all', 'fields', 'none'] },
    default: 'all',
    flag: 'fallbacks',
    doc: "Which fallbacks of the mappings' chains are used: all (later sources, then last resorts: defaults, generated IDs and UIDs, the time of processing), fields (later sources only), none (first sources only). Every value not from its first source is recorded as derived (mwl-bridge map, messages show, log hl7.values_derived). A mapping's policies.fallbacks overrides it for its senders.",
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
  'retention.queryDays': {
    type: { kind: 'integer', min: 0, max: 36500 },
    default: 30,
    flag: 'retention-query-days',
    doc: 'Entries of the query log (each C-FIND and rejected association) are deleted this many days after they arrived.',
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
