/**
 * Test certificates made with the openssl command: a CA, a server certificate for 127.0.0.1 and
 * localhost, a client certificate the CA signed, and a client certificate of another CA (a rogue
 * one). RSA 2048 keys, PEM files in one folder.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
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

export function makeTestCertificates(dir: string): TestCertificates {
  makeCa(dir, 'ca');
  makeCa(dir, 'rogue-ca');
  makeLeaf(dir, 'ca', 'server', 'mwl-bridge-test');
  makeLeaf(dir, 'ca', 'client', 'MODALITY_1');
  makeLeaf(dir, 'rogue-ca', 'rogue', 'ROGUE');
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
