/**
 * A store preloaded with N synthetic orders (seed 1), written by the order pipeline in-process (one
 * transaction per 2,000 orders, not over MLLP), kept in the temp folder for the next run of the same
 * N; and the CPU time a bridge process has used, for figures per order or per query that do not
 * depend on how busy the (shared) machine is.
 */
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load.js';
import { runOrderPipeline } from '../src/hl7/pipeline.js';
import { loadMappingSet, mappingFiles } from '../src/app/mappings.js';
import { pipelineSettings } from '../src/app/pipeline-settings.js';
import { WorklistStore } from '../src/store/worklist-store.js';
import { OrderService } from '../src/worklist/orders.js';
import { syntheticOrders } from './orders.js';

/** Writes N mapped orders (seed 1) straight into a new store at path. */
function preload(path: string, n: number): void {
  const config = loadConfig({ env: {} });
  const mappings = loadMappingSet(mappingFiles(config));
  const opts = { mappings: () => mappings, ...pipelineSettings(config), bridgeApplication: 'MWL_BRIDGE' };
  const store = WorklistStore.open(path);
  const orders = new OrderService(store);
  const all = syntheticOrders(n, 1);
  for (let start = 0; start < n; start += 2000) {
    store.transaction(() => {
      for (const o of all.slice(start, start + 2000)) {
        const bytes = Buffer.from(o.text, 'utf8');
        const result = runOrderPipeline(bytes, opts);
        if (!result.ok) throw result.error;
        orders.apply(result.order, {
          receivedAt: new Date().toISOString(),
          remote: 'preload',
          sendingApplication: 'BENCH_RIS',
          sendingFacility: 'RADIOLOGY',
          controlId: result.header.controlId,
          messageType: 'ORM^O01',
          raw: bytes,
          contentHash: null,
          ackCode: 'AA',
          error: null,
          ack: 'preloaded',
          origin: null,
        });
      }
    });
  }
  store.close();
}

/** The path of a store holding N preloaded items (built the first time). */
export function storeWithItems(n: number): string {
  const cached = join(tmpdir(), `mwl-ingest-preload-${n}.db`);
  if (!existsSync(cached)) {
    const started = performance.now();
    const building = `${cached}.building`;
    rmSync(building, { force: true });
    preload(building, n);
    renameSync(building, cached);
    console.log(`preloaded ${n} items in ${((performance.now() - started) / 1000).toFixed(1)} s (${cached})`);
  }
  return cached;
}

export interface ProcessCpu {
  /** CPU seconds (user + system) of the main thread: the event loop. */
  main: number;
  /** CPU seconds of the whole process (worker threads, the garbage collector's helpers, libuv's pool). */
  all: number;
}

/** CPU seconds a process has used so far (Linux /proc). */
export function processCpu(pid: number): ProcessCpu {
  const ticks = (path: string): number => {
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    const fields = readFileSync(path, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  };
  return { main: ticks(`/proc/${pid}/task/${pid}/stat`), all: ticks(`/proc/${pid}/stat`) };
}

/** "event loop N us, whole process M us" per unit of work since `before`. */
export function cpuPer(before: ProcessCpu, pid: number, count: number): string {
  const after = processCpu(pid);
  const us = (s: number): string => `${((s * 1e6) / count).toFixed(0)} us`;
  return `event loop ${us(after.main - before.main)}, whole process ${us(after.all - before.all)}`;
}
