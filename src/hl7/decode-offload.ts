/**
 * Decoding and parsing of large messages on a worker thread. hl7-standard parses a message in one
 * synchronous call whose time grows with the number of segments, fields and repetitions
 * (measured: a 200 KB segment of 100,000 fields 0.22 s, 20,000 segments 0.3 s); within the frame
 * size limit one message could hold the event loop, and with it every other connection and the
 * DICOM SCP, for seconds. Messages up to INLINE_DECODE_BYTES (at most ~20 ms, measured at the
 * worst ~1.1 us per byte) are decoded inline, larger ones by one worker thread, one after another.
 * Everything else (mapping, storing, the ACK) stays on the main thread.
 */
import { Worker } from 'node:worker_threads';
import { BridgeError, type ErrorCode } from '../errors.js';
import type { Hl7Message } from '../mapping/message.js';
import type { CharsetMismatchPolicy } from './charset.js';
import { decodeHl7Message, type DecodedMessage } from './message.js';

/** Largest message decoded on the event loop. */
export const INLINE_DECODE_BYTES = 16 * 1024;
/** A decode running longer than this is given up (the worker is replaced): no input may hang the listener. */
const DECODE_TIMEOUT_MS = 30_000;

export interface DecodeJob {
  id: number;
  bytes: Uint8Array;
  policy: CharsetMismatchPolicy;
}

export type DecodeReply =
  | { id: number; ok: true; message: Hl7Message; charsetMismatch?: { declared: string } }
  | { id: number; ok: false; error: { code: ErrorCode; message: string; location: string | undefined; hint: string | undefined } };

interface PendingJob {
  resolve: (decoded: Pick<DecodedMessage, 'message' | 'charsetMismatch'>) => void;
  reject: (err: BridgeError) => void;
}

export class DecodeOffload {
  private worker: Worker | undefined;
  private readonly jobs = new Map<number, PendingJob>();
  private nextId = 1;
  private timer: NodeJS.Timeout | undefined;

  /** Decodes inline when small, else on the worker; rejects with the decoder's BridgeError. */
  decode(bytes: Buffer, policy: CharsetMismatchPolicy): Promise<Pick<DecodedMessage, 'message' | 'charsetMismatch'>> {
    if (bytes.length <= INLINE_DECODE_BYTES) {
      try {
        return Promise.resolve(decodeHl7Message(bytes, policy));
      } catch (err) {
        return Promise.reject(err as Error);
      }
    }
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.jobs.set(id, { resolve, reject });
      // The timer runs for the job at the head of the queue: (re)armed when it starts, not per arrival.
      if (this.jobs.size === 1) this.armTimer();
      this.ensureWorker().postMessage({ id, bytes, policy } satisfies DecodeJob);
    });
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    const worker = this.worker;
    this.worker = undefined;
    this.failAll(new BridgeError('HL7_PARSE', 'the listener is stopping'));
    await worker?.terminate();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = startWorker();
    worker.on('message', (reply: DecodeReply) => {
      const job = this.jobs.get(reply.id);
      if (!job) return;
      this.jobs.delete(reply.id);
      this.armTimer();
      if (reply.ok) job.resolve(reply.charsetMismatch ? { message: reply.message, charsetMismatch: reply.charsetMismatch } : { message: reply.message });
      else job.reject(new BridgeError(reply.error.code, reply.error.message, { location: reply.error.location, hint: reply.error.hint }));
    });
    worker.on('error', (err) => this.replaceWorker(worker, new BridgeError('HL7_PARSE', `the decoder thread failed: ${err.message}`)));
    worker.on('exit', () => this.replaceWorker(worker, new BridgeError('HL7_PARSE', 'the decoder thread stopped')));
    worker.unref();
    this.worker = worker;
    return worker;
  }

  /** One timer for the oldest job: jobs run one after another, so it restarts whenever one ends. */
  private armTimer(): void {
    clearTimeout(this.timer);
    if (this.jobs.size === 0) return;
    this.timer = setTimeout(() => {
      const worker = this.worker;
      if (worker) this.replaceWorker(worker, new BridgeError('HL7_PARSE', `decoding took longer than ${DECODE_TIMEOUT_MS / 1000} s`, { hint: 'the message is too complex to parse' }));
      void worker?.terminate();
    }, DECODE_TIMEOUT_MS);
    this.timer.unref();
  }

  private replaceWorker(worker: Worker, error: BridgeError): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    clearTimeout(this.timer);
    this.failAll(error);
  }

  private failAll(error: BridgeError): void {
    const jobs = [...this.jobs.values()];
    this.jobs.clear();
    for (const job of jobs) job.reject(error);
  }
}

/**
 * The worker runs decode-worker.js beside this file. Under the test runner the sources are
 * TypeScript run through tsx, whose loader a worker does not inherit: there it is registered first.
 */
function startWorker(): Worker {
  const url = new URL(import.meta.url.endsWith('.ts') ? './decode-worker.ts' : './decode-worker.js', import.meta.url);
  if (!url.pathname.endsWith('.ts')) return new Worker(url);
  return new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })`, { eval: true });
}
