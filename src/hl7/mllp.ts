/**
 * MLLP listener. node-hl7-server's Server/Inbound own the listening socket, bind address, TLS
 * option and shutdown; the per-connection part is replaced because version 2.5.0 never resets its
 * receive buffer (a second message on one connection re-delivers the first one, so ACKs go out of
 * step), decodes all bytes with one fixed string encoding, has no frame size limit and does not
 * answer unparseable messages (test/integration/mllp-library.test.ts shows this with mllp_send).
 *
 * Here each connection frames bytes itself (MllpFrameDecoder), hands whole frames as bytes to the
 * handler one at a time (so the order of messages on a connection is kept) and writes the reply
 * the handler returns, which the handler produces only after the order is stored.
 */
import type { Socket, AddressInfo } from 'node:net';
import { Server as Hl7Server, Inbound } from 'node-hl7-server';
import type { Logger } from '../log.js';
import { MllpFrameDecoder, frameMllp } from './mllp-frame.js';

export interface PeerInfo {
  remoteAddress: string;
  remotePort: number;
  connectionId: number;
}

/** Gets one framed message (raw bytes) and returns the reply bytes (unframed), or null for none. */
export type MllpMessageHandler = (message: Buffer, peer: PeerInfo) => Promise<Buffer | null>;

export interface MllpListenerOptions {
  host: string;
  port: number;
  maxFrameBytes: number;
  logger: Logger;
  onMessage: MllpMessageHandler;
  /** Reply (unframed) to a frame over maxFrameBytes, given its first bytes; the connection is closed after it. */
  onOversize?: (head: Buffer, bytes: number, peer: PeerInfo) => Buffer | null;
}

/** node-hl7-server's Inbound, with the connection handling above. */
class FramedInbound extends Inbound {
  constructor(server: Hl7Server, port: number, accept: (socket: Socket) => void) {
    super(server, { port }, () => undefined);
    // The base class calls this property for every accepted socket; it is private in its typings.
    (this as unknown as { _onTcpClientConnected: (s: Socket) => void })._onTcpClientConnected = (socket) => {
      (this as unknown as { _sockets: Socket[] })._sockets.push(socket);
      accept(socket);
    };
  }

  address(): AddressInfo | null {
    const server = (this as unknown as { _socket?: { address(): AddressInfo | string | null } })._socket;
    const address = server?.address();
    return address && typeof address === 'object' ? address : null;
  }
}

export class MllpListener {
  private inbound: FramedInbound | undefined;
  private nextConnectionId = 1;
  private readonly open = new Set<Socket>();

  constructor(private readonly opts: MllpListenerOptions) {}

  /** Starts listening; resolves with the bound port once the socket listens. */
  async start(): Promise<number> {
    const server = new Hl7Server({ bindAddress: this.opts.host });
    const inbound = new FramedInbound(server, this.opts.port, (socket) => this.serveConnection(socket));
    this.inbound = inbound;
    await new Promise<void>((resolve, reject) => {
      inbound.once('listen', () => resolve());
      inbound.once('error', (err: Error) => reject(err));
    });
    inbound.on('error', (err: Error) => this.opts.logger.error('mllp.listener_error', { error: err.message }));
    return inbound.address()?.port ?? this.opts.port;
  }

  async stop(): Promise<void> {
    for (const socket of this.open) socket.destroy();
    await this.inbound?.close();
  }

  private serveConnection(socket: Socket): void {
    const { logger, maxFrameBytes, onMessage } = this.opts;
    const peer: PeerInfo = {
      remoteAddress: socket.remoteAddress ?? '?',
      remotePort: socket.remotePort ?? 0,
      connectionId: this.nextConnectionId++,
    };
    this.open.add(socket);
    socket.setNoDelay(true);
    logger.debug('mllp.connected', { connection: peer.connectionId, remote: `${peer.remoteAddress}:${peer.remotePort}` });
    const decoder = new MllpFrameDecoder(maxFrameBytes);
    // One promise chain per connection: messages are handled and answered in arrival order.
    let queue: Promise<void> = Promise.resolve();

    socket.on('data', (chunk: Buffer) => {
      for (const event of decoder.push(chunk)) {
        if (event.type === 'junk') {
          logger.warn('mllp.bytes_outside_frame', { connection: peer.connectionId, bytes: event.bytes.length });
        } else if (event.type === 'oversize') {
          logger.error('mllp.frame_too_large', {
            connection: peer.connectionId,
            bytes: event.bytes,
            limit: maxFrameBytes,
            hint: 'raise mllp.maxFrameBytes if such messages are expected',
          });
          // Answer after the messages before it, then close: the rest of the stream cannot be trusted.
          const { head, bytes } = event;
          queue = queue.then(() => {
            const reply = this.opts.onOversize?.(head, bytes, peer);
            if (reply && !socket.destroyed) socket.end(frameMllp(reply));
            else socket.destroy();
          });
          socket.pause();
          return;
        } else {
          const frame = event.bytes;
          queue = queue.then(async () => {
            try {
              const reply = await onMessage(frame, peer);
              if (reply && !socket.destroyed) socket.write(frameMllp(reply));
            } catch (err) {
              // The handler answers every message itself; reaching here is a bug, not bad input.
              logger.error('mllp.handler_failed', { connection: peer.connectionId, error: (err as Error).message });
            }
          });
        }
      }
    });
    socket.on('error', (err) => logger.warn('mllp.connection_error', { connection: peer.connectionId, error: err.message }));
    socket.on('close', () => {
      this.open.delete(socket);
      if (decoder.pendingBytes() > 0) {
        logger.warn('mllp.truncated_frame', { connection: peer.connectionId, bytes: decoder.pendingBytes(), reason: 'connection closed before the frame ended; nothing was stored' });
      }
      logger.debug('mllp.disconnected', { connection: peer.connectionId });
    });
  }
}
