/**
 * Runs the order pipeline (decode, parse, map) for each message: inline for ordinary messages, on
 * a worker thread for large ones. hl7-standard parses a message in one synchronous call whose time
 * grows with its segments, fields, repetitions and components (measured: 900 KB of 450,000
 * components 1.2 s; 900 segments of 499 fields 0.66 s), and handing the parsed message back to the
 * main thread would cost more still (structured clone of those 900 x 499 fields: 1.3 s). So large
 * messages are decoded and mapped on the worker, and only the mapped order (a few items) comes back.
 * Messages up to INLINE_BYTES (at most ~20 ms at the worst ~1.1 us per byte measured) run inline.
 * Storing and the ACK stay on the main thread.
 */
import { Worker } from 'node:worker_threads';
import { Hl7Error } from '../model/hl7-error.js';
import { lenientHeader, runOrderPipeline, type OrderPipelineOptions, type PipelineResult } from './pipeline.js';
import { reviveResult, type WorkerReply, type WorkerRequest } from './pipeline-wire.js';
import type { MappingSource } from '../mapping/compile.js';

/** Largest message run on the event loop. */
export const INLINE_BYTES = 16 * 1024;
/** A message running longer than this on the worker is given up (the worker is replaced): no input may hang the listener. */
const WORKER_TIMEOUT_MS = 30_000;

interface PendingJob {
  bytes: Buffer;
  resolve: (result: PipelineResult) => void;
}

export class PipelineRunner {
  private worker: Worker | undefined;
  private readonly jobs = new Map<number, PendingJob>();
  private nextId = 1;
  private timer: NodeJS.Timeout | undefined;

  /**
   * mappingSources: the mapping texts the worker compiles (the same as opts.mappings came from);
   * without them, every message runs inline.
   */
  constructor(
    private readonly opts: OrderPipelineOptions,
    private mappingSources?: readonly MappingSource[],
  ) {}

  run(bytes: Buffer): Promise<PipelineResult> {
    if (bytes.length <= INLINE_BYTES || !this.mappingSources) return Promise.resolve(runOrderPipeline(bytes, this.opts));
    return new Promise((resolve) => {
      const id = this.nextId++;
      this.jobs.set(id, { bytes, resolve });
      // One timer, for the job at the head of the queue (jobs run one after another on the worker).
      if (this.jobs.size === 1) this.armTimer();
      const { uidRoot, bridgeApplication, policies, callingAeTitles, limits, charsetMismatch } = this.opts;
      this.post({
        type: 'job',
        id,
        bytes,
        options: {
          uidRoot,
          bridgeApplication,
          ...(policies ? { policies } : {}),
          ...(callingAeTitles ? { callingAeTitles } : {}),
          ...(limits ? { limits } : {}),
          ...(charsetMismatch ? { charsetMismatch } : {}),
        },
      });
    });
  }

  /** After a mapping reload on the main thread: the worker compiles the same texts. */
  reloadMappings(sources: readonly MappingSource[]): void {
    this.mappingSources = sources;
    this.worker?.postMessage({ type: 'mappings', sources: [...sources] } satisfies WorkerRequest);
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    const worker = this.worker;
    this.worker = undefined;
    this.failAll('the listener is stopping');
    await worker?.terminate();
  }

  private post(request: WorkerRequest): void {
    this.ensureWorker().postMessage(request);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = startWorker();
    worker.postMessage({ type: 'mappings', sources: [...(this.mappingSources ?? [])] } satisfies WorkerRequest);
    worker.on('message', (reply: WorkerReply) => {
      const job = this.jobs.get(reply.id);
      if (!job) return;
      this.jobs.delete(reply.id);
      this.armTimer();
      job.resolve(reply.ok ? reviveResult(reply.result) : failure(job.bytes, `the message could not be processed: ${reply.error}`));
    });
    worker.on('error', (err) => {
      this.replaceWorker(worker, `the message thread failed: ${err.message}`);
    });
    worker.on('exit', () => {
      this.replaceWorker(worker, 'the message thread stopped');
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private armTimer(): void {
    clearTimeout(this.timer);
    if (this.jobs.size === 0) return;
    this.timer = setTimeout(() => {
      const worker = this.worker;
      if (!worker) return;
      this.replaceWorker(worker, `processing took longer than ${WORKER_TIMEOUT_MS / 1000} s`);
      void worker.terminate();
    }, WORKER_TIMEOUT_MS);
    this.timer.unref();
  }

  private replaceWorker(worker: Worker, reason: string): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    clearTimeout(this.timer);
    this.failAll(reason);
  }

  private failAll(reason: string): void {
    const jobs = [...this.jobs.values()];
    this.jobs.clear();
    for (const job of jobs) job.resolve(failure(job.bytes, reason));
  }
}

/** A message the worker could not process is answered like any other failure (AR, addressed from its MSH). */
function failure(bytes: Buffer, reason: string): PipelineResult {
  return {
    header: lenientHeader(bytes),
    charset: 'utf-8',
    ok: false,
    error: new Hl7Error('HL7_PARSE', reason, { hint: 'the message is too complex to process; split it' }),
  };
}

/**
 * The worker runs pipeline-worker.js beside this file (in dist/, or in build/src/ for `npm test`).
 * Where the sources are TypeScript run through tsx (one test file run with --import tsx, the
 * benchmarks), whose loader a worker does not inherit, it is registered first.
 */
function startWorker(): Worker {
  const url = new URL(import.meta.url.endsWith('.ts') ? './pipeline-worker.ts' : './pipeline-worker.js', import.meta.url);
  if (!url.pathname.endsWith('.ts')) return new Worker(url);
  return new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })`, { eval: true });
}
