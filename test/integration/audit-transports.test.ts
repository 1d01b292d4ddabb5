/**
 * The audit trail's other transports against a real rsyslog: udp:// (RFC 5426, one message a
 * datagram, imudp) and tls:// (RFC 5425, octet-counted over TLS: imtcp with rsyslog's gtls driver,
 * which requires the bridge's client certificate; the bridge verifies the receiver's against
 * audit.caFile). Application Start, an Order Record and Application Stop arrive over each, in the
 * PS3.15 A.5 structure. The TLS suite is skipped where rsyslog-gnutls is not installed.
 */
import { after, before, describe, it } from '../helpers/suites.js';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ifStarted, mllpSendText, projectDir, skipWithout, startBridge, tempDir, type RunningBridge } from '../helpers/peers.js';
import { assertAuditMessage, auditEvents, skipWithoutRsyslogTls, startRsyslog, waitFor, type Rsyslog } from '../helpers/rsyslog.js';
import { makeTestCertificates } from '../helpers/certs.js';

const ORDER = readFileSync(join(projectDir, 'samples', 'orm-ct-head.hl7'), 'utf8');

/** Start, an order and stop reach the receiver, each an A.5 message. */
async function startOrderStop(rsyslog: Rsyslog, bridge: RunningBridge): Promise<void> {
  await waitFor(() => auditEvents(rsyslog.lines(), '110100').length > 0, 10000, 'Application Start');
  assert.match(mllpSendText(bridge.mllpPort, ORDER)[0]![1]!, /^MSA\|AA/);
  await waitFor(() => auditEvents(rsyslog.lines(), '110109').length > 0, 10000, 'Order Record');
  assert.match(auditEvents(rsyslog.lines(), '110109')[0]!, /ParticipantObjectID="PAT1001" ParticipantObjectTypeCode="1"/);
  await bridge.stop();
  await waitFor(() => rsyslog.lines().some((l) => l.includes('csd-code="110121"')), 10000, 'Application Stop');
  const audit = rsyslog.lines().filter((l) => l.includes('<AuditMessage>'));
  assert.ok(audit.length >= 3, `${audit.length} audit messages`);
  for (const line of audit) assertAuditMessage(line);
}

describe('audit trail over UDP (RFC 5426)', { skip: skipWithout('rsyslogd', 'mllp_send') }, () => {
  let rsyslog: Rsyslog;
  let bridge: RunningBridge;
  let dir: string;
  before(async () => {
    dir = tempDir('mwl-audit-udp-');
    rsyslog = await startRsyslog(dir, { transport: 'udp' });
    bridge = await startBridge(['--audit-syslog', `udp://127.0.0.1:${rsyslog.port}`]);
  });
  after(async () => {
    await ifStarted(bridge)?.stop();
    await ifStarted(rsyslog)?.stop();
    if (ifStarted(dir)) rmSync(dir, { recursive: true, force: true });
  });

  it('start, an order and stop arrive, one datagram each', async () => {
    await startOrderStop(rsyslog, bridge);
  });
});

describe(
  'audit trail over TLS (RFC 5425) with a client certificate',
  { skip: skipWithout('rsyslogd', 'mllp_send', 'openssl') || skipWithoutRsyslogTls() },
  () => {
    let rsyslog: Rsyslog;
    let bridge: RunningBridge;
    let dir: string;
    before(async () => {
      dir = tempDir('mwl-audit-tls-');
      const certs = makeTestCertificates(dir);
      rsyslog = await startRsyslog(dir, {
        transport: 'tls',
        tls: { caFile: certs.caCert, certFile: certs.serverCert, keyFile: certs.serverKey, clientCertificates: true },
      });
      bridge = await startBridge([
        '--audit-syslog',
        `tls://127.0.0.1:${rsyslog.port}`,
        '--audit-ca',
        certs.caCert,
        '--audit-cert',
        certs.clientCert,
        '--audit-key',
        certs.clientKey,
      ]);
    });
    after(async () => {
      await ifStarted(bridge)?.stop();
      await ifStarted(rsyslog)?.stop();
      if (ifStarted(dir)) rmSync(dir, { recursive: true, force: true });
    });

    it('start, an order and stop arrive over TLS', async () => {
      await startOrderStop(rsyslog, bridge);
    });
  },
);
