/**
 * The worklist servers the bridge is compared with, started on a folder of .wl files: DCMTK
 * wlmscpfs and Orthanc with its ModalityWorklists plugin. Used by the mirror tests and the benchmark.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, hasCommand } from './peers.js';

export const ORTHANC_PLUGIN = '/usr/share/orthanc/plugins/libModalityWorklists.so';

export function orthancAvailable(): boolean {
  return hasCommand('Orthanc') && existsSync(ORTHANC_PLUGIN);
}

export interface WorklistServer {
  name: string;
  port: number;
  aeTitle: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Waits until the server answers C-ECHO (or fails with the end of its log). */
export async function waitForEcho(port: number, aeTitle: string, child: ChildProcess, what: string, logFile: string): Promise<void> {
  const until = Date.now() + 60000;
  while (spawnSync('echoscu', ['-to', '2', '-aec', aeTitle, '127.0.0.1', String(port)]).status !== 0) {
    if (Date.now() > until || child.exitCode !== null)
      throw new PeerStartError(`${what} did not start:\n${readFileSync(logFile, 'utf8').slice(-2000)}`, child.exitCode !== null);
    await new Promise((r) => setTimeout(r, 100));
  }
  // Something answered on the port: it must be this server, not another process that took the port first.
  if (child.exitCode !== null || !listensOn(child.pid!, port)) {
    child.kill('SIGKILL');
    throw new PeerStartError(`${what} does not hold port ${port} although it answered:\n${readFileSync(logFile, 'utf8').slice(-2000)}`, true);
  }
}

/** Whether process pid holds the listening TCP socket of port (Linux /proc; true where /proc cannot tell). */
function listensOn(pid: number, port: number): boolean {
  let inodes: Set<string>;
  try {
    const rows = ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((f) => readFileSync(f, 'utf8').split('\n').slice(1));
    const portHex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
    // Columns: sl local_address rem_address st ... inode; st 0A is LISTEN.
    inodes = new Set(
      rows
        .map((r) => r.trim().split(/\s+/))
        .filter((c) => c[1]?.endsWith(portHex) && c[3] === '0A')
        .map((c) => c[9]!),
    );
  } catch {
    return true;
  }
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return inodes.has(/^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1] ?? '');
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

/** A server that did not come up; exited: it ended by itself (e.g. its port was taken), so another port may do. */
export class PeerStartError extends Error {
  constructor(
    message: string,
    readonly exited: boolean,
  ) {
    super(message);
  }
}

/**
 * Starts a server that must be given its port up front (wlmscpfs, Orthanc, the benchmark's bridge):
 * the port comes from freePort(), and another process can bind it before the server does, so a
 * server that exits while starting is started again on another port (up to 5 times).
 */
export async function startOnFreePort<T extends WorklistServer>(start: (port: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(await freePort());
    } catch (err) {
      if (!(err instanceof PeerStartError && err.exited) || attempt === 5) throw err;
    }
  }
}

export function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await new Promise((r) => {
      if (child.exitCode !== null) r(null);
      else child.once('exit', r);
    });
  };
}

/**
 * wlmscpfs -csk (answers carry the file's Specific Character Set; it sends none by default) on a
 * folder of storage areas. Its log goes to <dir>/wlmscpfs.log, not a pipe: callers block the event
 * loop in spawnSync, and a full pipe would stall it. quiet: no per-file warnings (they cost time).
 */
export function startWlmscpfs(root: string, aeTitle: string, dir: string, opts: { quiet?: boolean } = {}): Promise<WorklistServer> {
  return startOnFreePort(async (port) => {
    const logFile = join(dir, 'wlmscpfs.log');
    const log = openSync(logFile, 'w');
    const child = spawn('wlmscpfs', [...(opts.quiet ? ['-q'] : []), '-csk', '-dfp', root, String(port)], { stdio: ['ignore', log, log] });
    closeSync(log);
    await waitForEcho(port, aeTitle, child, 'wlmscpfs', logFile);
    return { name: 'wlmscpfs', port, aeTitle, process: child, stop: stopper(child) };
  });
}

/** Orthanc serving a flat folder of .wl files, answering in UTF-8, any calling AE title allowed. */
export function startOrthanc(folder: string, dir: string): Promise<WorklistServer> {
  return startOnFreePort(async (port) => {
    const storage = join(dir, 'orthanc-storage');
    const config = join(dir, 'orthanc.json');
    writeFileSync(
      config,
      JSON.stringify({
        Name: 'mwl-bridge-peer',
        StorageDirectory: storage,
        IndexDirectory: storage,
        DicomAet: 'ORTHANC',
        DicomPort: port,
        HttpServerEnabled: false,
        Plugins: [ORTHANC_PLUGIN],
        Worklists: { Enable: true, Database: folder },
        DicomCheckCalledAet: false,
        DicomAlwaysAllowEcho: true,
        DicomAlwaysAllowFindWorklist: true,
        DefaultEncoding: 'Utf8',
        LimitFindResults: 0,
      }),
    );
    const logFile = join(dir, 'orthanc.log');
    const log = openSync(logFile, 'w');
    const child = spawn('Orthanc', [config], { stdio: ['ignore', log, log] });
    closeSync(log);
    await waitForEcho(port, 'ORTHANC', child, 'Orthanc', logFile);
    return { name: 'Orthanc', port, aeTitle: 'ORTHANC', process: child, stop: stopper(child) };
  });
}
