/** Settings of the audit trail (IHE ATNA: DICOM PS3.15 A.5 messages sent as RFC 5424 syslog). */
import type { SettingSpec } from './setting-types.js';

export const auditSettings = {
  'audit.syslog': {
    type: { kind: 'string' },
    default: 'off',
    flag: 'audit-syslog',
    doc: 'Where audit messages go: tls://host:6514 (RFC 5425), tcp://host:port (RFC 6587 octet counting) or udp://host:514 (RFC 5426); off: no audit trail.',
  },
  'audit.caFile': {
    type: { kind: 'pathOrEmpty' },
    default: '',
    flag: 'audit-ca',
    doc: "PEM CA certificates that sign the syslog receiver's certificate (tls:// only); empty: the system's CAs.",
  },
  'audit.certFile': {
    type: { kind: 'pathOrEmpty' },
    default: '',
    flag: 'audit-cert',
    doc: 'PEM client certificate the bridge presents to the syslog receiver (tls:// only, with audit.keyFile); empty: none.',
  },
  'audit.keyFile': {
    type: { kind: 'pathOrEmpty' },
    default: '',
    flag: 'audit-key',
    doc: 'PEM private key of audit.certFile.',
  },
  'audit.sourceId': {
    type: { kind: 'string' },
    default: 'mwl-bridge',
    flag: 'audit-source-id',
    doc: "AuditSourceID of every audit message (the site's name for this bridge).",
  },
  'audit.spoolMaxMessages': {
    type: { kind: 'integer', min: 100, max: 10000000 },
    default: 100000,
    flag: 'audit-spool-max-messages',
    doc: 'Audit messages kept in the database while the receiver is down; past this, new events are not recorded and audit.spool_full is logged (once a minute, with a count).',
  },
} as const satisfies Record<string, SettingSpec>;
