/**
 * The worklist servers the bridge is compared with, started on a folder of .wl files: DCMTK
 * wlmscpfs and Orthanc with its ModalityWorklists plugin. Used by the mirror tests and the benchmark.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
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
    if (Date.now() > until || child.exitCode !== null) throw new Error(`${what} did not start:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
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
export async function startWlmscpfs(root: string, aeTitle: string, dir: string, opts: { quiet?: boolean } = {}): Promise<WorklistServer> {
  const port = await freePort();
  const logFile = join(dir, 'wlmscpfs.log');
  const log = openSync(logFile, 'w');
  const child = spawn('wlmscpfs', [...(opts.quiet ? ['-q'] : []), '-csk', '-dfp', root, String(port)], { stdio: ['ignore', log, log] });
  closeSync(log);
  await waitForEcho(port, aeTitle, child, 'wlmscpfs', logFile);
  return { name: 'wlmscpfs', port, aeTitle, process: child, stop: stopper(child) };
}

/** Orthanc serving a flat folder of .wl files, answering in UTF-8, any calling AE title allowed. */
export async function startOrthanc(folder: string, dir: string): Promise<WorklistServer> {
  const port = await freePort();
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
}
