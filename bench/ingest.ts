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
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { numberFlags } from './flags.js';
import { ingestOrders, ingestAtRate, percentile } from './mllp-load.js';
import { startBridge } from './servers.js';
import { syntheticOrders } from './orders.js';
import { cpuPer, processCpu, storeWithItems } from './preload.js';

const { items, connections, burst, rate, seconds } = numberFlags({ items: 100000, connections: 8, burst: 6000, rate: 500, seconds: 10 });

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
  let cpu = processCpu(pid);
  const b = await ingestOrders(bridge.mllpPort, fresh.splice(0, burst), connections);
  console.log(
    `N=${items} burst on ${connections} connections: ${b.orders} orders in ${b.seconds.toFixed(2)} s = ${(b.orders / b.seconds).toFixed(0)} orders/s, ` +
      `ACK p50 ${ms(percentile(b.latencies, 50))} p99 ${ms(percentile(b.latencies, 99))}${b.refused ? `, ${b.refused} REFUSED` : ''} (load ${load()})`,
  );
  console.log(`  bridge CPU per order: ${cpuPer(cpu, pid, b.orders)}`);
  cpu = processCpu(pid);
  const r = await ingestAtRate(bridge.mllpPort, fresh.splice(0, Math.ceil(rate * seconds)), connections, rate);
  console.log(
    `N=${items} offered ${rate}/s on ${connections} connections: ${r.orders} orders, ACK from due p50 ${ms(percentile(r.latencies, 50))} ` +
      `p99 ${ms(percentile(r.latencies, 99))} max ${ms(r.latencies.at(-1) ?? NaN)}${r.refused ? `, ${r.refused} REFUSED` : ''} (load ${load()})`,
  );
  console.log(`  bridge CPU per order: ${cpuPer(cpu, pid, r.orders)}`);
} finally {
  await bridge.stop();
  rmSync(dir, { recursive: true, force: true });
}
