/**
 * MLLP listener: binds the address and port (through node-hl7-server, see hl7-server-shim.ts for
 * what of it is replaced and why), caps the connections served at once, and gives each accepted
 * socket its own MllpConnection. Shutdown closes the listening socket and every connection.
 */
import type { Socket } from 'node:net';
import type { Logger } from '../log.js';
import type { BridgeMetrics } from '../metrics.js';
import { listenMllp, type MllpServerHandle } from './hl7-server-shim.js';
import { MllpConnection, type MllpMessageHandler, type PeerInfo } from './mllp-connection.js';

export type { MllpMessageHandler, PeerInfo } from './mllp-connection.js';

export interface MllpListenerOptions {
  host: string;
  port: number;
  maxFrameBytes: number;
  /** Connections served at once (mllp.maxConnections); more are closed on accept and logged. */
  maxConnections?: number;
  /** mllp.idleTimeoutSeconds in ms; 0 or absent: never. */
  idleTimeoutMs?: number;
  /** mllp.frameTimeoutSeconds in ms; 0 or absent: never. */
  frameTimeoutMs?: number;
  logger: Logger;
  /** Where refused connections are counted. */
  metrics?: BridgeMetrics;
  onMessage: MllpMessageHandler;
  /** Reply (unframed) to a frame over maxFrameBytes, given its first bytes; the connection is closed after it. */
  onOversize?: (head: Buffer, bytes: number, peer: PeerInfo) => Buffer | null;
}

/** Refused connections are logged at most this often (a flood of them would flood the log). */
const REFUSAL_LOG_INTERVAL_MS = 10_000;

export class MllpListener {
  private server: MllpServerHandle | undefined;
  private nextConnectionId = 1;
  private readonly open = new Set<MllpConnection>();
  private refusedSinceLog = 0;
  private lastRefusalLog = 0;

  constructor(private readonly opts: MllpListenerOptions) {}

  /** Starts listening; resolves with the bound port once the socket listens. */
  async start(): Promise<number> {
    this.server = await listenMllp(
      {
        host: this.opts.host,
        port: this.opts.port,
        maxConnections: this.opts.maxConnections ?? 100,
        onConnection: (socket) => {
          this.accept(socket);
        },
        onRefused: (remote) => {
          this.logRefusal(remote);
        },
      },
      (err) => {
        this.opts.logger.error('mllp.listener_error', { error: err.message, code: (err as NodeJS.ErrnoException).code });
      },
    );
    return this.server.address()?.port ?? this.opts.port;
  }

  /** Connections open now. */
  get connections(): number {
    return this.open.size;
  }

  /** The bound address and port (for logs and tests). */
  address(): { address: string; port: number } | undefined {
    const a = this.server?.address();
    return a ? { address: a.address, port: a.port } : undefined;
  }

  async stop(): Promise<void> {
    for (const connection of this.open) connection.destroy();
    await this.server?.close();
  }

  /** Serves one connection: from the plain port, or from the TLS listener once its handshake is done. */
  accept(socket: Socket): void {
    const peer: PeerInfo = {
      remoteAddress: socket.remoteAddress ?? '?',
      remotePort: socket.remotePort ?? 0,
      connectionId: this.nextConnectionId++,
    };
    const { logger } = this.opts;
    logger.debug('mllp.connected', { connection: peer.connectionId, remote: `${peer.remoteAddress}:${peer.remotePort}` });
    const connection = new MllpConnection(socket, peer, {
      maxFrameBytes: this.opts.maxFrameBytes,
      idleTimeoutMs: this.opts.idleTimeoutMs ?? 0,
      frameTimeoutMs: this.opts.frameTimeoutMs ?? 0,
      logger,
      onMessage: this.opts.onMessage,
      onOversize: this.opts.onOversize,
    });
    this.open.add(connection);
    this.opts.metrics?.mllpConnectionAccepted();
    socket.once('close', () => this.open.delete(connection));
  }

  private logRefusal(remote: string): void {
    this.opts.metrics?.mllpConnectionRefused();
    this.refusedSinceLog++;
    const now = Date.now();
    if (now - this.lastRefusalLog < REFUSAL_LOG_INTERVAL_MS) return;
    this.opts.logger.warn('mllp.connection_refused', {
      remote,
      refused: this.refusedSinceLog,
      open: this.open.size,
      limit: this.opts.maxConnections ?? 100,
      reason: 'mllp.maxConnections connections are open; this one was closed on accept',
    });
    this.refusedSinceLog = 0;
    this.lastRefusalLog = now;
  }
}
