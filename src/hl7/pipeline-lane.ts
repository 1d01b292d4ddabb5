/**
 * One worker thread running the order pipeline (decode, parse, map) for the messages posted to it,
 * one after another; see pipeline-runner.ts for which messages go where. A job running longer than
 * WORKER_TIMEOUT_MS is given up and the worker replaced, so no input can hang the listener; a job
 * that fails is answered like any other failure (AR, addressed from its MSH).
 */
import { Worker } from 'node:worker_threads';
import { Hl7Error } from '../model/hl7-error.js';
import type { MappingSource } from '../mapping/compile.js';
import { lenientHeader, type OrderPipelineOptions, type PipelineResult } from './pipeline.js';
import { reviveResult, type WorkerReply, type WorkerRequest } from './pipeline-wire.js';

/** A message running longer than this on a worker is given up (the worker is replaced): no input may hang the listener. */
const WORKER_TIMEOUT_MS = 30_000;

interface PendingJob {
  bytes: Buffer;
  resolve: (result: PipelineResult) => void;
}

export class PipelineLane {
  private worker: Worker | undefined;
  private readonly jobs = new Map<number, PendingJob>();
  private nextId = 1;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly opts: OrderPipelineOptions,
    private mappingSources: readonly MappingSource[],
  ) {}

  run(bytes: Buffer): Promise<PipelineResult> {
    return new Promise((resolve) => {
      const id = this.nextId++;
      this.jobs.set(id, { bytes, resolve });
      // One timer, for the job at the head of the queue (jobs run one after another on the worker).
      if (this.jobs.size === 1) this.armTimer();
      const { uidRoot, bridgeApplication, policies, callingAeTitles, limits, charsetMismatch } = this.opts;
      this.ensureWorker().postMessage({
        type: 'job',
        id,
        // A frame may be a view of a larger socket chunk; cloning a view copies its whole buffer, so copy just the frame.
        bytes: bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes),
        options: {
          uidRoot,
          bridgeApplication,
          ...(policies ? { policies } : {}),
          ...(callingAeTitles ? { callingAeTitles } : {}),
          ...(limits ? { limits } : {}),
          ...(charsetMismatch ? { charsetMismatch } : {}),
        },
      } satisfies WorkerRequest);
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

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = startWorker();
    worker.postMessage({ type: 'mappings', sources: [...this.mappingSources] } satisfies WorkerRequest);
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
 * The worker runs pipeline-worker.js beside this file. Under the test runner the sources are
 * TypeScript run through tsx, whose loader a worker does not inherit: there it is registered first.
 */
function startWorker(): Worker {
  const url = new URL(import.meta.url.endsWith('.ts') ? './pipeline-worker.ts' : './pipeline-worker.js', import.meta.url);
  if (!url.pathname.endsWith('.ts')) return new Worker(url);
  return new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })`, { eval: true });
}
