/**
 * The audit trail against a real rsyslog: every event type the bridge records (Application
 * Activity, Query, Order Record, Security Alert for a refused association and a refused TLS peer)
 * reaches it as RFC 5424 syslog carrying a PS3.15 A.5 message; then rsyslog is stopped and started
 * again in the middle of a burst of orders, and every order's audit message arrives; orders changed
 * (XO) and cancelled (CA) are Order Records U and D. The query is
 * carried as its identifier in DICOM JSON (PS3.18 F.2), base64-encoded.
 */
import { after, before, describe, it } from '../helpers/suites.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  findscu,
  ifStarted,
  mllpSendFiles,
  mllpSendText,
  mllpSendTextAsync,
  projectDir,
  runCli,
  skipWithout,
  startBridge,
  tempDir,
  type RunningBridge,
} from '../helpers/peers.js';
import { assertAuditMessage, startRsyslog, waitFor, type Rsyslog } from '../helpers/rsyslog.js';
import { dicomTlsFlags, dicomTlsPort, makeTestCertificates, type TestCertificates } from '../helpers/certs.js';

const skip = skipWithout('rsyslogd', 'mllp_send', 'findscu', 'echoscu', 'openssl');
const ORDER = readFileSync(join(projectDir, 'samples', 'orm-ct-head.hl7'), 'utf8');

/** The order with its own control id, patient, placer/filler numbers and accession. */
const variant = (n: number): string =>
  ORDER.replace('MSG00001', `MSGB${n}`)
    .replace('PAT1001', `PATB${n}`)
    .replace(/PLC1001/g, `PLCB${n}`)
    .replace(/FIL1001/g, `FILB${n}`)
    .replace('ACC1001', `ACCB${n}`)
    .replace('SPS1001', `SPSB${n}`);

const RFC5424 = /^<85>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \S+ mwl-bridge \d+ DICOM\+RFC3881 - (<\?xml .*<\/AuditMessage>)$/;

function eventsOf(lines: string[], code: string): string[] {
  return lines.filter((l) => l.includes(`<EventID csd-code="${code}"`));
}

describe('audit trail to rsyslog', { skip }, () => {
  let rsyslog: Rsyslog;
  let bridge: RunningBridge;
  let certs: TestCertificates;
  let dir: string;
  let tlsPort: number;
  before(async () => {
    dir = tempDir('mwl-audit-');
    rsyslog = await startRsyslog(dir);
    certs = makeTestCertificates(join(dir));
    bridge = await startBridge([
      '--audit-syslog',
      `tcp://127.0.0.1:${rsyslog.port}`,
      '--audit-source-id',
      'TEST_SITE',
      '--mirror-dir',
      join(dir, 'mirror'),
      ...dicomTlsFlags(certs),
    ]);
    tlsPort = await dicomTlsPort(bridge);
  });
  after(async () => {
    await ifStarted(bridge)?.stop();
    await ifStarted(rsyslog)?.stop();
    if (ifStarted(dir)) rmSync(dir, { recursive: true, force: true });
  });

  it('every message is RFC 5424 with a PS3.15 A.5 AuditMessage', async () => {
    await waitFor(() => eventsOf(rsyslog.lines(), '110100').length > 0, 10000, 'Application Start');
    const start = eventsOf(rsyslog.lines(), '110100')[0]!;
    assert.match(start, RFC5424);
    assert.match(start, /<EventIdentification EventActionIndicator="E" EventDateTime="[^"]+" EventOutcomeIndicator="0">/);
    assert.match(start, /<EventTypeCode csd-code="110120" codeSystemName="DCM" originalText="Application Start"\/>/);
    assert.match(start, /<ActiveParticipant UserID="MWL_TEST" AlternativeUserID="\d+" UserIsRequestor="false"[^>]*><RoleIDCode csd-code="110150"/);
    assert.match(start, /<AuditSourceIdentification AuditSourceID="TEST_SITE">/);
  });

  it('an order: Order Record (create) with the patient as participant object', async () => {
    assert.match(mllpSendText(bridge.mllpPort, ORDER)[0]![1]!, /^MSA\|AA/);
    await waitFor(() => eventsOf(rsyslog.lines(), '110109').length > 0, 10000, 'Order Record');
    const order = eventsOf(rsyslog.lines(), '110109')[0]!;
    assert.match(order, RFC5424);
    assert.match(order, /EventActionIndicator="C"/);
    assert.match(order, /<ActiveParticipant UserID="RIS" UserIsRequestor="true"/);
    assert.match(
      order,
      /<ParticipantObjectIdentification ParticipantObjectID="PAT1001" ParticipantObjectTypeCode="1" ParticipantObjectTypeCodeRole="1"><ParticipantObjectIDTypeCode csd-code="2" codeSystemName="RFC-3881"/,
    );
  });

  it('a C-FIND: Query with the calling AE, its address and the query', async () => {
    findscu(bridge.dicomPort, bridge.aeTitle, ['PatientID=PAT1001', 'PatientName'], { extra: ['-aet', 'CT_AUDIT'] });
    await waitFor(() => eventsOf(rsyslog.lines(), '110112').length > 0, 10000, 'Query');
    const query = eventsOf(rsyslog.lines(), '110112')[0]!;
    assert.match(query, /<ActiveParticipant UserID="CT_AUDIT" UserIsRequestor="true" NetworkAccessPointID="127\.0\.0\.1" NetworkAccessPointTypeCode="2">/);
    const encoded = /<ParticipantObjectQuery>([^<]+)<\/ParticipantObjectQuery>/.exec(query)?.[1];
    assert.ok(encoded);
    assert.match(Buffer.from(encoded, 'base64').toString('utf8'), /"00100020":\{"vr":"LO","Value":\["PAT1001"\]\}/);
    assert.match(query, /ParticipantObjectID="1\.2\.840\.10008\.5\.1\.4\.31"/);
  });

  it('a rejected association and a refused TLS peer: Security Alerts', async () => {
    spawnSync('echoscu', ['-to', '5', '-aec', 'WRONG_AE', '127.0.0.1', String(bridge.dicomPort)]);
    spawnSync('echoscu', ['-to', '5', '-aec', bridge.aeTitle, '+tla', '+cf', certs.caCert, '127.0.0.1', String(tlsPort)]);
    await waitFor(() => eventsOf(rsyslog.lines(), '110113').length >= 2, 10000, 'two Security Alerts');
    const alerts = eventsOf(rsyslog.lines(), '110113');
    for (const alert of alerts) {
      assert.match(alert, RFC5424);
      assert.match(alert, /EventOutcomeIndicator="4"/);
      assert.match(alert, /<EventTypeCode csd-code="110126"/);
    }
    const described = alerts.map((a) => Buffer.from(/type="Alert Description" value="([^"]+)"/.exec(a)?.[1] ?? '', 'base64').toString('utf8'));
    assert.ok(
      described.some((d) => d.startsWith('association rejected')),
      described.join(' | '),
    );
    assert.ok(
      described.some((d) => d === 'TLS connection refused: no client certificate'),
      described.join(' | '),
    );
  });

  it('rsyslog stopped and started again during a burst of 300 orders: every Order Record arrives', async () => {
    const burst = Array.from({ length: 300 }, (_, i) => variant(i)).join('\n');
    const sending = mllpSendTextAsync(bridge.mllpPort, burst);
    await waitFor(() => rsyslog.lines().some((l) => l.includes('PATB')), 20000, 'the first burst message');
    await rsyslog.stop();
    const seenBefore = new Set(rsyslog.lines().flatMap((l) => /ParticipantObjectID="(PATB\d+)"/.exec(l)?.[1] ?? []));
    await bridge.waitForLog(/audit\.receiver_unavailable/);
    const acks = await sending;
    assert.equal(acks.filter((a) => /^MSA\|AA/.test(a[1] ?? '')).length, 300);
    await rsyslog.start();
    await bridge.waitForLog(/audit\.receiver_recovered/, 40000);
    const ids = (): Set<string> => new Set(rsyslog.lines().flatMap((l) => /ParticipantObjectID="(PATB\d+)"/.exec(l)?.[1] ?? []));
    await waitFor(() => ids().size === 300, 30000, 'all 300 Order Records');
    const records = eventsOf(rsyslog.lines(), '110109').length;
    console.log(
      `# before the stop: ${seenBefore.size}; after the restart: ${ids().size} distinct of 300 (${records} Order Record lines in all, duplicates included)`,
    );
  });

  it('the import command records Import, sent by the running bridge', async () => {
    const r = runCli(['import', '--db', bridge.dbPath, '--audit-syslog', `tcp://127.0.0.1:${rsyslog.port}`, join(dir, 'mirror')]);
    assert.equal(r.status, 0, r.stderr);
    await waitFor(() => eventsOf(rsyslog.lines(), '110107').length > 0, 10000, 'Import');
    const imported = eventsOf(rsyslog.lines(), '110107')[0]!;
    assert.match(imported, RFC5424);
    assert.match(imported, /EventActionIndicator="C"/);
    assert.match(imported, /<ActiveParticipant UserID="[^"]+" AlternativeUserID="\d+" UserIsRequestor="true"><RoleIDCode csd-code="110151"/);
    assert.match(imported, /ParticipantObjectID="PAT1001" ParticipantObjectTypeCode="1"/);
  });

  it('an order changed (XO) and one cancelled (CA): Order Records U and D', async () => {
    const samples = ['orm-mr-knee.hl7', 'orm-xo-change.hl7', 'orm-ca-cancel.hl7'];
    // One mllp_send for the three, in order; one ACK each.
    const acks = mllpSendFiles(
      bridge.mllpPort,
      samples.map((sample) => join(projectDir, 'samples', sample)),
    );
    assert.equal(acks.length, samples.length);
    for (const ack of acks) assert.match(ack[1] ?? '', /^MSA\|AA/);
    const recordsOf = (patient: string): string[] => eventsOf(rsyslog.lines(), '110109').filter((l) => l.includes(`ParticipantObjectID="${patient}"`));
    await waitFor(() => recordsOf('PAT1002').length >= 2 && recordsOf('PAT1001').some((l) => l.includes('EventActionIndicator="D"')), 10000, 'the U and D');
    assert.deepEqual(
      recordsOf('PAT1002').map((l) => /EventActionIndicator="(\w)"/.exec(l)?.[1]),
      ['C', 'U'],
    );
    for (const record of [...recordsOf('PAT1002'), ...recordsOf('PAT1001')]) assertAuditMessage(record);
  });

  it('stopping the bridge records Application Stop', async () => {
    await bridge.stop();
    await waitFor(() => rsyslog.lines().some((l) => l.includes('csd-code="110121"')), 10000, 'Application Stop');
    // Every message received in this suite, of every event type, in the PS3.15 A.5 structure.
    for (const line of rsyslog.lines()) assertAuditMessage(line);
  });
});
