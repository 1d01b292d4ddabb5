/**
 * The benchmark's tables and its targets (issue 23), each printed with its measured figure and
 * MET or MISS; a target whose measurement did not run (a size or a peer left out) says n/a.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import type { IngestResult } from './mllp-load.js';
import type { LatencyResult } from './latency.js';
import type { QueryTiming } from './servers.js';

export interface IngestFigure {
  connections: number;
  orders: number;
  perSecond: number;
  p50: number;
  p99: number;
  refused: number;
  /** The offered rate, for a run at a fixed rate (else as fast as ACKs come). */
  offered?: number;
}

export interface SizeResult {
  n: number;
  ingest: IngestFigure[];
  queries: Record<string, Record<string, QueryTiming>>;
  /** The same queries as DICOMweb searches on the bridge. */
  dicomweb: Record<string, QueryTiming>;
  /** A selective query, one at a time over one association. */
  selective?: LatencyResult;
  /** Selective queries on 100 associations at once. */
  underLoad?: LatencyResult;
  memory: { peakMb: number; rssMb: number; universalPeakMb?: number };
  mirrorSeconds?: number;
  countMismatches: string[];
  /** Load average when the size's queries were timed (the machine is shared). */
  load: string;
}

export const QUERY = {
  selective: 'selective PatientID',
  accession: 'selective AccessionNumber',
  broad: 'broad modality+station+day',
  dateRange: 'date range (every day)',
  universal: 'universal',
} as const;

export const BRIDGE = 'mwl-bridge';

export function fmt(ms: number): string {
  return ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 1 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`;
}

export function ingestFigure(r: IngestResult, connections: number, percentile: (s: number[], p: number) => number, offered?: number): IngestFigure {
  return {
    connections,
    orders: r.orders,
    perSecond: r.orders / r.seconds,
    p50: percentile(r.latencies, 50),
    p99: percentile(r.latencies, 99),
    refused: r.refused,
    ...(offered ? { offered } : {}),
  };
}

export function loadNow(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

export function latencyText(l: LatencyResult | undefined): string {
  if (!l) return '-';
  const why = Object.entries(l.failures).map(([reason, count]) => `${count} ${reason}`);
  return `${l.queries - l.failed}/${l.queries} answered${why.length ? ` (${why.join(', ')})` : ''}, p50 ${fmt(l.p50)} p99 ${fmt(l.p99)} max ${fmt(l.max)}`;
}

function printTables(results: SizeResult[], peers: string[]): void {
  const cells = (list: string[]): string => list.map((c) => ` ${c} |`).join('');
  const ratioPeers = peers.slice(1);
  console.log(`\n| N | query |${cells(peers.map((p) => `${p}: answers, per query (first run)`))}${cells(ratioPeers.map((p) => `${p} / bridge`))}`);
  console.log(`| --- | --- |${cells(peers.map(() => '---'))}${cells(ratioPeers.map(() => '---'))}`);
  for (const r of results) {
    for (const [name, timings] of Object.entries(r.queries)) {
      const times = peers.map((p) => (timings[p] ? `${timings[p].answers}, ${fmt(timings[p].msPerQuery)} (${fmt(timings[p].firstMs)})` : '-'));
      const ratios = peers
        .slice(1)
        .map((p) => (timings[p] && timings[BRIDGE] ? `${(timings[p].msPerQuery / Math.max(timings[BRIDGE].msPerQuery, 0.01)).toFixed(1)}x` : '-'));
      console.log(`| ${r.n} | ${name} |${cells(times)}${cells(ratios)}`);
    }
  }
  console.log(
    '\n| N | load | ingest 1 conn (orders/s, p50, p99) | ingest 8 conns | offered 500/s on 8 conns (p50, p99) | selective, 1 association | 100 associations at once | peak RSS (during universal) |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of results) {
    const i = (c: number, offered: boolean): string => {
      const x = r.ingest.find((e) => e.connections === c && (e.offered !== undefined) === offered);
      return x ? `${x.perSecond.toFixed(0)}/s, ${fmt(x.p50)}, ${fmt(x.p99)}${x.refused ? `, ${x.refused} refused` : ''}` : '-';
    };
    const universal = r.memory.universalPeakMb !== undefined ? ` (${r.memory.universalPeakMb.toFixed(0)} MB)` : '';
    console.log(
      `| ${r.n} | ${r.load} | ${i(1, false)} | ${i(8, false)} | ${i(8, true)} | ${latencyText(r.selective)} | ${latencyText(r.underLoad)} | ${r.memory.peakMb.toFixed(0)} MB${universal} |`,
    );
  }
  console.log('\n| N | query | C-FIND per query | DICOMweb per query | results |\n| --- | --- | --- | --- | --- |');
  for (const r of results) {
    for (const [name, web] of Object.entries(r.dicomweb)) {
      const dimse = r.queries[name]?.[BRIDGE];
      console.log(`| ${r.n} | ${name} | ${dimse ? fmt(dimse.msPerQuery) : '-'} | ${fmt(web.msPerQuery)} | ${web.answers} |`);
    }
  }
}

export function report(results: SizeResult[]): void {
  console.log('\n== results');
  console.log(
    `machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; load average now ${loadNow()}`,
  );
  const peers = [...new Set([BRIDGE, ...results.flatMap((r) => Object.values(r.queries).flatMap((q) => Object.keys(q)))])];
  printTables(results, peers);

  console.log('\n== targets (issue 23)');
  const check = (label: string, value: number | undefined, ok: (v: number) => boolean, show: (v: number) => string): void => {
    console.log(
      `${value === undefined || Number.isNaN(value) ? 'n/a ' : ok(value) ? 'MET ' : 'MISS'}  ${label}: ${value === undefined || Number.isNaN(value) ? 'not measured' : show(value)}`,
    );
  };
  const at = (n: number): SizeResult | undefined => results.find((r) => r.n === n);
  const others = peers.filter((p) => p !== BRIDGE);

  // Many answers: >= 3x faster than the faster peer.
  for (const query of [QUERY.universal, QUERY.dateRange]) {
    for (const n of [1000, 10000]) {
      const timings = at(n)?.queries[query];
      const bridge = timings?.[BRIDGE];
      const peerTimes = others.map((p) => timings?.[p]?.msPerQuery).filter((v): v is number => v !== undefined);
      const fastest = peerTimes.length ? Math.min(...peerTimes) : undefined;
      check(
        `many answers: ${query} at ${n.toLocaleString('en')} items (${bridge?.answers ?? '?'} answers) >= 3x faster than the faster peer`,
        bridge && fastest !== undefined ? fastest / Math.max(bridge.msPerQuery, 0.01) : undefined,
        (v) => v >= 3,
        (v) => `${v.toFixed(1)}x (bridge ${fmt(bridge!.msPerQuery)}, faster peer ${fmt(fastest!)}; load ${at(n)!.load})`,
      );
    }
  }
  // Selective: >= 100x both peers at 10,000; flat from 1,000 to 100,000.
  for (const peer of others) {
    const t = at(10000)?.queries[QUERY.selective];
    check(
      `selective query at 10,000 items >= 100x faster than ${peer}`,
      t?.[peer] && t[BRIDGE] ? t[peer].msPerQuery / Math.max(t[BRIDGE].msPerQuery, 0.01) : undefined,
      (v) => v >= 100,
      (v) => `${v.toFixed(0)}x (${fmt(t![BRIDGE]!.msPerQuery)} vs ${fmt(t![peer]!.msPerQuery)})`,
    );
  }
  for (const key of ['p50', 'p99'] as const) {
    const small = at(1000)?.selective?.[key];
    const big = at(100000)?.selective?.[key];
    check(
      `selective query ${key} flat from 1,000 to 100,000 items (within 1.5x)`,
      small !== undefined && big !== undefined ? big / Math.max(small, 0.01) : undefined,
      (v) => v <= 1.5,
      (v) => `${v.toFixed(2)}x (${fmt(small!)} -> ${fmt(big!)})`,
    );
  }
  // Under load.
  const load = at(100000)?.underLoad;
  check(
    '100 associations at once, selective queries over 100,000 items: every query answered',
    load ? load.queries - load.failed : undefined,
    (v) => v === load!.queries,
    (v) => `${v}/${load!.queries}`,
  );
  check(
    '100 associations at once over 100,000 items: p99 < 20 ms',
    load?.p99,
    (v) => v < 20,
    () => `${latencyText(load)}, in ${load!.seconds.toFixed(1)} s (load ${at(100000)!.load})`,
  );
  // Ingest.
  const big = at(100000);
  const eight = big?.ingest.find((e) => e.connections === 8 && e.offered === undefined);
  check(
    'ingest >= 1,500 durable orders/s on 8 connections at 100,000 items',
    eight?.perSecond,
    (v) => v >= 1500,
    (v) => `${v.toFixed(0)} orders/s (ACK p50 ${fmt(eight!.p50)} p99 ${fmt(eight!.p99)})`,
  );
  const offered = big?.ingest.find((e) => e.offered !== undefined);
  check(
    'ingest ACK p99 < 20 ms at an offered 500 orders/s (8 connections, 100,000 items)',
    offered?.p99,
    (v) => v < 20,
    (v) => `p99 ${fmt(v)}, p50 ${fmt(offered!.p50)}, ${offered!.perSecond.toFixed(0)} orders/s achieved`,
  );
  // Memory.
  check(
    'peak RSS < 150 MB at 100,000 items during a universal query',
    big?.memory.universalPeakMb,
    (v) => v < 150,
    (v) => `${v.toFixed(0)} MB (from then to the end of the size's run: ${big!.memory.peakMb.toFixed(0)} MB)`,
  );
  const mismatches = results.flatMap((r) => r.countMismatches.map((m) => `N=${r.n} ${m}`));
  console.log(mismatches.length ? `MISS  answer counts differ: ${mismatches.join('; ')}` : 'MET   answer counts agree between the bridge and every peer');
}
