// @ts-check
/**
 * Starts a bridge host (bridge-host.js) as a child of this process: for the whole `npm test` run
 * (with-bridge-hosts.js) or for one test process that found none of the run's free (peers.ts).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import process from 'node:process';

/** @typedef {import('./bridge-host.js').HostReady} HostReady */

/**
 * Starts projectDir's bridge host on its built modules (projectDir/dist). The host exits with this
 * process (its IPC channel) but does not hold its event loop once ready.
 * @param {string} projectDir
 * @returns {Promise<string>} the name of the host's socket, once it is ready
 */
export function startBridgeHost(projectDir) {
  const host = spawn(process.execPath, [join(projectDir, 'test', 'helpers', 'bridge-host.js'), join(projectDir, 'dist')], {
    cwd: projectDir,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise((resolveName, rejectName) => {
    host.once('exit', (code) => {
      rejectName(new Error(`a bridge host exited (code ${String(code)}) before it was ready (its stderr is in the test output)`));
    });
    host.once('message', (/** @type {HostReady} */ ready) => {
      host.unref();
      host.channel?.unref();
      resolveName(ready.socket);
    });
  });
}
