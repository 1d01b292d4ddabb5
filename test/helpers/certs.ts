/**
 * Test certificates made with the openssl command: a CA, a server certificate for 127.0.0.1 and
 * localhost, a client certificate the CA signed, and a client certificate of another CA (a rogue
 * one). RSA 2048 keys, PEM files in one folder.
 *
 * The set is made once and copied into each caller's folder: eight openssl runs with RSA key
 * generation cost about a second of CPU, and ten test files asked for it. A set is reused for an
 * hour (so a certificate's 30 days stand within a day), and only by the same code (the cache is
 * named by the source of the functions that make it).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificates {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  rogueCert: string;
  rogueKey: string;
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
}

/** A self-signed CA: key and certificate. */
function makeCa(dir: string, name: string): void {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '30', '-subj', `/CN=${name}`], dir);
}

/** A key and a certificate for CN, signed by the CA named; days may be short to test expiry warnings. */
export function makeLeaf(dir: string, ca: string, name: string, cn: string, days = 30): void {
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.crt`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      String(days),
      '-extfile',
      ext,
    ],
    dir,
  );
  chmodSync(join(dir, `${name}.key`), 0o600);
}

/** The files of a set, keys included (makeLeaf signs with ca.key in the caller's folder). */
const SET_FILES = ['ca', 'rogue-ca', 'server', 'client', 'rogue'].flatMap((name) => [`${name}.crt`, `${name}.key`]);
/** The last file written: a set without it is still being made (or was left half made). */
const COMPLETE = 'complete';
const SET_MAX_AGE_MS = 60 * 60 * 1000;

function makeSet(dir: string): void {
  makeCa(dir, 'ca');
  makeCa(dir, 'rogue-ca');
  makeLeaf(dir, 'ca', 'server', 'mwl-bridge-test');
  makeLeaf(dir, 'ca', 'client', 'MODALITY_1');
  makeLeaf(dir, 'rogue-ca', 'rogue', 'ROGUE');
}

/**
 * A folder holding a complete set made less than an hour ago, made now if there is none. Sets live
 * in folders named by their creation time, each written by one process and marked complete last,
 * so test files running side by side never read a half-made one; old sets are removed.
 */
function cachedSet(): string {
  const source = [makeCa, makeLeaf, makeSet].map(String).join('\n');
  const root = join(tmpdir(), 'mwl-test-certs', createHash('sha256').update(source).digest('hex').slice(0, 16));
  mkdirSync(root, { recursive: true });
  const now = Date.now();
  let fresh: string | undefined;
  for (const entry of readdirSync(root).sort()) {
    const age = now - Number(entry.split('-')[0]);
    if (!(age < 2 * SET_MAX_AGE_MS)) rmSync(join(root, entry), { recursive: true, force: true });
    else if (age < SET_MAX_AGE_MS && existsSync(join(root, entry, COMPLETE))) fresh = join(root, entry);
  }
  if (fresh) return fresh;
  const dir = join(root, `${now}-${process.pid}`);
  mkdirSync(dir);
  makeSet(dir);
  writeFileSync(join(dir, COMPLETE), '');
  return dir;
}

export function makeTestCertificates(dir: string): TestCertificates {
  try {
    const set = cachedSet();
    for (const file of SET_FILES) copyFileSync(join(set, file), join(dir, file));
    for (const file of SET_FILES.filter((f) => f.endsWith('.key'))) chmodSync(join(dir, file), 0o600);
  } catch {
    // A cache that cannot be written or read (another user's folder, files cleaned away): made here.
    makeSet(dir);
  }
  const at = (f: string): string => join(dir, f);
  return {
    dir,
    caCert: at('ca.crt'),
    serverCert: at('server.crt'),
    serverKey: at('server.key'),
    clientCert: at('client.crt'),
    clientKey: at('client.key'),
    rogueCert: at('rogue.crt'),
    rogueKey: at('rogue.key'),
  };
}

/** The flags that start a bridge's DICOM TLS listener on any free port with the test certificates (client certificates required). */
export function dicomTlsFlags(certs: TestCertificates): string[] {
  return ['--dicom-tls-port', '0', '--dicom-tls-cert', certs.serverCert, '--dicom-tls-key', certs.serverKey, '--dicom-tls-ca', certs.caCert];
}

/** The DICOM TLS port a started bridge bound, from its dicom.tls_ready line. */
export function dicomTlsPort(bridge: { waitForLog(pattern: RegExp): Promise<string> }): Promise<number> {
  return tlsPort(bridge, 'dicom');
}

/** The port of a started bridge's TLS listener (dicom, mllp, http), from its AREA.tls_ready line. */
export async function tlsPort(bridge: { waitForLog(pattern: RegExp): Promise<string> }, area: 'dicom' | 'mllp' | 'http'): Promise<number> {
  const pattern = new RegExp(`${area}\\.tls_ready .*port=(\\d+)`);
  const port = pattern.exec(await bridge.waitForLog(pattern))?.[1];
  if (port === undefined) throw new Error(`no ${area}.tls_ready line with a port`);
  return Number(port);
}
