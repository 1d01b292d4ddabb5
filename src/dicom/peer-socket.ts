/**
 * The writing side of one SCP connection: writes that restart the DIMSE timeout, waiting for a slow
 * reader (backpressure), A-ABORT, and a graceful end that destroys the socket if the peer does not
 * close its side in time.
 */
import type { Socket } from 'node:net';
import { PduType } from './pdu.js';

/** How long a connection may take to close after the SCP ended it (release, reject, abort) before it is destroyed. */
const CLOSE_GRACE_MS = 1000;

export class PeerSocket {
  private closeTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: Socket,
    /** Called after each write (bytes sent are activity on the association). */
    private readonly onWrite: () => void,
  ) {}

  write(bytes: Buffer): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    this.socket.write(bytes);
    this.onWrite();
  }

  /** Resolves once the peer has read what was written (or the connection is gone). */
  writable(): Promise<void> {
    if (!this.socket.writableNeedDrain || this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.once('drain', done);
      this.socket.once('close', done);
    });
  }

  /** Writes an A-ABORT PDU (PS3.8 9.3.8) if the socket still takes bytes. */
  sendAbort(source: number, reason: number): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(Buffer.from([PduType.Abort, 0, 0, 0, 0, 4, 0, 0, source, reason]));
  }

  /** Ends the connection gracefully; destroys it if the peer does not close its side in time. */
  end(): void {
    if (this.socket.destroyed || this.closeTimer) return;
    this.socket.end();
    this.closeTimer = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
  }

  /** The socket closed: no timer left behind. */
  closed(): void {
    clearTimeout(this.closeTimer);
  }
}
