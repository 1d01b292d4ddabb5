/**
 * HTTPS (http.tls.*): curl and Node's https client against the bridge's HTTPS listener with
 * certificates made by openssl. With a CA, a client must present a certificate it signed (one
 * without, or of another CA, is refused and logged) and still needs its token; the expiry of the
 * certificate in use is logged ahead of time and exported in /metrics; SIGHUP serves a renewed
 * certificate to new connections. With http.port off the HTTPS listener serves alone, and without
 * tokens it may bind only a loopback address, like the plain port.
 */
import { after, before, describe, it } from '../helpers/suites.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import {
  cliPath,
  ifStarted,
  projectDir,
  skipWithout,
  startBridge,
  startBridgeProcess,
  tempDir,
  type BridgeProcess,
  type RunningBridge,
} from '../helpers/peers.js';
import { makeLeaf, makeTestCertificates, tlsPort, type TestCertificates } from '../helpers/certs.js';

const skip = skipWithout('openssl', 'curl');
const TOKEN = 'mwlb_https-test-token-0123456789';
const DAY_S = 86_400;

interface Answer {
  status: number;
  body: string;
  serverCn: string;
  headers: Record<string, string | string[] | undefined>;
}

/** One GET (or a form POST) over HTTPS with Node's client (a fresh connection each time); rejects when the TLS connection is refused. */
function httpsGet(port: number, path: string, opts: { ca: string; cert?: string; key?: string; token?: string; form?: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: opts.form === undefined ? 'GET' : 'POST',
        agent: false,
        ca: readFileSync(opts.ca),
        ...(opts.cert && opts.key ? { cert: readFileSync(opts.cert), key: readFileSync(opts.key) } : {}),
        headers: {
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
          ...(opts.form === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          const socket = res.socket as unknown as { getPeerCertificate(): { subject?: { CN?: string } } };
          resolve({ status: res.statusCode ?? 0, body, serverCn: socket.getPeerCertificate().subject?.CN ?? '', headers: res.headers });
        });
      },
    );
    req.once('error', reject);
    req.end(opts.form);
  });
}

/** The expiry gauge's value for a listener, from the metrics text. */
function expirySeconds(metrics: string, listener: string): number {
  const m = new RegExp(`^mwl_bridge_tls_certificate_expiry_seconds\\{listener="${listener}"\\} (-?\\d+)$`, 'm').exec(metrics);
  assert.ok(
    m?.[1],
    `no expiry gauge for ${listener} in:\n${metrics
      .split('\n')
      .filter((l) => l.includes('expiry'))
      .join('\n')}`,
  );
  return Number(m[1]);
}

describe('HTTPS with client certificates (http.tls.*)', { skip }, () => {
  let certs: TestCertificates;
  let bridge: BridgeProcess;
  let port: number;
  let httpCert: string;
  let httpKey: string;
  before(async () => {
    certs = makeTestCertificates(tempDir('mwl-https-'));
    // The served certificate expires in 5 days: within tls.expiryWarningDays (30).
    makeLeaf(certs.dir, 'ca', 'http', 'mwl-bridge-https', 5);
    httpCert = join(certs.dir, 'http.crt');
    httpKey = join(certs.dir, 'http.key');
    const tokens = join(certs.dir, 'tokens');
    writeFileSync(tokens, `ops write sha256:${createHash('sha256').update(TOKEN).digest('hex')}\n`, { mode: 0o600 });
    bridge = await startBridgeProcess([
      '--http-tokens-file',
      tokens,
      '--http-tls-port',
      '0',
      '--http-tls-cert',
      httpCert,
      '--http-tls-key',
      httpKey,
      '--http-tls-ca',
      certs.caCert,
    ]);
    port = await tlsPort(bridge, 'http');
  });
  after(async () => {
    await ifStarted(bridge)?.stop();
    if (ifStarted(certs)) rmSync(certs.dir, { recursive: true, force: true });
  });

  it('curl with the client certificate and a token: /metrics over TLS, with the certificate expiry gauge', () => {
    const r = spawnSync(
      'curl',
      [
        '-sS',
        '--tlsv1.2',
        '--cacert',
        certs.caCert,
        '--cert',
        certs.clientCert,
        '--key',
        certs.clientKey,
        '-H',
        `Authorization: Bearer ${TOKEN}`,
        '-w',
        '\\nstatus=%{http_code} verify=%{ssl_verify_result}',
        `https://127.0.0.1:${port}/metrics`,
      ],
      { encoding: 'utf8', timeout: 20000 },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\nstatus=200 verify=0$/);
    const left = expirySeconds(r.stdout, 'http');
    assert.ok(left > 4 * DAY_S && left <= 5 * DAY_S, `expiry in ${left} s, not about 5 days`);
  });

  it('the certificate expiring within tls.expiryWarningDays is logged at start', async () => {
    await bridge.waitForLog(/WARN +tls\.certificate_expiring listener=http .*subject="CN=mwl-bridge-https" .*days_left=4/);
  });

  it('the token is still required over HTTPS', async () => {
    const anonymous = await httpsGet(port, '/metrics', { ca: certs.caCert, cert: certs.clientCert, key: certs.clientKey });
    assert.equal(anonymous.status, 401);
    const health = await httpsGet(port, '/health', { ca: certs.caCert, cert: certs.clientCert, key: certs.clientKey });
    assert.equal(health.status, 200);
    assert.equal(health.serverCn, 'mwl-bridge-https');
  });

  it('a console login over HTTPS sets a Secure cookie', async () => {
    const form = new URLSearchParams({ token: TOKEN, next: '/console' }).toString();
    const login = await httpsGet(port, '/console/login', { ca: certs.caCert, cert: certs.clientCert, key: certs.clientKey, form });
    assert.equal(login.status, 303, login.body);
    assert.match(String(login.headers['set-cookie']), /HttpOnly; SameSite=Strict; Secure/);
  });

  it('a client without a certificate, or with one of another CA, is refused and logged', async () => {
    await assert.rejects(httpsGet(port, '/health', { ca: certs.caCert, token: TOKEN }));
    await bridge.waitForLog(/tls\.handshake_failed listener=http remote=127\.0\.0\.1:\d+ reason="no client certificate"/);
    await assert.rejects(httpsGet(port, '/health', { ca: certs.caCert, cert: certs.rogueCert, key: certs.rogueKey, token: TOKEN }));
    await bridge.waitForLog(/tls\.handshake_failed listener=http remote=127\.0\.0\.1:\d+ reason="client certificate not accepted/);
  });

  it('SIGHUP serves a renewed certificate to new connections; the gauge follows', async () => {
    makeLeaf(certs.dir, 'ca', 'renewed', 'mwl-bridge-https-renewed', 90);
    copyFileSync(join(certs.dir, 'renewed.crt'), httpCert);
    copyFileSync(join(certs.dir, 'renewed.key'), httpKey);
    bridge.process.kill('SIGHUP');
    await bridge.waitForLog(/tls\.reloaded listener=http subject="CN=mwl-bridge-https-renewed"/);
    const metrics = await httpsGet(port, '/metrics', { ca: certs.caCert, cert: certs.clientCert, key: certs.clientKey, token: TOKEN });
    assert.equal(metrics.serverCn, 'mwl-bridge-https-renewed');
    const left = expirySeconds(metrics.body, 'http');
    assert.ok(left > 89 * DAY_S && left <= 90 * DAY_S, `expiry in ${left} s, not about 90 days`);
  });
});

describe('HTTPS alone (http.port off)', { skip }, () => {
  let certs: TestCertificates;
  let bridge: RunningBridge;
  before(async () => {
    certs = makeTestCertificates(tempDir('mwl-https-only-'));
    bridge = await startBridge(['--http-port', 'off', '--http-tls-port', '0', '--http-tls-cert', certs.serverCert, '--http-tls-key', certs.serverKey], {
      http: false,
    });
  });
  after(async () => {
    await ifStarted(bridge)?.stop();
    if (ifStarted(certs)) rmSync(certs.dir, { recursive: true, force: true });
  });

  it('serves /health over TLS without client certificates, and nothing in plain HTTP', async () => {
    assert.doesNotMatch(bridge.log(), /http\.ready/);
    const port = await tlsPort(bridge, 'http');
    assert.match(bridge.log(), /http\.tls_ready .*client_certificates="?not asked/);
    const health = await httpsGet(port, '/health', { ca: certs.caCert });
    assert.equal(health.status, 200);
  });

  it('without tokens it may not bind beyond loopback', () => {
    const dir = tempDir('mwl-https-open-');
    try {
      const r = spawnSync(
        process.execPath,
        [
          cliPath,
          'start',
          '--db',
          join(dir, 'w.db'),
          '--mllp-port',
          'off',
          '--dicom-port',
          '0',
          '--http-port',
          'off',
          '--http-host',
          '0.0.0.0',
          '--http-tls-port',
          '0',
          '--http-tls-cert',
          certs.serverCert,
          '--http-tls-key',
          certs.serverKey,
        ],
        { cwd: projectDir, encoding: 'utf8', timeout: 20000 },
      );
      assert.notEqual(r.status, 0);
      assert.match(r.stderr + r.stdout, /http\.host 0\.0\.0\.0 is not a loopback address, and no access tokens are configured/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
