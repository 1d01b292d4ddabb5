/** Settings of transport security: the DICOM TLS, MLLP over TLS and HTTPS listeners, TLS to the RIS, and what they share. */
import type { SettingSpec } from './setting-types.js';

export const tlsSettings = {
  'dicom.tls.port': {
    type: { kind: 'portOrOff' },
    default: 2762,
    flag: 'dicom-tls-port',
    doc: 'TCP port of the DICOM TLS listener (PS3.15 BCP 195), served beside dicom.port with the same associations and limits, when dicom.tls.certFile is set; off: none; 0 listens on any free port (logged in dicom.tls_ready).',
  },
  'dicom.tls.certFile': {
    type: { kind: 'pathOrEmpty' },
    default: '',
    flag: 'dicom-tls-cert',
    doc: 'PEM certificate (chain) of the DICOM TLS listener; empty: no DICOM TLS. Reloaded on SIGHUP.',
  },
  'dicom.tls.keyFile': {
    type: { kind: 'pathOrEmpty' },
    default: '',
    flag: 'dicom-tls-key',
    doc: 'PEM private key of dicom.tls.certFile (unencrypted; readable by the bridge only: a key file others can read is warned about). Reloaded on SIGHUP.',
  },
  'dicom.tls.caFile': {
    type: { kind: 'pathOrEmpty' },
    default: '',
    flag: 'dicom-tls-ca',
    doc: "PEM certificates of the authorities that sign the modalities' certificates; when set, every peer must present a certificate they signed (refused and logged otherwise); empty: no client certificate asked for. Reloaded on SIGHUP.",
  },
  'mllp.tls.port': {
    type: { kind: 'portOrOff' },
    default: 2576,
    flag: 'mllp-tls-port',
    doc: 'TCP port of the MLLP over TLS listener, served beside mllp.port (or alone with mllp.port off) with the same framing, limits and ACKs, when mllp.tls.certFile is set; off: none; 0 listens on any free port (logged in mllp.tls_ready).',
  },
  'mllp.tls.certFile': {
    type: { kind: 'pathOrEmpty' },
    default: '',
    flag: 'mllp-tls-cert',
    doc: 'PEM certificate (chain) of the MLLP TLS listener; empty: no MLLP over TLS. Reloaded on SIGHUP.',
  },
  'mllp.tls.keyFile': {
    type: { kind: 'pathOrEmpty' },
    default: '',
    flag: 'mllp-tls-key',
    doc: 'PEM private key of mllp.tls.certFile (unencrypted; readable by the bridge only). Reloaded on SIGHUP.',
  },
  'mllp.tls.caFile': {
    type: { kind: 'pathOrEmpty' },
    default: '',
    flag: 'mllp-tls-ca',
    doc: "PEM certificates of the authorities that sign the senders' certificates; when set, every sender must present a certificate they signed (refused and logged otherwise). Reloaded on SIGHUP.",
  },
  'http.tls.port': {
    type: { kind: 'portOrOff' },
    default: 8443,
    flag: 'http-tls-port',
    doc: 'TCP port of the HTTPS listener (same TLS profile as DICOM), served beside http.port with the same routes, tokens and limits, when http.tls.certFile is set; off: none; 0 listens on any free port (logged in http.tls_ready). Binds http.host.',
  },
  'http.tls.certFile': {
    type: { kind: 'pathOrEmpty' },
    default: '',
    flag: 'http-tls-cert',
    doc: 'PEM certificate (chain) of the HTTPS listener; empty: no HTTPS. Reloaded on SIGHUP.',
  },
  'http.tls.keyFile': {
    type: { kind: 'pathOrEmpty' },
    default: '',
    flag: 'http-tls-key',
    doc: 'PEM private key of http.tls.certFile (unencrypted; readable by the bridge only). Reloaded on SIGHUP.',
  },
  'http.tls.caFile': {
    type: { kind: 'pathOrEmpty' },
    default: '',
    flag: 'http-tls-ca',
    doc: "PEM certificates of the authorities that sign the HTTP clients' certificates; when set, every client must present a certificate they signed (refused and logged otherwise), besides its token. Reloaded on SIGHUP.",
  },
  'mpps.tls.enabled': {
    type: { kind: 'boolean' },
    default: 'false',
    flag: 'mpps-tls',
    doc: "Send the MPPS status messages to mpps.hl7Destination over TLS (same profile as the listeners), verifying the RIS's certificate against mpps.tls.caFile (or the system's CAs) and its name or address.",
  },
  'mpps.tls.caFile': {
    type: { kind: 'pathOrEmpty' },
    default: '',
    flag: 'mpps-tls-ca',
    doc: "PEM certificates of the authorities that sign the RIS's certificate (mpps.tls.enabled); empty: the system's CAs. Reloaded on SIGHUP.",
  },
  'mpps.tls.certFile': {
    type: { kind: 'pathOrEmpty' },
    default: '',
    flag: 'mpps-tls-cert',
    doc: 'PEM client certificate the bridge presents to the RIS (mpps.tls.enabled, with mpps.tls.keyFile); empty: none. Reloaded on SIGHUP.',
  },
  'mpps.tls.keyFile': {
    type: { kind: 'pathOrEmpty' },
    default: '',
    flag: 'mpps-tls-key',
    doc: 'PEM private key of mpps.tls.certFile (unencrypted; readable by the bridge only). Reloaded on SIGHUP.',
  },
  'tls.handshakeTimeoutSeconds': {
    type: { kind: 'integer', min: 1, max: 300 },
    default: 10,
    flag: 'tls-handshake-timeout',
    doc: 'Seconds a TLS peer may take to complete its handshake (a slow, silent or plaintext peer is closed and logged, tls.handshake_failed).',
  },
  'tls.expiryWarningDays': {
    type: { kind: 'integer', min: 0, max: 3650 },
    default: 30,
    flag: 'tls-expiry-warning-days',
    doc: 'A certificate that expires within this many days is logged at start, on SIGHUP and daily (tls.certificate_expiring; tls.certificate_expired once past).',
  },
} as const satisfies Record<string, SettingSpec>;
