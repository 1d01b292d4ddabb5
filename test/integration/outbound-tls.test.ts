/**
 * TLS to the RIS (mpps.tls.*): the MPPS status message goes to a TLS MLLP receiver run by the test
 * (Node's tls server, requiring a client certificate of its CA). While the receiver presents a
 * certificate the bridge's CA did not sign, the message is not delivered (retried, logged with the
 * verification error); once it presents the right one, the message arrives with the bridge's client
 * certificate. The client certificate's expiry shows in /metrics (listener="outbound") and follows a
 * renewal read on SIGHUP.
 */
import { after, before, describe, it } from '../helpers/suites.js';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { ifStarted, mllpSend, projectDir, skipWithout, startBridgeProcess, tempDir, type BridgeProcess } from '../helpers/peers.js';
import { dicomwebSearch, mppsCreateJson } from '../helpers/dicomweb.js';
import { makeLeaf, makeTestCertificates, type TestCertificates } from '../helpers/certs.js';
import { waitFor } from '../helpers/rsyslog.js';

const MPPS_UID = '1.2.826.0.1.3680043.10.543.9.78';
const DAY_S = 86_400;

interface Received {
  text: string;
  clientCn: string;
}

describe('MPPS status messages to the RIS over TLS (mpps.tls.*)', { skip: skipWithout('openssl', 'mllp_send') }, () => {
  let certs: TestCertificates;
  let bridge: BridgeProcess;
  let ris: Server;
  const received: Received[] = [];

  before(async () => {
    certs = makeTestCertificates(tempDir('mwl-outbound-tls-'));
    makeLeaf(certs.dir, 'ca', 'bridge-client', 'mwl-bridge-client', 10);
    // The RIS starts with a certificate of another CA: the bridge must not trust it.
    ris = createServer({
      cert: readFileSync(certs.rogueCert),
      key: readFileSync(certs.rogueKey),
      ca: readFileSync(certs.caCert),
      requestCert: true,
      rejectUnauthorized: true,
    });
    ris.on('secureConnection', (socket: TLSSocket) => {
      let buffered = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        const end = buffered.indexOf(0x1c);
        if (end < 0) return;
        const text = buffered.subarray(1, end).toString('utf8');
        const subject = socket.getPeerCertificate().subject as Record<string, unknown> | undefined;
        received.push({ text, clientCn: typeof subject?.CN === 'string' ? subject.CN : '' });
        const id = text.split('\r')[0]?.split('|')[9] ?? '';
        socket.end(Buffer.from(`\x0bMSH|^~\\&|RIS|H|MWL|H|20261203||ACK^O01|R${id}|P|2.3.1\rMSA|AA|${id}\r\x1c\r`));
      });
      socket.on('error', () => undefined);
    });
    ris.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => ris.listen(0, '127.0.0.1', resolve));
    const risPort = (ris.address() as AddressInfo).port;
    bridge = await startBridgeProcess([
      '--mpps-hl7-destination',
      `127.0.0.1:${risPort}`,
      '--mpps-hl7-retry-seconds',
      '1',
      '--mpps-tls',
      'true',
      '--mpps-tls-ca',
      certs.caCert,
      '--mpps-tls-cert',
      join(certs.dir, 'bridge-client.crt'),
      '--mpps-tls-key',
      join(certs.dir, 'bridge-client.key'),
    ]);
  });
  after(async () => {
    await ifStarted(bridge)?.stop();
    if (ifStarted(ris)) await new Promise((resolve) => ris.close(resolve));
    if (ifStarted(certs)) rmSync(certs.dir, { recursive: true, force: true });
  });

  it('a RIS whose certificate does not verify gets nothing; with the right one, the status message arrives', async () => {
    mllpSend(bridge.mllpPort, join(projectDir, 'samples', 'orm-mr-knee.hl7'));
    const found = await dicomwebSearch(bridge.httpPort, 'AccessionNumber=ACC1002');
    const studyUid = found.results[0]?.['0020000D']?.Value?.[0];
    const created = mppsCreateJson({ station: 'WEB_MODALITY', accession: 'ACC1002', stepId: 'SPS1002', studyUid });
    const res = await fetch(`http://127.0.0.1:${bridge.httpPort}/dicom-web/modality-performed-procedure-steps/${MPPS_UID}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/dicom+json' },
      body: JSON.stringify([created]),
    });
    assert.equal(res.status, 201);
    await bridge.waitForLog(/hl7\.outbound_retry .*error="[^"]*(certificate|self.signed)/);
    assert.equal(received.length, 0);
    ris.setSecureContext({ cert: readFileSync(certs.serverCert), key: readFileSync(certs.serverKey), ca: readFileSync(certs.caCert) });
    await waitFor(() => received.length > 0, 15000, 'the status message at the RIS');
    assert.match(received[0]!.text, /\rORC\|SC\|[^|\r]*\|[^|\r]*\|[^|\r]*\|IP[|\r]/);
    assert.equal(received[0]!.clientCn, 'mwl-bridge-client');
    await bridge.waitForLog(/hl7\.outbound_sent .*ack=AA/);
  });

  it("the client certificate's expiry is logged at start and shows in /metrics", async () => {
    assert.match(bridge.log(), /WARN +tls\.certificate_expiring listener=outbound .*subject="CN=mwl-bridge-client" .*days_left=9/);
    const metrics = await (await fetch(`http://127.0.0.1:${bridge.httpPort}/metrics`)).text();
    const left = Number(/^mwl_bridge_tls_certificate_expiry_seconds\{listener="outbound"\} (\d+)$/m.exec(metrics)?.[1]);
    assert.ok(left > 9 * DAY_S && left <= 10 * DAY_S, `expiry in ${left} s, not about 10 days`);
  });

  it('SIGHUP reads a renewed client certificate; the gauge follows', async () => {
    makeLeaf(certs.dir, 'ca', 'bridge-client', 'mwl-bridge-client', 60);
    bridge.process.kill('SIGHUP');
    await bridge.waitForLog(/tls\.reloaded listener=outbound not_after=/);
    const metrics = await (await fetch(`http://127.0.0.1:${bridge.httpPort}/metrics`)).text();
    const left = Number(/^mwl_bridge_tls_certificate_expiry_seconds\{listener="outbound"\} (\d+)$/m.exec(metrics)?.[1]);
    assert.ok(left > 59 * DAY_S && left <= 60 * DAY_S, `expiry in ${left} s, not about 60 days`);
  });
});
