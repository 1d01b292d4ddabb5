// @ts-check
/**
 * The bridge host: one Node process that runs many bridges for the tests, each started as
 * `mwl-bridge start` starts it (the same flags, config and log lines), so that the bridge's
 * modules are loaded once per host instead of once per bridge (~1.3 s of CPU each).
 *
 * Plain JavaScript (type-checked from the JSDoc types: tsconfig.test.json), run by node as it is:
 * it imports the built modules (dist/, given as its argument), and a loader such as tsx would
 * double the cost of loading them, in the host and in every worker thread of its bridges.
 *
 * It serves one test process at a time (a second one is told it is busy), over a Unix socket in
 * the abstract namespace (no file to leave behind), named in its {ready, socket} IPC message to
 * its parent: `npm test` starts a few for the whole run (with-bridge-hosts.js), and a test process
 * that finds none free starts its own (peers.ts). It exits with its parent (the IPC channel).
 *
 * Protocol, JSON lines: {start, id, args, env} starts a bridge; {stop, id} stops it as SIGTERM
 * would. Each bridge's log lines come back as {log, id, lines}, and its end as {exit, id, code}
 * with the exit code the process would have had (a start that fails reports the CLI's error line
 * first). When the test process goes, its bridges are stopped.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import process from 'node:process';
import { setImmediate } from 'node:timers';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

/** @typedef {{ type: 'start'; id: number; args: string[]; env: NodeJS.ProcessEnv } | { type: 'stop'; id: number }} HostRequest */
/** @typedef {{ type: 'hello' } | { type: 'busy' } | { type: 'log'; id: number; lines: string[] } | { type: 'exit'; id: number; code: number }} HostReply */
/** The host's name (its socket in the abstract namespace, without the leading NUL). @typedef {{ type: 'ready'; socket: string }} HostReady */
/** @typedef {import('node:net').Socket} Socket */
/** @typedef {import('../../src/app/bridge.js').RunningBridge} RunningBridge */
/** @typedef {import('../../src/log.js').Logger} Logger */
/**
 * A hosted bridge: its log lines not yet sent, its logger, and its start (resolving with the
 * bridge, or undefined when it failed).
 * @typedef {{ pending: string[]; logger: Logger; started: Promise<RunningBridge | undefined> }} Hosted
 */

const distDir = process.argv[2];
const parent = process.send?.bind(process);
if (!distDir || !parent) throw new Error('the bridge host runs as a child of node with an IPC channel, given the dist/ folder');

/**
 * The built modules the host runs, by their path in dist/.
 * @typedef {{
 *   'app/bridge.js': typeof import('../../src/app/bridge.js');
 *   'errors.js': typeof import('../../src/errors.js');
 *   'cli/heap-policy.js': typeof import('../../src/cli/heap-policy.js');
 *   'log.js': typeof import('../../src/log.js');
 *   'cli/options.js': typeof import('../../src/cli/options.js');
 *   'cli/start.js': typeof import('../../src/cli/start.js');
 * }} DistModules
 */
/**
 * @template {keyof DistModules} P
 * @param {P} path
 * @returns {Promise<DistModules[P]>}
 */
const load = (path) => import(pathToFileURL(join(distDir, path)).href);
const { startBridge } = await load('app/bridge.js');
const { errorMessage } = await load('errors.js');
const { applyHeapPolicy } = await load('cli/heap-policy.js');
const { createLogger } = await load('log.js');
const { buildConfig, settingOptions } = await load('cli/options.js');
const { stopWithinDeadline } = await load('cli/start.js');

/** The test process served, and its bridges. */
class Client {
  /** @type {Map<number, Hosted>} */
  bridges = new Map();
  flushQueued = false;

  /** @param {Socket} socket */
  constructor(socket) {
    this.socket = socket;
  }

  /** @param {HostReply} reply */
  send(reply) {
    if (!this.socket.destroyed) this.socket.write(JSON.stringify(reply) + '\n');
  }

  /** Log lines go back in batches: one message per bridge per turn of the event loop. */
  flush() {
    this.flushQueued = false;
    for (const [id, hosted] of this.bridges) {
      if (hosted.pending.length > 0) this.send({ type: 'log', id, lines: hosted.pending.splice(0) });
    }
  }

  /**
   * @param {string[]} pending
   * @param {string} line
   */
  writeLine(pending, line) {
    pending.push(line);
    if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => {
        this.flush();
      });
    }
  }

  /**
   * @param {number} id
   * @param {number} code
   */
  exit(id, code) {
    this.flush();
    this.bridges.delete(id);
    this.send({ type: 'exit', id, code });
  }

  /**
   * As `mwl-bridge start ARGS` starts the bridge, with the environment of the test.
   * @param {number} id
   * @param {string[]} args
   * @param {NodeJS.ProcessEnv} env
   */
  start(id, args, env) {
    /** @type {string[]} */
    const pending = [];
    /** @param {string} line */
    const write = (line) => {
      this.writeLine(pending, line);
    };
    // Until the config names the level and format, the CLI's defaults.
    /** @type {Hosted} */
    const hosted = { pending, logger: createLogger({ write }), started: Promise.resolve(undefined) };
    this.bridges.set(id, hosted);
    hosted.started = (async () => {
      /** @type {import('../../src/cli/options.js').Flags} */
      let flags;
      try {
        flags = parseArgs({ args, options: settingOptions, allowPositionals: true, strict: true }).values;
      } catch (err) {
        write(`mwl-bridge start: ${errorMessage(err)}`);
        this.exit(id, 2);
        return undefined;
      }
      try {
        const config = buildConfig(flags, env);
        hosted.logger = createLogger({ level: config['log.level'], format: config['log.format'], write });
        return await startBridge(config, hosted.logger);
      } catch (err) {
        write(`mwl-bridge: ${errorMessage(err)}`);
        this.exit(id, 1);
        return undefined;
      }
    })();
  }

  /**
   * As SIGTERM stops `mwl-bridge start`: a stop asked for during start-up is carried out once the bridge is up.
   * @param {number} id
   */
  async stop(id) {
    const hosted = this.bridges.get(id);
    if (!hosted) return;
    const bridge = await hosted.started;
    if (!bridge) return;
    hosted.logger.info('bridge.stopping', { signal: 'SIGTERM' });
    if (!(await stopWithinDeadline(bridge, hosted.logger))) {
      this.exit(id, 1);
      return;
    }
    hosted.logger.info('bridge.stopped');
    this.exit(id, 0);
  }

  /** The test process went without stopping them (it failed, or was killed): its bridges are stopped. */
  stopAll() {
    for (const id of this.bridges.keys()) void this.stop(id);
  }
}

/** @type {(line: string) => HostRequest} */
const parseRequest = JSON.parse;

/** The test process served now. */
/** @type {Client | undefined} */
let served;

const server = createServer((socket) => {
  if (served) {
    socket.end(JSON.stringify(/** @satisfies {HostReply} */ ({ type: 'busy' })) + '\n');
    return;
  }
  const client = new Client(socket);
  served = client;
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (/** @type {string} */ chunk) => {
    const lines = (buffered + chunk).split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      const request = parseRequest(line);
      if (request.type === 'start') client.start(request.id, request.args, request.env);
      else void client.stop(request.id);
    }
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    if (served === client) served = undefined;
    client.stopAll();
  });
  client.send({ type: 'hello' });
});

applyHeapPolicy();
// As `mwl-bridge start` does, a fault that reaches the top is logged and the bridges go on; in
// every bridge's log, since which one it came from is not known.
/** @param {unknown} err */
const where = (err) => (err instanceof Error ? err.stack?.split('\n').slice(1, 4).join(' | ') : undefined);
process.on('uncaughtException', (err) => {
  for (const { logger } of served?.bridges.values() ?? [])
    logger.error('process.uncaught_exception', { error: errorMessage(err), stack: where(err), effect: 'logged; the bridge goes on' });
});
process.on('unhandledRejection', (reason) => {
  for (const { logger } of served?.bridges.values() ?? [])
    logger.error('process.unhandled_rejection', { error: errorMessage(reason), stack: where(reason), effect: 'logged; the bridge goes on' });
});
// The parent ended (or was killed): the host ends with it.
process.on('disconnect', () => {
  process.exit(0);
});
// In the abstract namespace (a leading NUL: the socket is a name, not a file). The name goes
// without its NUL, which an environment variable cannot carry.
const socketName = `mwl-bridge-host-${process.pid}-${randomBytes(6).toString('hex')}`;
server.listen(`\0${socketName}`, () => {
  parent(/** @satisfies {HostReady} */ ({ type: 'ready', socket: socketName }));
});
