/**
 * TLS for a connection the bridge opens (to the RIS that receives MPPS status messages): the same
 * BCP 195 profile as the listeners, the peer verified against a CA file (or the system's CAs) and
 * its name, and an optional client certificate. The files are read at start and again by reload()
 * (SIGHUP); a set that fails to load keeps the one in use.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { isIP } from 'node:net';
import type { Logger } from '../log.js';
import { errorMessage } from '../errors.js';
import { loadTlsMaterial, reportTlsMaterial, type TlsMaterial } from './material.js';
import { BCP195_CIPHERS } from './secure-listener.js';

export interface ClientTlsFiles {
  /** Authorities that sign the peer's certificate; undefined: the system's. */
  caFile?: string | undefined;
  /** The bridge's own certificate and key, presented when the peer asks (both or neither). */
  certFile?: string | undefined;
  keyFile?: string | undefined;
}

interface ClientMaterial {
  ca: Buffer | undefined;
  own: TlsMaterial | undefined;
}

export class ClientTls {
  private material: ClientMaterial;

  /** Reads the files (throws naming the file when one is unusable) and reports the client certificate's expiry. */
  constructor(
    private readonly name: string,
    private readonly files: ClientTlsFiles,
    private readonly expiryWarningDays: number,
    private readonly logger: Logger,
  ) {
    this.material = this.load();
    this.report();
  }

  /** Options of tls.connect for host:port (the peer's name or address is checked against its certificate). */
  connectOptions(host: string, port: number): ConnectionOptions {
    const { ca, own } = this.material;
    return {
      host,
      port,
      // SNI carries a name, never an address (RFC 6066); the certificate is checked against either.
      ...(isIP(host) === 0 ? { servername: host } : {}),
      minVersion: 'TLSv1.2',
      ciphers: BCP195_CIPHERS,
      ...(ca ? { ca } : {}),
      ...(own ? { cert: own.cert, key: own.key } : {}),
    };
  }

  /** Reads the files again for the next connections; a set that fails to load is logged and the one in use kept. */
  reload(): boolean {
    try {
      this.material = this.load();
    } catch (err) {
      this.logger.error('tls.reload_failed', { listener: this.name, error: errorMessage(err), effect: 'the certificates in use are kept' });
      return false;
    }
    this.logger.info('tls.reloaded', { listener: this.name, ...(this.notAfter ? { not_after: this.notAfter.toISOString() } : {}) });
    this.report();
    return true;
  }

  /** Logs an expiring client certificate and a key file others can read (at start, reload and daily). */
  report(): void {
    const { own } = this.material;
    const { certFile, keyFile } = this.files;
    if (own && certFile && keyFile) reportTlsMaterial(this.name, { certFile, keyFile }, own, this.expiryWarningDays, this.logger);
  }

  /** When the client certificate expires; undefined without one. */
  get notAfter(): Date | undefined {
    const own = this.material.own;
    return own ? new Date(own.leaf.validTo) : undefined;
  }

  private load(): ClientMaterial {
    const { caFile, certFile, keyFile } = this.files;
    if (Boolean(certFile) !== Boolean(keyFile)) throw new Error(`${this.name}: a client certificate needs both its certificate and its key file`);
    let ca: Buffer | undefined;
    if (caFile) {
      try {
        ca = readFileSync(caFile);
      } catch (err) {
        throw new Error(`CA file ${caFile} cannot be read: ${errorMessage(err)}`);
      }
    }
    const own = certFile && keyFile ? loadTlsMaterial({ certFile, keyFile }) : undefined;
    return { ca, own };
  }
}
