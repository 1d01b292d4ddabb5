/** Settings of the HTTP server: DICOMweb worklist search, health, readiness and metrics. */
import type { SettingSpec } from './setting-types.js';

export const httpSettings = {
  'http.port': {
    type: { kind: 'portOrOff' },
    default: 8080,
    flag: 'http-port',
    doc: 'TCP port of the HTTP server (DICOMweb worklist search, /health, /ready, /metrics); off runs the bridge without it, 0 listens on any free port (logged in http.ready).',
  },
  'http.host': {
    type: { kind: 'string' },
    default: '127.0.0.1',
    flag: 'http-host',
    doc: 'Address the HTTP server binds to (127.0.0.1 = this host only, 0.0.0.0 = every IPv4 interface).',
  },
  'http.tokensFile': {
    type: { kind: 'pathOrEmpty' },
    default: '',
    flag: 'http-tokens-file',
    doc: 'File of access tokens (one "NAME read|write sha256:HASH" a line, written by mwl-bridge token); with tokens, every request but /health and /ready needs one (Authorization: Bearer). Empty: no tokens, and the HTTP server may only bind a loopback address.',
  },
  'http.callingAeTitle': {
    type: { kind: 'aeTitleOrEmpty' },
    default: '',
    flag: 'http-calling-ae-title',
    doc: 'Calling AE title a DICOMweb worklist search is answered as when its token names none (mwl-bridge token --ae) or no tokens are configured: its dicom.callingAeSettings (onlyOwnStation, maxAnswers) apply, and the query log and metrics name it. Empty: such searches have no AE title (no per-AE settings; calling_ae "http" in the metrics).',
  },
  'http.maxResults': {
    type: { kind: 'integer', min: 1, max: 100000 },
    default: 1000,
    flag: 'http-max-results',
    doc: 'Most results one DICOMweb search returns; a larger or absent limit is cut to this, and a Warning header says that more results can be requested with offset.',
  },
  'http.readyMaxMirrorBacklog': {
    type: { kind: 'integer', min: 0, max: 100000000 },
    default: 1000,
    flag: 'http-ready-max-mirror-backlog',
    doc: 'Changes the worklist folder mirror may have left to write before /ready answers 503 (not ready).',
  },
} as const satisfies Record<string, SettingSpec>;
