/**
 * npm run bench [-- --sizes 1000,10000,100000] [--no-peers]
 *
 * For each size N: ingests N synthetic orders over MLLP (one connection, then eight; ACK after
 * durable commit), times selective, broad, date-range and universal C-FINDs over one association
 * with findscu --repeat, serves the same items to DCMTK wlmscpfs and Orthanc (when installed; at
 * 1,000 and 10,000 items) from the bridge's mirror and times the same queries there (answer
 * counts must agree), times single selective queries (p50/p99) and 100 associations querying at
 * once, the bridge's peak memory during a universal query, and ingest at an offered 500 orders/s.
 * The same queries are timed as DICOMweb searches on the bridge's HTTP server (their result counts
 * must agree with the C-FIND's). The targets of issue 23 are checked at the end (report.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { timeDicomwebQuery } from './dicomweb.js';
import { patientIdQuery, queryLatencies } from './latency.js';
import { ingestAtRate, ingestOrders, percentile } from './mllp-load.js';
import { DAYS, STATIONS, dayOf, syntheticOrders } from './orders.js';
import { QUERY, fmt, ingestFigure, latencyText, loadNow, report, type SizeResult } from './report.js';
import { hasCommand, memoryOf, orthancAvailable, projectDir, startBridge, startOrthanc, startWlmscpfs, timeQuery, type Server } from './servers.js';

const { values: flags } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,10000,100000' },
    'no-peers': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const sizes = flags.sizes
  .split(',')
  .map(Number)
  .filter((n) => Number.isInteger(n) && n > 0);
const MIRROR_AE = 'WLM';
const RETURN_KEYS = [
  'PatientName',
  'PatientID',
  'AccessionNumber',
  'ScheduledProcedureStepSequence[0].Modality',
  'ScheduledProcedureStepSequence[0].ScheduledStationAETitle',
  'ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate',
];

function queriesFor(orders: ReturnType<typeof syntheticOrders>): Record<string, string[]> {
  const sample = orders[Math.floor(orders.length / 2)]!;
  const station = STATIONS[0];
  const withKeys = (matching: string[]): string[] => {
    const matched = new Set(matching.map((m) => m.split('=')[0]));
    return [...RETURN_KEYS.filter((k) => !matched.has(k)), ...matching];
  };
  return {
    [QUERY.selective]: withKeys([`PatientID=${sample.patientId}`]),
    [QUERY.accession]: withKeys([`AccessionNumber=${orders[Math.floor(orders.length / 3)]!.accession}`]),
    [QUERY.broad]: withKeys([
      `ScheduledProcedureStepSequence[0].Modality=${station.modality}`,
      `ScheduledProcedureStepSequence[0].ScheduledStationAETitle=${station.aeTitle}`,
      `ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate=${dayOf(5)}`,
    ]),
    // Every item: a date range over all the scheduled days ("everything from today on").
    [QUERY.dateRange]: withKeys([`ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate=${dayOf(0)}-${dayOf(DAYS - 1)}`]),
    [QUERY.universal]: withKeys([]),
  };
}

/** Selective queries by random patients: for one association in turn, or for many at once. */
function selectiveQueries(orders: ReturnType<typeof syntheticOrders>, count: number, seed: number): ReturnType<typeof patientIdQuery>[] {
  let x = seed;
  const next = (): number => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  return Array.from({ length: count }, () => patientIdQuery(orders[Math.floor(next() * orders.length)]!.patientId));
}

/** Resets the peak resident memory the kernel reports (VmHWM) to the current one (Linux clear_refs 5). */
function resetPeakMemory(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

async function benchSize(n: number, withPeers: boolean): Promise<SizeResult> {
  const dir = mkdtempSync(join(tmpdir(), `mwl-bench-${n}-`));
  const result: SizeResult = {
    n,
    ingest: [],
    queries: {},
    dicomweb: {},
    memory: { peakMb: 0, rssMb: 0 },
    countMismatches: [],
    load: '',
  };
  const bridge = await startBridge(dir, ['--mapping', `${join(projectDir, 'bench', 'bench-ris.yaml')},mappings/default.yaml`]);
  const servers: Server[] = [bridge];
  try {
    const orders = syntheticOrders(n);
    const texts = orders.map((o) => o.text);
    const single = Math.min(2000, Math.floor(n / 4));
    for (const [connections, part] of [
      [1, texts.slice(0, single)],
      [8, texts.slice(single)],
    ] as const) {
      const r = await ingestOrders(bridge.mllpPort, part, connections);
      result.ingest.push(ingestFigure(r, connections, percentile));
      console.log(
        `  N=${n} ingest on ${connections} connection(s): ${r.orders} orders, ${(r.orders / r.seconds).toFixed(0)} orders/s, ACK p50 ${fmt(percentile(r.latencies, 50))} p99 ${fmt(percentile(r.latencies, 99))}${r.refused ? `, ${r.refused} refused` : ''}`,
      );
    }

    // The peers read a file per item: at 100,000 items they are left out (issue 23: peers at 1,000 and 10,000).
    if (withPeers && n <= 10000) {
      const mirrorDir = join(dir, 'worklists');
      const started = performance.now();
      const rebuild = spawnSync(
        process.execPath,
        [
          join(projectDir, 'dist', 'cli.js'),
          'mirror',
          '--rebuild',
          '--db',
          join(dir, 'worklist.db'),
          '--mirror-dir',
          mirrorDir,
          '--mirror-ae-title',
          MIRROR_AE,
        ],
        { encoding: 'utf8' },
      );
      if (rebuild.status !== 0) throw new Error(`mirror --rebuild failed: ${rebuild.stderr}`);
      result.mirrorSeconds = (performance.now() - started) / 1000;
      console.log(`  N=${n} mirror written for the peers: ${n} files in ${result.mirrorSeconds.toFixed(1)} s`);
      if (hasCommand('wlmscpfs')) servers.push(await startWlmscpfs(mirrorDir, MIRROR_AE, dir, { quiet: true }));
      if (orthancAvailable()) servers.push(await startOrthanc(join(mirrorDir, MIRROR_AE), dir));
    }

    // The ingest leaves up to hundreds of MB of dirty pages for the kernel to write back; flush them
    // first, so that the write-back does not run during (and slow down) the query timings.
    spawnSync('sync');
    result.load = loadNow();
    const pid = bridge.process.pid!;
    for (const [name, keys] of Object.entries(queriesFor(orders))) {
      result.queries[name] = {};
      for (const server of servers) {
        // The peak memory during the universal query (and its repeats): reset before it, read after.
        const universal = server === bridge && name === QUERY.universal && resetPeakMemory(pid);
        const timing = timeQuery(server, keys);
        if (universal) result.memory.universalPeakMb = memoryOf(pid).peakMb;
        result.queries[name][server.name] = timing;
        console.log(
          `  N=${n} ${name.padEnd(27)} ${server.name.padEnd(10)} ${String(timing.answers).padStart(6)} answers  ${fmt(timing.msPerQuery).padStart(9)} per query (${timing.repeats} repeats; first run ${fmt(timing.firstMs)} incl. findscu start)`,
        );
      }
      const web = await timeDicomwebQuery(bridge.httpPort, keys);
      result.dicomweb[name] = web;
      console.log(
        `  N=${n} ${name.padEnd(27)} ${'DICOMweb'.padEnd(10)} ${String(web.answers).padStart(6)} results  ${fmt(web.msPerQuery).padStart(9)} per query (${web.repeats} repeats; first request ${fmt(web.firstMs)})`,
      );
      const counts = new Set([...Object.values(result.queries[name]).map((t) => t.answers), web.answers]);
      if (counts.size > 1)
        result.countMismatches.push(
          `${name}: ${Object.entries(result.queries[name])
            .map(([s, t]) => `${s} ${t.answers}`)
            .join(', ')}, DICOMweb ${web.answers}`,
        );
    }

    result.selective = await queryLatencies(bridge.port, bridge.aeTitle, [selectiveQueries(orders, 500, 1)]);
    console.log(`  N=${n} selective, one query at a time: ${latencyText(result.selective)}`);
    result.underLoad = await queryLatencies(
      bridge.port,
      bridge.aeTitle,
      Array.from({ length: 100 }, (_, i) => selectiveQueries(orders, 20, i + 2)),
    );
    console.log(`  N=${n} 100 associations at once, 20 selective queries each: ${latencyText(result.underLoad)} in ${result.underLoad.seconds.toFixed(1)} s`);
    // Last, so that the queries above see N items: 1,500 more orders offered at 500/s.
    const extra = syntheticOrders(1500, 2, n).map((o) => o.text);
    const offered = await ingestAtRate(bridge.mllpPort, extra, 8, 500);
    result.ingest.push(ingestFigure(offered, 8, percentile, 500));
    console.log(
      `  N=${n} ingest offered at 500/s on 8 connections: ${(offered.orders / offered.seconds).toFixed(0)} orders/s, ACK p50 ${fmt(percentile(offered.latencies, 50))} p99 ${fmt(percentile(offered.latencies, 99))}${offered.refused ? `, ${offered.refused} refused` : ''}`,
    );
    const memory = memoryOf(pid);
    result.memory.peakMb = memory.peakMb;
    result.memory.rssMb = memory.rssMb;
    console.log(
      `  N=${n} bridge memory: peak RSS ${memory.peakMb.toFixed(0)} MB since the universal query${result.memory.universalPeakMb !== undefined ? ` (${result.memory.universalPeakMb.toFixed(0)} MB during it)` : ''}, now ${memory.rssMb.toFixed(0)} MB`,
    );
  } finally {
    for (const server of servers) await server.stop();
    if (!flags.keep) rmSync(dir, { recursive: true, force: true });
    else console.log(`  kept ${dir}`);
  }
  return result;
}

async function main(): Promise<void> {
  for (const tool of ['findscu', 'echoscu']) {
    if (!hasCommand(tool)) throw new Error(`${tool} is needed (Debian package dcmtk)`);
  }
  const withPeers = !flags['no-peers'];
  console.log(
    `mwl-bridge benchmark: sizes ${sizes.join(', ')}; peers: ${withPeers ? ['wlmscpfs', ...(orthancAvailable() ? ['Orthanc'] : [])].filter((p) => p === 'Orthanc' || hasCommand(p)).join(', ') || 'none installed' : 'off'}`,
  );
  const results: SizeResult[] = [];
  for (const n of sizes) results.push(await benchSize(n, withPeers));
  report(results);
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
});
