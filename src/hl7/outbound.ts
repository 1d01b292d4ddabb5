/**
 * Sends queued HL7 messages (the store's outbox, through OutboundQueue) to the RIS over MLLP, one at a time, oldest
 * first, retrying until the RIS acknowledges: AA/CA marks a message sent; AR/CR marks it failed
 * (logged, not retried: the RIS refuses it for good); no answer, a dropped connection or AE/CE is
 * retried after retrySeconds. The queue is in SQLite, so a restart loses nothing. Plain TCP, or TLS
 * when the options say so (mpps.tls.*).
 */
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { Logger } from '../log.js';
import { MllpFrameDecoder, frameMllp } from './mllp-frame.js';
import { errorMessage } from '../errors.js';

/** The queue of messages to send (the store's outbox, given by the application). */
export interface OutboundQueue {
  /** The oldest pending message, when it is due. */
  next(now: string): { id: number; destination: string; message: string; controlId: string; attempts: number } | undefined;
  /** Records an attempt: 'sent' (acknowledged), 'failed' (rejected for good) or still 'pending' (retry at nextAttemptAt). */
  recordAttempt(id: number, result: { state: 'sent' | 'failed' | 'pending'; error?: string; ack?: string; nextAttemptAt?: string }): void;
}

export interface Hl7SenderOptions {
  retrySeconds: number;
  /** How long to wait for an ACK. */
  ackTimeoutMs: number;
  logger: Logger;
  /**
   * With it, each exchange runs over TLS with the options it gives for host:port (CA, client
   * certificate, protocol versions: app/ builds them); a peer whose certificate does not verify is
   * an error like any other, retried after retrySeconds.
   */
  tls?: ((host: string, port: number) => ConnectionOptions) | undefined;
}

export class Hl7Sender {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private stopped = false;

  constructor(
    private readonly queue: OutboundQueue,
    private readonly opts: Hl7SenderOptions,
  ) {}

  start(): void {
    this.schedule(0);
  }

  /** Sends what is due now (called after something was queued). */
  kick(): void {
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.drain(), ms);
    this.timer.unref();
  }

  private async drain(): Promise<void> {
    if (this.busy || this.stopped) return;
    this.busy = true;
    try {
      for (;;) {
        const next = this.queue.next(new Date().toISOString());
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- stop() may run during the previous send's await; TypeScript keeps the narrowing from the top of drain()
        if (!next || this.stopped) break;
        const { logger, retrySeconds } = this.opts;
        try {
          const ack = await this.send(next.destination, next.message);
          const code = /(?:^|\r)MSA\|([A-Z]{2})/.exec(ack)?.[1] ?? '';
          if (code === 'AA' || code === 'CA') {
            this.queue.recordAttempt(next.id, { state: 'sent', ack });
            logger.info('hl7.outbound_sent', { control_id: next.controlId, destination: next.destination, ack: code });
          } else if (code === 'AR' || code === 'CR') {
            this.queue.recordAttempt(next.id, { state: 'failed', ack, error: `refused with ${code}` });
            logger.error('hl7.outbound_refused', {
              control_id: next.controlId,
              destination: next.destination,
              ack: code,
              reason: ack
                .split('\r')
                .find((s) => s.startsWith('MSA'))
                ?.split('|')[3],
            });
          } else {
            throw new Error(code ? `answered ${code}` : 'the answer holds no MSA segment');
          }
        } catch (err) {
          const nextAttemptAt = new Date(Date.now() + retrySeconds * 1000).toISOString();
          this.queue.recordAttempt(next.id, { state: 'pending', error: errorMessage(err), nextAttemptAt });
          logger.warn('hl7.outbound_retry', {
            control_id: next.controlId,
            destination: next.destination,
            attempt: next.attempts + 1,
            error: errorMessage(err),
            retry_in_s: retrySeconds,
          });
          break;
        }
      }
    } finally {
      this.busy = false;
      this.schedule(1000);
    }
  }

  /** One MLLP exchange: connect, send the frame, wait for one framed answer. */
  private send(destination: string, message: string): Promise<string> {
    const [host, port] = splitHostPort(destination);
    return new Promise((resolve, reject) => {
      const tls = this.opts.tls;
      const socket: Socket = tls ? tlsConnect(tls(host, port)) : connect({ host, port });
      const decoder = new MllpFrameDecoder(1024 * 1024);
      const fail = (err: Error): void => {
        socket.destroy();
        reject(err);
      };
      socket.setTimeout(this.opts.ackTimeoutMs, () => {
        fail(new Error(`no ACK within ${this.opts.ackTimeoutMs} ms`));
      });
      socket.once('error', fail);
      socket.once('close', () => {
        reject(new Error('connection closed before the ACK'));
      });
      socket.once(tls ? 'secureConnect' : 'connect', () => socket.write(frameMllp(Buffer.from(message, 'utf8'))));
      socket.on('data', (chunk: Buffer) => {
        const frame = decoder.push(chunk).find((e) => e.type === 'frame');
        if (frame) {
          resolve(frame.bytes.toString('utf8'));
          socket.end();
        }
      });
    });
  }
}

export function splitHostPort(destination: string): [string, number] {
  const i = destination.lastIndexOf(':');
  return [destination.slice(0, i), Number(destination.slice(i + 1))];
}
