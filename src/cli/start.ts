/** `mwl-bridge start`: runs the bridge until SIGTERM or SIGINT; SIGHUP reloads the mappings and the TLS certificates. */
import { startBridge, type RunningBridge } from '../app/bridge.js';
import { errorMessage } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { applyHeapPolicy } from './heap-policy.js';
import { buildConfig, type Flags } from './options.js';

/** How long the whole stop may take before the process exits anyway. */
const STOP_DEADLINE_MS = 15_000;

export async function commandStart(flags: Flags): Promise<number> {
  const config = buildConfig(flags);
  const logger = createLogger({ level: config['log.level'], format: config['log.format'] });
  applyHeapPolicy();
  // The last line of defence: every protocol handler runs behind its own boundary, so reaching
  // these is a fault in the bridge or a library. The fault is logged with where it was thrown, and
  // the bridge goes on serving: stopping would stop every modality and RIS, and the store is durable.
  const where = (err: unknown): string | undefined => (err instanceof Error ? err.stack?.split('\n').slice(1, 4).join(' | ') : undefined);
  process.on('uncaughtException', (err) => {
    logger.error('process.uncaught_exception', { error: errorMessage(err), stack: where(err), effect: 'logged; the bridge goes on' });
  });
  process.on('unhandledRejection', (reason) => {
    logger.error('process.unhandled_rejection', { error: errorMessage(reason), stack: where(reason), effect: 'logged; the bridge goes on' });
  });
  // The signal handlers exist before the listeners log that they are ready: a SIGTERM sent on that
  // line used to find none and end the process by the signal (tests: 18 of 40 quick stops). A stop
  // asked for during start-up is carried out once the bridge is up; SIGHUP before then is ignored
  // (there is nothing to reload).
  const stopSignal = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => {
      resolve('SIGTERM');
    });
    process.once('SIGINT', () => {
      resolve('SIGINT');
    });
  });
  let reload = (): void => undefined;
  process.on('SIGHUP', () => {
    reload();
  });
  const bridge = await startBridge(config, logger);
  reload = () => {
    bridge.reloadMappings();
    bridge.reloadCertificates();
  };
  const signal = await stopSignal;
  logger.info('bridge.stopping', { signal });
  if (!(await stopWithinDeadline(bridge, logger))) {
    // What did not stop still holds the event loop: exit here.
    process.exit(1);
  }
  logger.info('bridge.stopped');
  // Everything is closed; a handle something still holds (a bug) must not keep the process alive.
  setTimeout(() => {
    logger.warn('bridge.exit_forced', { waiting_on: process.getActiveResourcesInfo().join(','), effect: 'exited anyway, 2 s after bridge.stopped' });
    process.exit(0);
  }, 2000).unref();
  return 0;
}

/**
 * Stops the bridge, bounded: a part that never finishes (a peer that never closes its side) must
 * not keep a stopped bridge running, so that a service manager's restart is not held up. Resolves
 * false when the deadline passed first (logged), true otherwise (a failed stop is logged too).
 */
export async function stopWithinDeadline(bridge: RunningBridge, logger: Logger, deadlineMs = STOP_DEADLINE_MS): Promise<boolean> {
  let deadline: NodeJS.Timeout | undefined;
  const stopped = await Promise.race([
    bridge.stop().then(
      () => true,
      (err: unknown) => {
        logger.error('bridge.stop_failed', { error: errorMessage(err) });
        return true;
      },
    ),
    new Promise<false>((resolve) => {
      deadline = setTimeout(() => {
        resolve(false);
      }, deadlineMs);
    }),
  ]);
  clearTimeout(deadline);
  if (!stopped) logger.error('bridge.stop_timeout', { seconds: deadlineMs / 1000, effect: 'exiting without waiting further; stored orders are durable' });
  return stopped;
}
