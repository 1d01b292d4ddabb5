/**
 * The servers the benchmark measures, as child processes: the bridge (its CLI), DCMTK wlmscpfs and
 * Orthanc with its worklist plugin, each on a free port; and findscu runs timed against them.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, projectDir } from '../test/helpers/peers.js';
import { startOnFreePort, stopper, waitForEcho, type WorklistServer } from '../test/helpers/worklist-peers.js';

export { orthancAvailable, startOrthanc, startWlmscpfs } from '../test/helpers/worklist-peers.js';
export { hasCommand, projectDir } from '../test/helpers/peers.js';
export type Server = WorklistServer;

export function startBridge(dir: string, extra: string[] = []): Promise<Server & { mllpPort: number; httpPort: number }> {
  return startOnFreePort(async (dicomPort) => {
    const [mllpPort, httpPort] = [await freePort(), await freePort()];
    const logFile = join(dir, 'bridge.log');
    const log = openSync(logFile, 'a');
    const child = spawn(
      process.execPath,
      [
        ...(process.env.BENCH_BRIDGE_NODE_ARGS ?? '').split(' ').filter(Boolean),
        join(projectDir, 'dist', 'cli.js'),
        'start',
        '--db',
        join(dir, 'worklist.db'),
        '--mllp-port',
        String(mllpPort),
        '--mllp-host',
        '127.0.0.1',
        '--dicom-port',
        String(dicomPort),
        '--ae-title',
        'MWL_BRIDGE',
        '--http-port',
        String(httpPort),
        // The universal query at 100,000 items answers every item over DICOMweb too.
        '--http-max-results',
        '100000',
        '--max-answers',
        '0',
        '--log-level',
        'warn',
        ...extra,
      ],
      { stdio: ['ignore', log, log] },
    );
    closeSync(log);
    await waitForEcho(dicomPort, 'MWL_BRIDGE', child, 'the bridge', logFile);
    return { name: 'mwl-bridge', port: dicomPort, aeTitle: 'MWL_BRIDGE', mllpPort, httpPort, process: child, stop: stopper(child) };
  });
}

/**
 * DCMTK leaves Nagle's algorithm on unless TCP_NODELAY is set in the environment; with it on, every
 * query of a --repeat run waits ~40 ms for a delayed ACK (measured against the bridge: 10 queries
 * 0.56 s without, 0.15 s with). Set for every server alike, so the query work is what is measured.
 */
export const FINDSCU_ENV = { ...process.env, TCP_NODELAY: '1' };

function runFindscu(server: Server, keys: string[], repeat: number, quiet: boolean): { ms: number; output: string; status: number } {
  const args = [
    '-W',
    '-to',
    '600',
    '-aec',
    server.aeTitle,
    ...(quiet ? ['-q'] : ['-v']),
    ...(repeat > 1 ? ['--repeat', String(repeat)] : []),
    '127.0.0.1',
    String(server.port),
    ...keys.flatMap((k) => ['-k', k]),
  ];
  const started = performance.now();
  // stdout and stderr are null when findscu could not be started (e.g. not installed).
  const r: SpawnSyncReturns<string | null> = spawnSync('findscu', args, { encoding: 'latin1', maxBuffer: 1 << 30, timeout: 1800000, env: FINDSCU_ENV });
  return { ms: performance.now() - started, output: (r.stdout ?? '') + (r.stderr ?? ''), status: r.status ?? -1 };
}

export interface QueryTiming {
  answers: number;
  /** The first run of the query: findscu start, association and one query, nothing cached yet. */
  firstMs: number;
  /** Time per query over one association, process start and association excluded. */
  msPerQuery: number;
  repeats: number;
}

/**
 * Times one query: findscu --repeat R on one association against a run with one query; the
 * difference divided by R-1 is the time per query (process start and association cancel out). A
 * probe run of 11 queries estimates the time per query, and R is chosen so that the repeated
 * queries last about 1.5 s (at most 500), which keeps the start-up jitter of findscu (~10 ms)
 * below 0.1 ms per query for the fast ones. Queries over a second are repeated 3 times.
 */
export function timeQuery(server: Server, keys: string[]): QueryTiming {
  const counted = runFindscu(server, keys, 1, false);
  // findscu exits 0 even when the association was aborted mid-answer: require the final response.
  if (counted.status !== 0 || !/Final Find Response/.test(counted.output))
    throw new Error(`findscu against ${server.name} failed: ${counted.output.slice(-500)}`);
  const answers = (counted.output.match(/Find Response: \d+ \(Pending\)/g) ?? []).length;
  const single = runFindscu(server, keys, 1, true);
  let repeats = 3;
  if (single.ms < 1000) {
    const probe = runFindscu(server, keys, 11, true);
    const estimate = Math.max(0.5, (probe.ms - single.ms) / 10);
    repeats = Math.max(11, Math.min(500, Math.ceil(1500 / estimate)));
  }
  const many = runFindscu(server, keys, repeats, true);
  const msPerQuery = Math.max(0, (many.ms - single.ms) / (repeats - 1));
  return { answers, firstMs: counted.ms, msPerQuery, repeats };
}

/** Peak and current resident memory of a process, in MB (Linux /proc). */
export function memoryOf(pid: number): { peakMb: number; rssMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { peakMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
}
