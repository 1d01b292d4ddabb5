// @ts-check
/**
 * Runs a command (the test runner) with bridge hosts (bridge-host.js) for the whole run, named in
 * MWL_TEST_BRIDGE_HOSTS: each serves one test process at a time, so that the bridges of the test
 * files that run side by side still run in processes of their own, and each host loads the
 * bridge's modules once for all the files it serves. A test process that finds them all busy
 * starts a host of its own (peers.ts). The hosts exit with this process.
 *
 * Usage: node test/helpers/with-bridge-hosts.js COUNT COMMAND [ARGS...]
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

/** @typedef {import('./bridge-host.js').HostReady} HostReady */

const [count, command, ...args] = process.argv.slice(2);
if (!count || !command) throw new Error('usage: with-bridge-hosts.js COUNT COMMAND [ARGS...]');
const projectDir = join(fileURLToPath(import.meta.url), '..', '..', '..');

/** @returns {Promise<string>} the name of a new host's socket */
function startHost() {
  const host = spawn(process.execPath, [join(projectDir, 'test', 'helpers', 'bridge-host.js'), join(projectDir, 'dist')], {
    cwd: projectDir,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise((resolveName, rejectName) => {
    host.once('exit', (code) => {
      rejectName(new Error(`a bridge host exited (code ${String(code)}) before it was ready`));
    });
    host.once('message', (/** @type {HostReady} */ ready) => {
      // The hosts run until this process exits: they hold nothing of its own.
      host.unref();
      host.channel?.unref();
      resolveName(ready.socket);
    });
  });
}

const names = await Promise.all(Array.from({ length: Number(count) }, startHost));
const run = spawn(command, args, { stdio: 'inherit', env: { ...process.env, MWL_TEST_BRIDGE_HOSTS: names.join(',') } });
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.on(signal, () => {
    run.kill(signal);
  });
}
run.once('exit', (code, signal) => {
  process.exitCode = code ?? (signal ? 1 : 0);
});
