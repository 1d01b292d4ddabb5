/** Settings of the DICOM SCP. */
import type { SettingSpec } from './setting-types.js';

export const dicomSettings = {
  'dicom.port': {
    type: { kind: 'portOrOff' },
    default: 11112,
    flag: 'dicom-port',
    doc: 'TCP port of the DICOM Modality Worklist SCP (C-FIND, C-ECHO, MPPS); 0 listens on any free port (logged in dicom.ready); off: no plain port, only the TLS one (dicom.tls.*, required then).',
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
    doc: 'Settings per calling AE title, as JSON (a map in the config file), e.g. {"OLD_CT": {"characterSet": "ISO_IR 100", "onlyOwnStation": true, "maxAnswers": 200}}. characterSet: answer in that repertoire instead of UTF-8 (ISO_IR 6, 100, 101, 109, 110, 126, 127, 138, 144, 148, 203, 192); onlyOwnStation: only items whose ScheduledStationAETitle is the calling AE title; maxAnswers: overrides dicom.maxAnswers; modality: the modality (e.g. CT) this AE title is, so that steps of that modality that no table routes are scheduled on it (the $callingAeTitles lookup of the default mapping, mappings/README.md).',
  },
} as const satisfies Record<string, SettingSpec>;
