// @ts-check
/**
 * Runs a command (the test runner) with bridge hosts (bridge-host.js) for the whole run, named in
 * MWL_TEST_BRIDGE_HOSTS: each serves one test process at a time, so that the bridges of the test
 * files that run side by side still run in processes of their own, and each host loads the
 * bridge's modules once for all the files it serves. A test process that finds them all busy
 * starts a host of its own (peers.ts). The hosts exit with this process.
 *
 * The run's temporary folders (databases, mirrors, certificates: os.tmpdir()) go to one folder in
 * /dev/shm when the system has it, removed at the end: on this project's machine the fsyncs the
 * bridge makes before each ACK left the two cores idle for a fifth of the run on disk
 * (188 -> 151 s, CPU 263 -> 211 s). What the tests check of durability does not depend on the
 * medium: the order of write, fsync and ACK (ack-after-fsync, with strace) and restarts after
 * kill -9 (the page cache outlives the process). MWL_TEST_TMPDIR=keep leaves TMPDIR as it is.
 *
 * Usage: node test/helpers/with-bridge-hosts.js COUNT COMMAND [ARGS...]
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { startBridgeHost } from './start-bridge-host.js';

const [count, command, ...args] = process.argv.slice(2);
if (!count || !command) throw new Error('usage: with-bridge-hosts.js COUNT COMMAND [ARGS...]');
const projectDir = join(fileURLToPath(import.meta.url), '..', '..', '..');

/** @returns {string | undefined} a folder for the run's temporary files in /dev/shm, when it is there */
function memoryTempDir() {
  if (process.env.MWL_TEST_TMPDIR === 'keep') return undefined;
  try {
    accessSync('/dev/shm', constants.W_OK);
    return mkdtempSync('/dev/shm/mwl-test-run-');
  } catch {
    return undefined;
  }
}

const runTempDir = memoryTempDir();
if (runTempDir) process.env.TMPDIR = runTempDir;
process.on('exit', () => {
  if (runTempDir) rmSync(runTempDir, { recursive: true, force: true });
});
const names = await Promise.all(Array.from({ length: Number(count) }, () => startBridgeHost(projectDir)));
const run = spawn(command, args, { stdio: 'inherit', env: { ...process.env, MWL_TEST_BRIDGE_HOSTS: names.join(',') } });
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.on(signal, () => {
    run.kill(signal);
  });
}
run.once('exit', (code, signal) => {
  process.exitCode = code ?? (signal ? 1 : 0);
});
