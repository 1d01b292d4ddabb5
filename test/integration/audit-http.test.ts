/**
 * The audit trail's HTTP events against a real rsyslog: a DICOMweb search is a Query; items made,
 * changed, cancelled and deleted by hand over /api/v1/items are Order Records with the token's
 * name as the user; an API connection's token and a console login are User Authentication (a
 * refused one also a Security Alert); an HTTPS or MLLP TLS client without a certificate is a
 * Security Alert. Each message is checked against the PS3.15 A.5 structure.
 */
import { after, before, describe, it } from '../helpers/suites.js';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { connect } from 'node:tls';
import { join } from 'node:path';
import { ifStarted, skipWithout, startBridge, tempDir, type RunningBridge } from '../helpers/peers.js';
import { assertAuditMessage, auditEvents, startRsyslog, waitFor, type Rsyslog } from '../helpers/rsyslog.js';
import { makeTestCertificates, tlsPort, type TestCertificates } from '../helpers/certs.js';

const skip = skipWithout('rsyslogd', 'openssl');
const TOKEN = 'mwlb_audit-http-token-0123456789';

function manualItem(modality: string): Record<string, unknown> {
  return {
    '00080050': { vr: 'SH', Value: ['ACC-AUDIT'] },
    '00100010': { vr: 'PN', Value: [{ Alphabetic: 'AUDIT^ALICE' }] },
    '00100020': { vr: 'LO', Value: ['PAT-AUDIT'] },
    '0020000D': { vr: 'UI', Value: ['1.2.826.0.1.3680043.10.543.77.9'] },
    '00401001': { vr: 'SH', Value: ['RP1'] },
    '00400100': {
      vr: 'SQ',
      Value: [
        {
          '00400001': { vr: 'AE', Value: ['CT1'] },
          '00400002': { vr: 'DA', Value: ['20261203'] },
          '00400003': { vr: 'TM', Value: ['101500'] },
          '00080060': { vr: 'CS', Value: [modality] },
          '00400009': { vr: 'SH', Value: ['SPS-AUDIT'] },
        },
      ],
    },
  };
}

/** The Alert Description of Security Alerts, decoded. */
const alertDescriptions = (lines: string[]): string[] =>
  auditEvents(lines, '110113').map((a) => Buffer.from(/type="Alert Description" value="([^"]+)"/.exec(a)?.[1] ?? '', 'base64').toString('utf8'));

describe('audit trail: HTTP, logins and TLS clients', { skip }, () => {
  let rsyslog: Rsyslog;
  let bridge: RunningBridge;
  let certs: TestCertificates;
  let dir: string;
  let base: string;
  before(async () => {
    dir = tempDir('mwl-audit-http-');
    rsyslog = await startRsyslog(dir);
    certs = makeTestCertificates(dir);
    const tokens = join(dir, 'tokens');
    writeFileSync(tokens, `ops write sha256:${createHash('sha256').update(TOKEN).digest('hex')}\n`, { mode: 0o600 });
    const tls = (area: string): string[] => [
      `--${area}-tls-port`,
      '0',
      `--${area}-tls-cert`,
      certs.serverCert,
      `--${area}-tls-key`,
      certs.serverKey,
      `--${area}-tls-ca`,
      certs.caCert,
    ];
    bridge = await startBridge(['--audit-syslog', `tcp://127.0.0.1:${rsyslog.port}`, '--http-tokens-file', tokens, ...tls('http'), ...tls('mllp')]);
    base = `http://127.0.0.1:${bridge.httpPort}`;
  });
  after(async () => {
    await ifStarted(bridge)?.stop();
    await ifStarted(rsyslog)?.stop();
    if (ifStarted(dir)) rmSync(dir, { recursive: true, force: true });
  });

  const api = (method: string, path: string, body?: unknown, token = TOKEN): Promise<Response> =>
    fetch(`${base}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/dicom+json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  it('a DICOMweb search: Query by the token holder, with the query; the API token: User Authentication', async () => {
    const res = await api('GET', '/dicom-web/modality-scheduled-procedure-steps?PatientID=PAT-NONE');
    assert.equal(res.status, 204);
    await waitFor(() => auditEvents(rsyslog.lines(), '110112').length > 0, 10000, 'Query');
    const query = auditEvents(rsyslog.lines(), '110112')[0]!;
    assertAuditMessage(query);
    assert.match(query, /<ActiveParticipant UserID="ops" UserIsRequestor="true" NetworkAccessPointID="127\.0\.0\.1" NetworkAccessPointTypeCode="2">/);
    const encoded = /<ParticipantObjectQuery>([^<]+)<\/ParticipantObjectQuery>/.exec(query)?.[1] ?? '';
    assert.match(Buffer.from(encoded, 'base64').toString('utf8'), /"00100020":\{"vr":"LO","Value":\["PAT-NONE"\]\}/);
    await waitFor(() => auditEvents(rsyslog.lines(), '110114').length > 0, 10000, 'User Authentication');
    const login = auditEvents(rsyslog.lines(), '110114')[0]!;
    assertAuditMessage(login);
    assert.match(login, /EventOutcomeIndicator="0"/);
    assert.match(login, /<EventTypeCode csd-code="110122" codeSystemName="DCM" originalText="Login"\/>/);
    assert.match(login, /<ActiveParticipant UserID="ops" AlternativeUserID="api" UserIsRequestor="true"/);
  });

  it('items made, changed, cancelled and deleted by hand: Order Records by the token holder', async () => {
    const created = await api('POST', '/api/v1/items', manualItem('CT'));
    assert.equal(created.status, 201);
    const id = ((await created.json()) as { id: number }).id;
    assert.equal((await api('PUT', `/api/v1/items/${id}`, [manualItem('MR')])).status, 200);
    assert.equal((await api('POST', `/api/v1/items/${id}/cancel`)).status, 200);
    assert.equal((await api('DELETE', `/api/v1/items/${id}`)).status, 200);
    const records = (): string[] => auditEvents(rsyslog.lines(), '110109').filter((l) => l.includes('ParticipantObjectID="PAT-AUDIT"'));
    await waitFor(() => records().length === 4, 10000, 'four Order Records');
    const actions = records().map((r) => /EventActionIndicator="(\w)"/.exec(r)?.[1]);
    assert.deepEqual(actions, ['C', 'U', 'D', 'D']);
    for (const record of records()) {
      assertAuditMessage(record);
      assert.match(record, /<ActiveParticipant UserID="ops" AlternativeUserID="http" UserIsRequestor="true" NetworkAccessPointID="127\.0\.0\.1"/);
      assert.match(record, /<ParticipantObjectName>AUDIT\^ALICE<\/ParticipantObjectName>/);
    }
  });

  it('an unknown API token and console logins: User Authentication (failed, succeeded) and a Security Alert', async () => {
    assert.equal((await api('GET', '/api/v1/items', undefined, 'mwlb_not-a-known-token')).status, 401);
    const login = (token: string): Promise<Response> =>
      fetch(`${base}/console/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, next: '/console' }).toString(),
      });
    assert.equal((await login('mwlb_wrong')).status, 401);
    assert.equal((await login(TOKEN)).status, 303);
    const authentications = (): string[] => auditEvents(rsyslog.lines(), '110114');
    const consoleLogin = /EventOutcomeIndicator="0".*UserID="ops" AlternativeUserID="console"/;
    await waitFor(() => authentications().some((l) => consoleLogin.test(l)), 10000, 'the console login');
    const failed = authentications().filter((l) => l.includes('EventOutcomeIndicator="4"'));
    assert.equal(failed.length, 2);
    assert.ok(failed.some((l) => /UserID="unknown token" AlternativeUserID="api"/.test(l)));
    assert.ok(failed.some((l) => /UserID="unknown token" AlternativeUserID="console"/.test(l)));
    for (const l of authentications()) assertAuditMessage(l);
    await waitFor(() => alertDescriptions(rsyslog.lines()).filter((d) => d.includes('login refused')).length === 2, 10000, 'two Security Alerts');
    const alerts = auditEvents(rsyslog.lines(), '110113').filter((l) => l.includes('csd-code="110132"'));
    assert.equal(alerts.length, 2);
    for (const alert of alerts) assertAuditMessage(alert);
    assert.ok(!rsyslog.lines().some((l) => l.includes(TOKEN) || l.includes('mwlb_wrong')), 'no token in the audit trail');
  });

  it('an HTTPS and an MLLP TLS client without a certificate: Security Alerts', async () => {
    const httpsPort = await tlsPort(bridge, 'http');
    const mllpPort = await tlsPort(bridge, 'mllp');
    await new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port: httpsPort, path: '/health', agent: false, ca: readFileSync(certs.caCert) }, () => {
        resolve();
      });
      req.once('error', () => {
        resolve();
      });
      req.end();
    });
    await new Promise<void>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: mllpPort, ca: readFileSync(certs.caCert) });
      socket.on('error', () => undefined);
      socket.once('close', () => {
        resolve();
      });
    });
    await waitFor(
      () => ['HTTPS', 'MLLP TLS'].every((what) => alertDescriptions(rsyslog.lines()).includes(`${what} connection refused: no client certificate`)),
      10000,
      'the HTTPS and MLLP TLS Security Alerts',
    );
    for (const alert of auditEvents(rsyslog.lines(), '110113').filter((l) => l.includes('csd-code="110126"'))) assertAuditMessage(alert);
  });
});
