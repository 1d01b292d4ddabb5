/**
 * One MLLP connection: frames its bytes (MllpFrameDecoder), hands whole frames to the handler one
 * at a time (so the messages of a connection are answered in order) and writes each reply the
 * handler returns, which it produces only after the order is stored. Protocol only: it knows
 * nothing of HL7 content beyond the bytes of a frame, nor of mapping or storage.
 *
 * What a peer can do to it, and what it does:
 * - pipeline many or large frames without reading the replies: reading stops (socket.pause) while
 *   the unanswered frames or their bytes, or the replies not yet taken by the peer, exceed a bound
 *   (backpressure), and resumes when they fall below it; memory per connection stays bounded;
 * - send nothing: closed after idleTimeoutMs without a complete frame or a reply (mllp.idle_timeout);
 * - send a frame slowly (or bytes that never make one): closed frameTimeoutMs after the first byte
 *   of a frame that has not ended (mllp.frame_timeout), however steadily the bytes trickle in;
 * - cut a frame short with a new VT: the partial frame is logged (mllp.truncated_frame), the new one read;
 * - send a frame over maxFrameBytes: answered by onOversize, then closed (mllp.frame_too_large).
 */
import type { Socket } from 'node:net';
import type { Logger } from '../log.js';
import { MllpFrameDecoder, frameMllp } from './mllp-frame.js';
import { errorMessage } from '../errors.js';

export interface PeerInfo {
  remoteAddress: string;
  remotePort: number;
  connectionId: number;
}

/** Gets one framed message (raw bytes) and returns the reply bytes (unframed), or null for none. */
export type MllpMessageHandler = (message: Buffer, peer: PeerInfo) => Promise<Buffer | null>;

export interface ConnectionOptions {
  maxFrameBytes: number;
  /** 0: never. */
  idleTimeoutMs: number;
  /** 0: never. */
  frameTimeoutMs: number;
  logger: Logger;
  onMessage: MllpMessageHandler;
  /** Reply (unframed) to a frame over maxFrameBytes, given its first bytes; the connection is closed after it. */
  onOversize?: ((head: Buffer, bytes: number, peer: PeerInfo) => Buffer | null) | undefined;
}

/** Unanswered frames a connection may have queued before reading stops. */
export const MAX_PENDING_FRAMES = 32;
/** Replies written but not yet taken by the peer before reading stops (a peer that does not read its ACKs). */
export const MAX_UNREAD_REPLY_BYTES = 256 * 1024;
/** Unanswered bytes a connection may have queued before reading stops: two frames of the largest size, at least 4 MiB. */
export function maxPendingBytes(maxFrameBytes: number): number {
  return Math.max(4 * 1024 * 1024, 2 * maxFrameBytes);
}
/** After a close for a timeout or an oversize frame, a peer that does not take the FIN is cut off after this. */
const CLOSE_GRACE_MS = 5000;

export class MllpConnection {
  private readonly decoder: MllpFrameDecoder;
  /** One promise chain per connection: messages are handled and answered in arrival order. */
  private queue: Promise<void> = Promise.resolve();
  private pendingFrames = 0;
  private pendingBytes = 0;
  private paused = false;
  private pauseCount = 0;
  private closing = false;
  private lastActivity = Date.now();
  private idleTimer: NodeJS.Timeout | undefined;
  /** Runs from the first byte of an unfinished frame (or of bytes outside a frame) until a frame ends. */
  private frameTimer: NodeJS.Timeout | undefined;
  private readonly pendingBytesLimit: number;

  constructor(
    private readonly socket: Socket,
    readonly peer: PeerInfo,
    private readonly opts: ConnectionOptions,
  ) {
    this.decoder = new MllpFrameDecoder(opts.maxFrameBytes);
    this.pendingBytesLimit = maxPendingBytes(opts.maxFrameBytes);
    socket.setNoDelay(true);
    // A RIS that keeps one quiet connection open all night: dead peers are found by TCP keepalive.
    socket.setKeepAlive(true, 60_000);
    socket.on('data', (chunk: Buffer) => {
      this.onData(chunk);
    });
    socket.on('drain', () => {
      this.updateBackpressure();
    });
    socket.on('error', (err) => {
      opts.logger.warn('mllp.connection_error', { connection: peer.connectionId, error: err.message });
    });
    socket.on('close', () => {
      this.onClose();
    });
    if (opts.idleTimeoutMs > 0) this.scheduleIdleCheck(opts.idleTimeoutMs);
  }

  private onData(chunk: Buffer): void {
    const { logger } = this.opts;
    const connection = this.peer.connectionId;
    let junk = false;
    for (const event of this.decoder.push(chunk)) {
      switch (event.type) {
        case 'junk':
          junk = true;
          logger.warn('mllp.bytes_outside_frame', { connection, bytes: event.bytes });
          break;
        case 'truncated':
          logger.warn('mllp.truncated_frame', {
            connection,
            bytes: event.bytes,
            reason: 'a VT started a new frame before this one ended (FS CR); nothing of it was stored or answered',
            head: headText(event.head),
          });
          break;
        case 'oversize':
          logger.error('mllp.frame_too_large', {
            connection,
            bytes: event.bytes,
            limit: this.opts.maxFrameBytes,
            hint: 'raise mllp.maxFrameBytes if such messages are expected',
          });
          this.rejectOversize(event.head, event.bytes);
          return;
        case 'frame':
          this.clearFrameTimer();
          this.enqueue(event.bytes);
          break;
      }
    }
    if ((junk || this.decoder.inPartialFrame()) && !this.paused) this.armFrameTimer();
    this.updateBackpressure();
  }

  private enqueue(frame: Buffer): void {
    this.pendingFrames++;
    this.pendingBytes += frame.length;
    this.lastActivity = Date.now();
    this.queue = this.queue.then(async () => {
      try {
        const reply = await this.opts.onMessage(frame, this.peer);
        if (reply && !this.socket.destroyed) this.socket.write(frameMllp(reply));
      } catch (err) {
        // The handler answers every message itself; reaching here is a bug, not bad input.
        this.opts.logger.error('mllp.handler_failed', { connection: this.peer.connectionId, error: errorMessage(err) });
      } finally {
        this.pendingFrames--;
        this.pendingBytes -= frame.length;
        this.lastActivity = Date.now();
        this.updateBackpressure();
      }
    });
  }

  /** Stops reading while too much is unanswered or unread by the peer; resumes below the bounds. */
  private updateBackpressure(): void {
    if (this.closing || this.socket.destroyed) return;
    const over =
      this.pendingFrames >= MAX_PENDING_FRAMES || this.pendingBytes >= this.pendingBytesLimit || this.socket.writableLength >= MAX_UNREAD_REPLY_BYTES;
    if (over && !this.paused) {
      this.paused = true;
      this.socket.pause();
      // The peer cannot finish a frame while we do not read: its timer waits for reading to resume.
      this.clearFrameTimer();
      const fields = {
        connection: this.peer.connectionId,
        unanswered: this.pendingFrames,
        unanswered_bytes: this.pendingBytes,
        unread_reply_bytes: this.socket.writableLength,
      };
      // The first pause of a connection is worth a line; a peer that pipelines pauses often.
      if (this.pauseCount++ === 0)
        this.opts.logger.info('mllp.reading_paused', { ...fields, reason: 'backpressure: reading resumes as replies are answered and taken' });
      else this.opts.logger.debug('mllp.reading_paused', fields);
    } else if (!over && this.paused) {
      this.paused = false;
      this.socket.resume();
      if (this.decoder.inPartialFrame()) this.armFrameTimer();
      this.opts.logger.debug('mllp.reading_resumed', { connection: this.peer.connectionId });
    }
  }

  private rejectOversize(head: Buffer, bytes: number): void {
    this.socket.pause();
    this.closing = true;
    this.clearFrameTimer();
    // Answer after the messages before it, then close: the rest of the stream cannot be trusted.
    this.queue = this.queue.then(() => {
      const reply = this.opts.onOversize?.(head, bytes, this.peer);
      this.closeGently(reply ? frameMllp(reply) : undefined);
    });
  }

  /** Checks idleness every idleTimeoutMs (or when the current stretch of idleness would reach it). */
  private scheduleIdleCheck(ms: number): void {
    this.idleTimer = setTimeout(
      () => {
        this.checkIdle();
      },
      Math.max(ms, 10),
    );
    this.idleTimer.unref();
  }

  private checkIdle(): void {
    const limit = this.opts.idleTimeoutMs;
    const idleFor = Date.now() - this.lastActivity;
    // A message being handled is not idleness.
    if (this.pendingFrames === 0 && idleFor >= limit) {
      this.opts.logger.info('mllp.idle_timeout', {
        connection: this.peer.connectionId,
        idle_seconds: Math.round(idleFor / 1000),
        limit_seconds: limit / 1000,
        effect: 'connection closed (mllp.idleTimeoutSeconds); the sender reconnects for its next message',
      });
      this.close();
      return;
    }
    this.scheduleIdleCheck(this.pendingFrames > 0 ? limit : limit - idleFor);
  }

  private armFrameTimer(): void {
    const { frameTimeoutMs } = this.opts;
    if (frameTimeoutMs <= 0 || this.frameTimer) return;
    this.frameTimer = setTimeout(() => {
      this.frameTimer = undefined;
      this.opts.logger.warn('mllp.frame_timeout', {
        connection: this.peer.connectionId,
        bytes: this.decoder.pendingBytes(),
        limit_seconds: frameTimeoutMs / 1000,
        effect: 'connection closed (mllp.frameTimeoutSeconds): a frame must end (FS CR) within this time of its first byte; nothing of it was stored',
      });
      this.close();
    }, frameTimeoutMs);
    this.frameTimer.unref();
  }

  private clearFrameTimer(): void {
    clearTimeout(this.frameTimer);
    this.frameTimer = undefined;
  }

  /** Stops reading, answers what was already received, then closes. */
  private close(): void {
    if (this.closing) return;
    this.closing = true;
    this.socket.pause();
    this.queue = this.queue.then(() => {
      this.closeGently();
    });
  }

  private closeGently(last?: Buffer): void {
    if (this.socket.destroyed) return;
    if (last) this.socket.end(last);
    else this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  /** Ends the connection at once (listener shutdown). */
  destroy(): void {
    this.socket.destroy();
  }

  private onClose(): void {
    clearTimeout(this.idleTimer);
    this.clearFrameTimer();
    if (this.decoder.pendingBytes() > 0) {
      this.opts.logger.warn('mllp.truncated_frame', {
        connection: this.peer.connectionId,
        bytes: this.decoder.pendingBytes(),
        reason: 'connection closed before the frame ended; nothing was stored',
      });
    }
    this.opts.logger.debug('mllp.disconnected', { connection: this.peer.connectionId });
  }
}

/** The first line of a dropped frame, for the log (escaped by the logger). */
function headText(head: Buffer): string {
  const end = head.indexOf(0x0d);
  return head.subarray(0, Math.min(end < 0 ? head.length : end, 200)).toString('latin1');
}
