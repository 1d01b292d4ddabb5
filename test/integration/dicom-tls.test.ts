/**
 * DICOM TLS (dicom.tls.*): DCMTK echoscu and findscu with +tls against the TLS port, with
 * certificates made by openssl. With a CA configured, a client without a certificate or with one
 * another CA signed is refused and logged; so are plaintext, a silent peer (handshake timeout), TLS
 * 1.1 and a cipher suite outside BCP 195. The plain port keeps working beside it.
 */
import { after, before, describe, it } from '../helpers/suites.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { echoscu, ifStarted, mllpSendText, projectDir, readDicomFile, skipWithout, startBridge, tempDir, type RunningBridge } from '../helpers/peers.js';
import { dicomTlsFlags, dicomTlsPort, makeTestCertificates, type TestCertificates } from '../helpers/certs.js';

const skip = skipWithout('echoscu', 'findscu', 'openssl', 'mllp_send');

const ORDER = readFileSync(join(projectDir, 'samples', 'orm-ct-head.hl7'), 'utf8');

describe('DICOM TLS', { skip }, () => {
  let bridge: RunningBridge;
  let certs: TestCertificates;
  let tlsPort: number;
  before(async () => {
    certs = makeTestCertificates(tempDir('mwl-certs-'));
    // A key others may read: the bridge serves with it and warns.
    chmodSync(certs.serverKey, 0o644);
    bridge = await startBridge([...dicomTlsFlags(certs), '--tls-handshake-timeout', '1', '--dicom-host', '127.0.0.1']);
    tlsPort = await dicomTlsPort(bridge);
    const acks = mllpSendText(bridge.mllpPort, ORDER);
    assert.match(acks[0]![1]!, /^MSA\|AA\|MSG00001/);
  });
  after(async () => {
    await ifStarted(bridge)?.stop();
    if (ifStarted(certs)) rmSync(certs.dir, { recursive: true, force: true });
  });

  const tlsArgs = (key: string, cert: string): string[] => ['+tls', key, cert, '+cf', certs.caCert];
  const echo = (args: string[]): { status: number; output: string } => {
    const r = spawnSync('echoscu', ['-to', '5', '-aec', bridge.aeTitle, ...args, '127.0.0.1', String(tlsPort)], { encoding: 'utf8', timeout: 20000 });
    return { status: r.status ?? -1, output: r.stdout + r.stderr };
  };

  it('logs tls_ready and warns about a key file others can read', async () => {
    await bridge.waitForLog(/dicom\.tls_ready .*client_certificates=required/);
    await bridge.waitForLog(/WARN +tls\.key_file_permissions listener=dicom file=\S+server\.key mode=0644/);
  });

  it('echoscu +tls with a certificate the CA signed: C-ECHO succeeds', () => {
    const r = echo(tlsArgs(certs.clientKey, certs.clientCert));
    assert.equal(r.status, 0, r.output);
  });

  it('findscu +tls gets the worklist item', () => {
    const out = tempDir('mwl-find-');
    try {
      const r = spawnSync(
        'findscu',
        [
          '-W',
          '-to',
          '10',
          '-aec',
          bridge.aeTitle,
          ...tlsArgs(certs.clientKey, certs.clientCert),
          '-X',
          '-od',
          out,
          '127.0.0.1',
          String(tlsPort),
          '-k',
          'PatientID=PAT1001',
          '-k',
          'AccessionNumber',
        ],
        { encoding: 'utf8', timeout: 30000 },
      );
      assert.equal(r.status, 0, r.stderr);
      const answers = readdirSync(out).map((f) => readDicomFile(join(out, f)));
      assert.equal(answers.length, 1);
      assert.equal(answers[0]!.values['(0008,0050)'], 'ACC1001');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('a client certificate of another CA is refused and logged', async () => {
    const r = echo(tlsArgs(certs.rogueKey, certs.rogueCert));
    assert.notEqual(r.status, 0, r.output);
    await bridge.waitForLog(
      /WARN +tls\.handshake_failed listener=dicom remote=127\.0\.0\.1:\d+ reason="client certificate not accepted: UNABLE_TO_VERIFY_LEAF_SIGNATURE"/,
    );
  });

  it('a client without a certificate is refused and logged', async () => {
    const r = echo(['+tla', '+cf', certs.caCert]);
    assert.notEqual(r.status, 0, r.output);
    await bridge.waitForLog(/tls\.handshake_failed listener=dicom .*reason="no client certificate"/);
  });

  it('plaintext DICOM on the TLS port is refused and logged; the plain port still answers', async () => {
    const r = echo([]);
    assert.notEqual(r.status, 0, r.output);
    await bridge.waitForLog(/tls\.handshake_failed listener=dicom .*reason=.*(wrong version number|unknown protocol|http request|packet length too long)/);
    assert.equal(echoscu(bridge.dicomPort, bridge.aeTitle), 0);
  });

  it('a peer that never completes its handshake is closed at the deadline and logged', async () => {
    const started = Date.now();
    const socket = netConnect(tlsPort, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(Buffer.from([0x16, 0x03, 0x01])); // the first bytes of a ClientHello, and no more
    await new Promise<void>((resolve) =>
      socket.once('close', () => {
        resolve();
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    assert.ok(seconds >= 0.9 && seconds < 5, `closed after ${seconds} s`);
    await bridge.waitForLog(/tls\.handshake_failed listener=dicom .*reason="no handshake within 1 s"/);
  });

  /** Resolves with the handshake error, or 'connected'. */
  const tryHandshake = (options: { maxVersion?: 'TLSv1.1' | 'TLSv1.2'; minVersion?: 'TLSv1'; ciphers?: string }): Promise<string> =>
    new Promise((resolve) => {
      const socket = tlsConnect({
        host: '127.0.0.1',
        port: tlsPort,
        ca: readFileSync(certs.caCert),
        cert: readFileSync(certs.clientCert),
        key: readFileSync(certs.clientKey),
        ...options,
      });
      socket.once('secureConnect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.once('error', (err: Error) => {
        resolve(err.message);
      });
    });

  it('TLS 1.2 with a BCP 195 suite connects; TLS 1.1 and a suite without forward secrecy are refused', async () => {
    assert.equal(await tryHandshake({ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' }), 'connected');
    assert.notEqual(await tryHandshake({ maxVersion: 'TLSv1.1', minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' }), 'connected');
    assert.notEqual(await tryHandshake({ maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA' }), 'connected');
    await bridge.waitForLog(/tls\.handshake_failed listener=dicom .*reason=.*(no shared cipher|unsupported protocol|version)/);
  });
});

describe('DICOM TLS alone (dicom.port off)', { skip }, () => {
  let bridge: RunningBridge;
  let certs: TestCertificates;
  before(async () => {
    certs = makeTestCertificates(tempDir('mwl-certs-only-'));
    bridge = await startBridge(['--dicom-port', 'off', ...dicomTlsFlags(certs), '--dicom-host', '127.0.0.1']);
  });
  after(async () => {
    await ifStarted(bridge)?.stop();
    if (ifStarted(certs)) rmSync(certs.dir, { recursive: true, force: true });
  });

  it('no plain port; echoscu +tls and findscu +tls are served on the TLS port', async () => {
    assert.match(bridge.log(), /dicom\.ready .*port=off/);
    const port = String(await dicomTlsPort(bridge));
    assert.match(mllpSendText(bridge.mllpPort, ORDER)[0]![1]!, /^MSA\|AA/);
    const tls = ['+tls', certs.clientKey, certs.clientCert, '+cf', certs.caCert];
    const echo = spawnSync('echoscu', ['-to', '5', '-aec', bridge.aeTitle, ...tls, '127.0.0.1', port], { encoding: 'utf8', timeout: 20000 });
    assert.equal(echo.status, 0, echo.stdout + echo.stderr);
    const find = spawnSync(
      'findscu',
      ['-W', '-to', '10', '-aec', bridge.aeTitle, ...tls, '127.0.0.1', port, '-k', 'PatientID=PAT1001', '-k', 'AccessionNumber'],
      {
        encoding: 'utf8',
        timeout: 30000,
      },
    );
    assert.equal(find.status, 0, find.stderr);
    assert.match(find.stdout + find.stderr, /ACC1001/);
    const ready = await fetch(`http://127.0.0.1:${bridge.httpPort}/ready`);
    assert.equal(ready.status, 200, await ready.text());
    // The listener's certificate expiry (makeTestCertificates: 30 days) in /metrics.
    const metrics = await (await fetch(`http://127.0.0.1:${bridge.httpPort}/metrics`)).text();
    const left = Number(/^mwl_bridge_tls_certificate_expiry_seconds\{listener="dicom"\} (\d+)$/m.exec(metrics)?.[1]);
    assert.ok(left > 29 * 86_400 && left <= 30 * 86_400, `expiry in ${left} s, not about 30 days`);
  });
});
