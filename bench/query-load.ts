/**
 * Selective queries under load alone: a bridge (dist/cli.js, as in bench/run.ts) over a store
 * preloaded with N items, then A associations at once, each running Q selective Patient ID queries
 * back to back (latency.ts, as run.ts's "under load"): p50/p99/max, and the bridge's CPU time per
 * query (event loop and whole process), which on a shared machine says more than the latency does.
 * --rounds repeats the run on the same bridge (the first round warms it up).
 *
 *   npm run build && node --import tsx bench/query-load.ts --items 100000 [--associations 100 --queries 20 --rounds 3]
 * BENCH_BRIDGE_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles the bridge.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { numberFlags } from './flags.js';
import { patientIdQuery, queryLatencies } from './latency.js';
import { syntheticOrders } from './orders.js';
import { cpuPer, processCpu, storeWithItems } from './preload.js';
import { latencyText } from './report.js';
import { startBridge } from './servers.js';
import { seededRandom } from '../test/helpers/random.js';

const { items, associations, queries, rounds } = numberFlags({ items: 100000, associations: 100, queries: 20, rounds: 3 });

const patients = syntheticOrders(items, 1).map((o) => o.patientId);
const dir = mkdtempSync(join(tmpdir(), 'mwl-query-load-'));
copyFileSync(storeWithItems(items), join(dir, 'worklist.db'));
const bridge = await startBridge(dir);
try {
  const pid = bridge.process.pid!;
  for (let round = 1; round <= rounds; round++) {
    const random = seededRandom(round);
    const perAssociation = Array.from({ length: associations }, () =>
      Array.from({ length: queries }, () => patientIdQuery(patients[Math.floor(random() * patients.length)]!)),
    );
    const cpu = processCpu(pid);
    const r = await queryLatencies(bridge.port, bridge.aeTitle, perAssociation);
    console.log(
      `N=${items} round ${round}: ${associations} associations x ${queries} queries: ${latencyText(r)} in ${r.seconds.toFixed(2)} s (load ${loadavg()[0]!.toFixed(1)})`,
    );
    console.log(`  bridge CPU per query (association set-up and release included): ${cpuPer(cpu, pid, r.queries)}`);
  }
} finally {
  await bridge.stop();
  rmSync(dir, { recursive: true, force: true });
}
