/** `mwl-bridge start`: runs the bridge until SIGTERM or SIGINT; SIGHUP reloads the mappings. */
import { startBridge } from '../app/bridge.js';
import { errorMessage } from '../errors.js';
import { createLogger } from '../log.js';
import { applyHeapPolicy } from './heap-policy.js';
import { buildConfig, type Flags } from './options.js';

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
  const bridge = await startBridge(config, logger);
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string): void => {
      logger.info('bridge.stopping', { signal });
      bridge.stop().then(resolve, (err: unknown) => {
        logger.error('bridge.stop_failed', { error: errorMessage(err) });
        resolve();
      });
    };
    process.once('SIGTERM', () => {
      shutdown('SIGTERM');
    });
    process.once('SIGINT', () => {
      shutdown('SIGINT');
    });
    process.on('SIGHUP', () => bridge.reloadMappings());
  });
  logger.info('bridge.stopped');
  return 0;
}
