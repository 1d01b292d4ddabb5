/**
 * Ingest alone: a bridge (dist/cli.js, as in bench/run.ts) over a store preloaded with N items,
 * then (1) a burst of orders on k connections, each sending its next order as soon as the ACK of the
 * last came back (orders/s, ACK p50/p99), and (2) orders offered at a fixed rate over k connections,
 * the ACK latency of each counted from when it was due (so a backlog counts against it).
 *
 * The preload runs the order pipeline in-process into the database file (one transaction per
 * 2,000 orders), not over MLLP, and is kept in the temp folder for the next run of the same N.
 *
 *   npm run build && node --import tsx bench/ingest.ts --items 100000 --connections 8 [--burst 6000] [--rate 500 --seconds 10]
 * BENCH_BRIDGE_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles the bridge.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load.js';
import { runOrderPipeline } from '../src/hl7/pipeline.js';
import { loadMappingSet, mappingFiles } from '../src/app/mappings.js';
import { pipelineSettings } from '../src/app/pipeline-settings.js';
import { WorklistStore } from '../src/store/worklist-store.js';
import { OrderService } from '../src/worklist/orders.js';
import { ingestOrders, ingestAtRate, percentile } from './mllp-load.js';
import { startBridge } from './servers.js';
import { syntheticOrders } from './orders.js';

const { values } = parseArgs({
  options: {
    items: { type: 'string', default: '100000' },
    connections: { type: 'string', default: '8' },
    burst: { type: 'string', default: '6000' },
    rate: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '10' },
  },
});
const items = Number(values.items);
const connections = Number(values.connections);
const burst = Number(values.burst);
const rate = Number(values.rate);
const seconds = Number(values.seconds);

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

function storeWithItems(n: number): string {
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

/** CPU seconds (user + system) of the bridge's main thread (its event loop) and of the whole process. */
function bridgeCpu(pid: number): { main: number; all: number } {
  const ticks = (path: string): number => {
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    const fields = readFileSync(path, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  };
  return { main: ticks(`/proc/${pid}/task/${pid}/stat`), all: ticks(`/proc/${pid}/stat`) };
}
function cpuPerOrder(before: { main: number; all: number }, pid: number, orders: number): string {
  const after = bridgeCpu(pid);
  const us = (s: number): string => `${((s * 1e6) / orders).toFixed(0)} us`;
  return `bridge CPU per order: event loop ${us(after.main - before.main)}, whole process ${us(after.all - before.all)}`;
}

const load = (): string => loadavg()[0]!.toFixed(1);
const ms = (v: number): string => `${v.toFixed(1)} ms`;

const dir = mkdtempSync(join(tmpdir(), 'mwl-ingest-'));
copyFileSync(storeWithItems(items), join(dir, 'worklist.db'));
const bridge = await startBridge(dir);
try {
  // Orders after the preloaded ones: new accession numbers and control ids (seed 2 would reuse them).
  const fresh = syntheticOrders(items + 200 + burst + Math.ceil(rate * seconds), 1)
    .slice(items)
    .map((o) => o.text);
  const warm = await ingestOrders(bridge.mllpPort, fresh.splice(0, 200), connections);
  if (warm.refused) throw new Error(`${warm.refused} warm-up orders refused`);
  const pid = bridge.process.pid!;
  let cpu = bridgeCpu(pid);
  const b = await ingestOrders(bridge.mllpPort, fresh.splice(0, burst), connections);
  console.log(
    `N=${items} burst on ${connections} connections: ${b.orders} orders in ${b.seconds.toFixed(2)} s = ${(b.orders / b.seconds).toFixed(0)} orders/s, ` +
      `ACK p50 ${ms(percentile(b.latencies, 50))} p99 ${ms(percentile(b.latencies, 99))}${b.refused ? `, ${b.refused} REFUSED` : ''} (load ${load()})`,
  );
  console.log(`  ${cpuPerOrder(cpu, pid, b.orders)}`);
  cpu = bridgeCpu(pid);
  const r = await ingestAtRate(bridge.mllpPort, fresh.splice(0, Math.ceil(rate * seconds)), connections, rate);
  console.log(
    `N=${items} offered ${rate}/s on ${connections} connections: ${r.orders} orders, ACK from due p50 ${ms(percentile(r.latencies, 50))} ` +
      `p99 ${ms(percentile(r.latencies, 99))} max ${ms(r.latencies.at(-1) ?? NaN)}${r.refused ? `, ${r.refused} REFUSED` : ''} (load ${load()})`,
  );
  console.log(`  ${cpuPerOrder(cpu, pid, r.orders)}`);
} finally {
  await bridge.stop();
  rmSync(dir, { recursive: true, force: true });
}
