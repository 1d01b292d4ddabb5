/**
 * A TLS listening socket per the BCP 195 profiles of DICOM PS3.15 (TLS 1.2 minimum, 1.3
 * preferred, AEAD cipher suites with forward secrecy only), feeding each established connection to
 * the same handling as the plain port. Handshakes have a deadline; a refused one (no or a wrong
 * client certificate, plaintext, an old protocol, a timeout) is logged and closed, never thrown.
 * The certificate, key and CA are read again by reload() (SIGHUP) and used for new connections.
 */
import { createServer, type Server, type TLSSocket, type SecureContextOptions } from 'node:tls';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from '../log.js';
import { errorMessage } from '../errors.js';
import { throttledLogger, type ThrottledLogger } from '../log-throttle.js';
import { loadTlsMaterial, reportTlsMaterial, type TlsFiles, type TlsMaterial } from './material.js';

/**
 * BCP 195 (RFC 9325 4.2) recommended suites: TLS 1.3's AEAD suites, and for TLS 1.2 ECDHE with
 * AES-GCM or ChaCha20-Poly1305 (forward secrecy, AEAD); the DHE variants need DH parameters and are
 * left out. OpenSSL names; Node takes TLS 1.3 suites in the same list.
 */
export const BCP195_CIPHERS = [
  'TLS_AES_256_GCM_SHA384',
  'TLS_AES_128_GCM_SHA256',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

export interface SecureListenerOptions {
  /** Which listener, in log lines and metrics: dicom, mllp or http. */
  name: string;
  files: TlsFiles;
  handshakeTimeoutMs: number;
  expiryWarningDays: number;
  /** TCP connections at once, handshaking ones included; more are closed on accept. */
  maxConnections: number;
  logger: Logger;
  onConnection: (socket: TLSSocket) => void;
  /** A peer refused during the handshake (for the audit trail). */
  onRefused?: ((remote: string, reason: string) => void) | undefined;
}

export class SecureListener {
  private server: Server | undefined;
  private material: TlsMaterial;
  private readonly noisy: ThrottledLogger;
  private readonly sockets = new Set<Socket>();

  /** Reads the files (throws naming the file when one is unusable) and reports expiry and key permissions. */
  constructor(private readonly opts: SecureListenerOptions) {
    this.material = loadTlsMaterial(opts.files);
    this.noisy = throttledLogger(opts.logger);
    this.report();
  }

  /** Whether peers must present a certificate (a CA file is configured). */
  get verifiesPeers(): boolean {
    return this.material.ca !== undefined;
  }

  async listen(host: string, port: number): Promise<number> {
    const { opts } = this;
    const server = createServer({
      ...this.contextOptions(),
      minVersion: 'TLSv1.2',
      ciphers: BCP195_CIPHERS,
      honorCipherOrder: true,
      handshakeTimeout: opts.handshakeTimeoutMs,
    });
    server.maxConnections = opts.maxConnections;
    // Every TCP connection, handshaking or not, so that close() ends them all at once.
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    server.on('secureConnection', (socket: TLSSocket) => {
      if (this.verifiesPeers && !socket.authorized) {
        this.refuse(socket, unverifiedReason(socket));
        return;
      }
      opts.logger.debug(`${opts.name}.tls_connected`, {
        remote: remoteOf(socket),
        protocol: socket.getProtocol() ?? undefined,
        cipher: socket.getCipher().name,
        peer: peerName(socket),
      });
      opts.onConnection(socket);
    });
    server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
      this.refuse(socket, err.code === 'ERR_TLS_HANDSHAKE_TIMEOUT' ? `no handshake within ${opts.handshakeTimeoutMs / 1000} s` : err.message, err.code);
    });
    server.on('drop', (data?: { remoteAddress?: string; remotePort?: number }) => {
      this.noisy.warn('tls.connection_refused', {
        listener: opts.name,
        remote: `${data?.remoteAddress ?? '?'}:${data?.remotePort ?? 0}`,
        reason: `${opts.maxConnections} TLS connections are open`,
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err: Error) => {
      opts.logger.error(`${opts.name}.tls_listener_error`, { error: err.message });
    });
    return (server.address() as AddressInfo).port;
  }

  /** Logs a refused peer and closes its connection. */
  private refuse(socket: TLSSocket, reason: string, code?: string): void {
    const remote = remoteOf(socket);
    this.noisy.warn('tls.handshake_failed', { listener: this.opts.name, remote, reason, code });
    socket.destroy();
    this.opts.onRefused?.(remote, reason);
  }

  /**
   * Reads certificate, key and CA again and uses them for new connections (open ones keep theirs).
   * A set that fails to load is logged and the one in use kept. Returns whether it was replaced.
   */
  reload(): boolean {
    const { opts } = this;
    try {
      this.material = loadTlsMaterial(opts.files);
    } catch (err) {
      opts.logger.error('tls.reload_failed', { listener: opts.name, error: errorMessage(err), effect: 'the certificate in use is kept' });
      return false;
    }
    const { cert, key, ca } = this.material;
    this.server?.setSecureContext({ cert, key, ...(ca ? { ca } : {}) });
    opts.logger.info('tls.reloaded', {
      listener: opts.name,
      subject: this.material.leaf.subject.replace(/\n/g, ', '),
      not_after: new Date(this.material.leaf.validTo).toISOString(),
    });
    this.report();
    return true;
  }

  /** Logs an expiring or expired certificate and a key file others can read (at start, reload and daily). */
  report(): void {
    reportTlsMaterial(this.opts.name, this.opts.files, this.material, this.opts.expiryWarningDays, this.opts.logger);
  }

  /** Which listener: dicom, mllp or http. */
  get name(): string {
    return this.opts.name;
  }

  /** When the certificate in use expires. */
  get notAfter(): Date {
    return new Date(this.material.leaf.validTo);
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    const closed = new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private contextOptions(): SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean } {
    const { cert, key, ca } = this.material;
    // With a CA, every peer is asked for a certificate, and one without a certificate the CA signed
    // is refused in secureConnection: there its address and the verification error can still be
    // logged (with rejectUnauthorized, Node destroys the socket first and reports "socket hang up").
    return { cert, key, ...(ca ? { ca } : {}), requestCert: ca !== undefined, rejectUnauthorized: false };
  }
}

/** The peer certificate's common name, when it presented one. */
export function peerName(socket: TLSSocket): string | undefined {
  const subject = socket.getPeerCertificate().subject as Record<string, unknown> | undefined;
  const cn = subject?.CN;
  return Array.isArray(cn) ? cn.join(',') : typeof cn === 'string' ? cn : undefined;
}

/** Why a peer's certificate was not accepted. */
function unverifiedReason(socket: TLSSocket): string {
  const presented = Object.keys(socket.getPeerCertificate()).length > 0;
  if (!presented) return 'no client certificate';
  return `client certificate not accepted: ${String(socket.authorizationError)}`;
}

function remoteOf(socket: TLSSocket): string {
  return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
}
