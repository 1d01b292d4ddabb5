/**
 * A listener's TLS material: certificate, key and optional CA read from their files, checked, and
 * described for the log (subject, expiry). Read again on SIGHUP; a set that fails to load keeps the
 * one in use.
 */
import { readFileSync, statSync } from 'node:fs';
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import type { Logger } from '../log.js';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** When set, peers must present a certificate signed by one of these authorities. */
  caFile?: string | undefined;
}

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca: Buffer | undefined;
  /** The leaf certificate (first of the chain). */
  leaf: X509Certificate;
}

const DAY_MS = 86_400_000;

/** Reads and checks the files; throws with the file named when one cannot be used. */
export function loadTlsMaterial(files: TlsFiles): TlsMaterial {
  const cert = readNamed(files.certFile, 'certificate');
  const key = readNamed(files.keyFile, 'key');
  const ca = files.caFile ? readNamed(files.caFile, 'CA') : undefined;
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (err) {
    throw new Error(`${files.certFile}: not a PEM certificate (${(err as Error).message})`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new Error(`${files.keyFile}: not an unencrypted PEM private key (${(err as Error).message})`);
  }
  if (!leaf.checkPrivateKey(privateKey)) throw new Error(`${files.keyFile}: the key does not belong to the certificate in ${files.certFile}`);
  if (ca) {
    try {
      new X509Certificate(ca);
    } catch (err) {
      throw new Error(`${files.caFile ?? ''}: not a PEM certificate (${(err as Error).message})`);
    }
  }
  return { cert, key, ca, leaf };
}

function readNamed(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`${what} file ${path} cannot be read: ${(err as Error).message}`);
  }
}

/** Days until the certificate's notAfter (negative once past). */
export function daysLeft(leaf: X509Certificate, now = Date.now()): number {
  return Math.floor((Date.parse(leaf.validTo) - now) / DAY_MS);
}

/**
 * Logs what an operator must act on: a certificate expiring within warningDays (or expired, or not
 * yet valid) and a key file that group or others may read or write.
 */
export function reportTlsMaterial(listener: string, files: TlsFiles, material: TlsMaterial, warningDays: number, logger: Logger): void {
  const { leaf } = material;
  const left = daysLeft(leaf);
  const fields = {
    listener,
    file: files.certFile,
    subject: leaf.subject.replace(/\n/g, ', '),
    not_after: new Date(leaf.validTo).toISOString(),
    days_left: left,
  };
  if (left < 0) logger.error('tls.certificate_expired', { ...fields, effect: 'peers that check it refuse the connection' });
  else if (left <= warningDays) logger.warn('tls.certificate_expiring', fields);
  if (Date.parse(leaf.validFrom) > Date.now()) logger.warn('tls.certificate_not_yet_valid', { ...fields, not_before: new Date(leaf.validFrom).toISOString() });
  const mode = keyFileMode(files.keyFile);
  if (mode !== undefined && (mode & 0o077) !== 0) {
    logger.warn('tls.key_file_permissions', {
      listener,
      file: files.keyFile,
      mode: (mode & 0o777).toString(8).padStart(4, '0'),
      hint: `chmod 600 ${files.keyFile} (readable by the bridge's user only)`,
    });
  }
}

function keyFileMode(path: string): number | undefined {
  try {
    return statSync(path).mode;
  } catch {
    return undefined;
  }
}
