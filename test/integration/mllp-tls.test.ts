/**
 * MLLP over TLS (mllp.tls.*): an order sent over TLS with a client certificate gets its AA; a
 * sender without a certificate is refused and logged; SIGHUP reads the certificate again (a new
 * one is served to new connections, a broken one is refused and the old kept); expiry is warned
 * about. First, why the bridge runs its own TLS listener rather than node-hl7-server's `tls`
 * option: that option passes only key, cert, requestCert and ca to tls.createServer, so its
 * protocol versions and suites cannot be held to BCP 195 (measured below: it accepts a TLS 1.2
 * peer offering only AES128-SHA, a suite without forward secrecy), its handshakes wait Node's
 * default 120 s, and a certificate cannot be replaced without a restart.
 */
import { after, before, describe, it } from '../helpers/suites.js';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type ConnectionOptions } from 'node:tls';
import { Server as Hl7Server } from 'node-hl7-server';
import { ifStarted, projectDir, skipWithout, startBridge, startBridgeProcess, tempDir, type BridgeProcess } from '../helpers/peers.js';
import { makeLeaf, makeTestCertificates, type TestCertificates } from '../helpers/certs.js';

const skip = skipWithout('openssl');
const ORDER = readFileSync(join(projectDir, 'samples', 'orm-ct-head.hl7'));

/** Sends one framed message over TLS; resolves with the reply (unframed) and the server's certificate CN, or rejects. */
function sendOverTls(options: ConnectionOptions, message: Buffer): Promise<{ reply: string; serverCn: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(options);
    let received = Buffer.alloc(0);
    socket.once('secureConnect', () => {
      socket.write(Buffer.concat([Buffer.from([0x0b]), message, Buffer.from([0x1c, 0x0d])]));
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf(0x1c);
      if (end < 0) return;
      const subject = socket.getPeerCertificate().subject as Record<string, unknown> | undefined;
      const cn = subject?.CN;
      socket.end();
      resolve({ reply: received.subarray(1, end).toString('utf8'), serverCn: typeof cn === 'string' ? cn : '' });
    });
    socket.once('error', reject);
    socket.once('close', () => {
      reject(new Error(`closed after ${received.length} bytes without a reply`));
    });
  });
}

describe('node-hl7-server TLS option (why the bridge has its own)', { skip }, () => {
  let certs: TestCertificates;
  before(() => {
    certs = makeTestCertificates(tempDir('mwl-certs-'));
  });
  after(() => {
    if (ifStarted(certs)) rmSync(certs.dir, { recursive: true, force: true });
  });

  it('accepts a TLS 1.2 peer offering only AES128-SHA (no forward secrecy, outside BCP 195)', async () => {
    const server = new Hl7Server({ bindAddress: '127.0.0.1', tls: { key: readFileSync(certs.serverKey), cert: readFileSync(certs.serverCert) } });
    let port = 0;
    const inbound = server.createInbound({ port: 0 }, () => undefined);
    await new Promise<void>((resolve) => inbound.once('listen', resolve));
    port = (inbound as unknown as { _socket: { address(): { port: number } } })._socket.address().port;
    const cipher = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, ca: readFileSync(certs.caCert), maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA' });
      socket.once('secureConnect', () => {
        resolve(socket.getCipher().name);
        socket.destroy();
      });
      socket.once('error', reject);
    });
    await inbound.close();
    assert.equal(cipher, 'AES128-SHA');
  });
});

describe('MLLP over TLS', { skip }, () => {
  let bridge: BridgeProcess;
  let certs: TestCertificates;
  let port: number;
  before(async () => {
    certs = makeTestCertificates(tempDir('mwl-certs-'));
    bridge = await startBridgeProcess([
      '--mllp-tls-port',
      '0',
      '--mllp-tls-cert',
      certs.serverCert,
      '--mllp-tls-key',
      certs.serverKey,
      '--mllp-tls-ca',
      certs.caCert,
    ]);
    const log = await bridge.waitForLog(/mllp\.tls_ready .*port=(\d+)/);
    port = Number(/mllp\.tls_ready .*port=(\d+)/.exec(log)![1]);
  });
  after(async () => {
    await ifStarted(bridge)?.stop();
    if (ifStarted(certs)) rmSync(certs.dir, { recursive: true, force: true });
  });

  const client = (withCertificate = true): ConnectionOptions => ({
    host: '127.0.0.1',
    port,
    ca: readFileSync(certs.caCert),
    ...(withCertificate ? { cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) } : {}),
  });

  it('an order over TLS with a client certificate gets its AA and is stored', async () => {
    const { reply, serverCn } = await sendOverTls(client(), ORDER);
    assert.match(reply, /\rMSA\|AA\|MSG00001/);
    assert.equal(serverCn, 'mwl-bridge-test');
    await bridge.waitForLog(/hl7\.message_applied control_id=MSG00001 .*actions=created/);
  });

  it('with mllp.port off, the TLS port alone takes orders', async () => {
    const tlsOnly = await startBridge(
      ['--mllp-tls-port', '0', '--mllp-tls-cert', certs.serverCert, '--mllp-tls-key', certs.serverKey, '--mllp-tls-ca', certs.caCert],
      {
        mllp: false,
      },
    );
    try {
      const log = await tlsOnly.waitForLog(/mllp\.tls_ready .*port=(\d+)/);
      assert.match(log, /mllp\.plain_port_off /);
      assert.doesNotMatch(log, /mllp\.ready /);
      const { reply } = await sendOverTls({ ...client(), port: Number(/mllp\.tls_ready .*port=(\d+)/.exec(log)![1]) }, ORDER);
      assert.match(reply, /\rMSA\|AA\|MSG00001/);
      await tlsOnly.waitForLog(/hl7\.message_applied control_id=MSG00001 .*actions=created/);
    } finally {
      await tlsOnly.stop();
    }
  });

  it('a sender without a certificate gets no reply and is logged', async () => {
    await assert.rejects(sendOverTls(client(false), ORDER));
    await bridge.waitForLog(/tls\.handshake_failed listener=mllp remote=127\.0\.0\.1:\d+ reason="no client certificate"/);
  });

  it('SIGHUP serves a renewed certificate to new connections, and warns that it expires soon', async () => {
    makeLeaf(certs.dir, 'ca', 'renewed', 'mwl-bridge-renewed', 5);
    copyFileSync(join(certs.dir, 'renewed.crt'), certs.serverCert);
    copyFileSync(join(certs.dir, 'renewed.key'), certs.serverKey);
    bridge.process.kill('SIGHUP');
    await bridge.waitForLog(/tls\.reloaded listener=mllp subject="CN=mwl-bridge-renewed"/);
    await bridge.waitForLog(/WARN +tls\.certificate_expiring listener=mllp .*subject="CN=mwl-bridge-renewed" .*days_left=4/);
    const { reply, serverCn } = await sendOverTls(client(), ORDER);
    assert.equal(serverCn, 'mwl-bridge-renewed');
    assert.match(reply, /\rMSA\|AA\|MSG00001/);
  });

  it('a broken certificate on SIGHUP is refused and the one in use kept', async () => {
    writeFileSync(certs.serverCert, 'not a certificate\n');
    bridge.process.kill('SIGHUP');
    await bridge.waitForLog(/ERROR +tls\.reload_failed listener=mllp .*effect="the certificate in use is kept"/);
    const { serverCn } = await sendOverTls(client(), ORDER);
    assert.equal(serverCn, 'mwl-bridge-renewed');
  });
});
