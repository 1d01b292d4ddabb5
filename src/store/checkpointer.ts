/**
 * Checkpoints the WAL from a worker thread. SQLite otherwise checkpoints in the commit that crosses
 * wal_autocheckpoint: every ~600 orders the event loop stopped to copy ~40 MB of WAL frames into a
 * database file of hundreds of MB and fsync it (measured, 8,000 orders on 8 connections at 100,000
 * items: a prototype, three alternating pairs 623 -> 697, 749 -> 798, 651 -> 809 orders/s with it;
 * this class, means of four alternating runs 655 -> 719/s, with single pairs either way). The
 * commit's own checkpoint still runs when the WAL passes wal_autocheckpoint, but finds little left
 * to copy; it is what lets the WAL start over from its beginning, since this worker's checkpoints
 * run beside the writes. A failure here loses nothing: the commits' checkpoints do the work then.
 */
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';

export interface CheckpointerOptions {
  intervalMs: number;
  /**
   * The worker starts once the WAL file has reached this size (checked every intervalMs); 0 starts
   * it at once. A worker thread costs a V8 isolate (about 70 ms of CPU to start, and its memory),
   * which a bridge that takes few orders never needs: the commits' own checkpoints are small then.
   */
  startAtWalBytes?: number;
  /** Called once per distinct error message (a broken disk would otherwise repeat it every interval). */
  onError: (message: string) => void;
  onReport?: (report: { walFrames: number; checkpointed: number }) => void;
}

interface WorkerData {
  path: string;
  intervalMs: number;
  driverPath: string;
}

type WorkerReport = { type: 'checkpointed'; walFrames: number; checkpointed: number } | { type: 'error'; message: string };

/**
 * The worker's body: its own connection runs PASSIVE checkpoints (they never wait for, nor block,
 * the bridge's reads and writes) every intervalMs and reports each. It runs from its source text
 * (a worker from a file would need the TypeScript loader when the tests run the sources), so it
 * uses nothing from this module but its arguments, and declares no named inner functions.
 */
function checkpointWorkerMain(threads: typeof import('node:worker_threads'), load: (id: string) => unknown): void {
  const { path, intervalMs, driverPath } = threads.workerData as WorkerData;
  const port = threads.parentPort;
  if (!port) throw new Error('the checkpoint worker body runs in a worker thread only');
  const Driver = load(driverPath) as typeof BetterSqlite3;
  let db: BetterSqlite3.Database | undefined;
  const timer = setInterval(() => {
    try {
      db ??= new Driver(path, { fileMustExist: true });
      const [result] = db.pragma('wal_checkpoint(PASSIVE)') as { log: number; checkpointed: number }[];
      if (!result) throw new Error('PRAGMA wal_checkpoint returned no row');
      port.postMessage({ type: 'checkpointed', walFrames: result.log, checkpointed: result.checkpointed } satisfies WorkerReport);
    } catch (err) {
      // Not errorMessage(): this body runs in the worker from its source text, where no import is in scope.
      port.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) } satisfies WorkerReport);
    }
  }, intervalMs);
  port.on('message', (message) => {
    if (message !== 'stop') return;
    clearInterval(timer);
    db?.close();
    port.close();
  });
}

export class BackgroundCheckpointer {
  private lastError = '';
  private worker: Worker | undefined;
  private exited: Promise<unknown> = Promise.resolve();
  private readonly waiting: NodeJS.Timeout | undefined;

  private constructor(
    private readonly dbPath: string,
    private readonly opts: CheckpointerOptions,
  ) {
    const startAt = opts.startAtWalBytes ?? 0;
    if (startAt <= 0) {
      this.startWorker();
      return;
    }
    // Until then, a stat of the WAL file every interval on the main thread (microseconds).
    this.waiting = setInterval(() => {
      if (walBytes(dbPath) < startAt) return;
      clearInterval(this.waiting);
      this.startWorker();
    }, opts.intervalMs);
    this.waiting.unref();
  }

  static start(dbPath: string, opts: CheckpointerOptions): BackgroundCheckpointer {
    return new BackgroundCheckpointer(dbPath, opts);
  }

  /** Whether the worker thread runs (it starts once the WAL has grown to startAtWalBytes). */
  get started(): boolean {
    return this.worker !== undefined;
  }

  private startWorker(): void {
    const workerData: WorkerData = {
      path: this.dbPath,
      intervalMs: this.opts.intervalMs,
      driverPath: createRequire(import.meta.url).resolve('better-sqlite3'),
    };
    const source = `(${checkpointWorkerMain.toString()})(require('node:worker_threads'), require)`;
    const worker = new Worker(source, { eval: true, workerData });
    this.worker = worker;
    this.exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.on('message', (message: WorkerReport) => {
      if (message.type === 'checkpointed') {
        this.lastError = '';
        this.opts.onReport?.(message);
      } else if (message.message !== this.lastError) {
        this.lastError = message.message;
        this.opts.onError(message.message);
      }
    });
    worker.on('error', (err) => {
      this.opts.onError(`checkpoint worker stopped: ${err.message}`);
    });
    // It never keeps the process alive on its own.
    worker.unref();
  }

  /** Stops after the running checkpoint, if any. */
  async stop(): Promise<void> {
    clearInterval(this.waiting);
    if (!this.worker) return;
    // Held open until it has exited (unref'd, the process could end while we wait).
    this.worker.ref();
    this.worker.postMessage('stop');
    await this.exited;
  }
}

/** The size of the database's WAL file, 0 when there is none. */
function walBytes(dbPath: string): number {
  try {
    return statSync(`${dbPath}-wal`).size;
  } catch {
    return 0;
  }
}
