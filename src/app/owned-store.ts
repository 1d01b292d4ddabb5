/** The running bridge's store: claimed as the one owner of its database, with its background work (checkpoints, retention). */
import { dirname, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { BridgeConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { BackgroundCheckpointer } from '../store/checkpointer.js';
import { claimDatabase } from '../store/owner-lock.js';
import type { WorklistStore } from '../store/worklist-store.js';
import { scheduleRetention } from '../worklist/retention.js';
import type { StopStack } from './stop-stack.js';
import { openStore } from './store.js';

/**
 * How long the running bridge's own writes may wait, blocking, for another process's write lock.
 * Group commits of orders never wait here: they retry from a timer (store/group-commit.ts); this bounds
 * the other writes (MPPS, value index, purge) so that an import never holds the event loop for long.
 */
const BRIDGE_BUSY_TIMEOUT_MS = 20;

/**
 * The WAL size at which the checkpoint worker starts: 4 MiB, about 1,000 pages, 10% of
 * wal_autocheckpoint. Below it, a commit's own checkpoint has little to copy.
 */
const CHECKPOINTER_START_WAL_BYTES = 4 * 1024 * 1024;

/** Opens the store as the one owner of its database, with its background work (checkpoints, retention). */
export async function openOwnedStore(config: BridgeConfig, logger: Logger, started: StopStack): Promise<WorklistStore> {
  const dbPath = config['db.path'];
  if (dbPath !== ':memory:') mkdirSync(dirname(resolve(dbPath)), { recursive: true });
  // One bridge per database: a second one stops here, naming the process that owns it.
  const ownership = dbPath === ':memory:' ? undefined : await claimDatabase(dbPath);
  if (ownership)
    started.push(() => {
      ownership.release();
    });
  const store = openStore(config, { busyTimeoutMs: BRIDGE_BUSY_TIMEOUT_MS });
  started.push(() => {
    store.close();
  });
  store.onUnavailable = (err) => {
    logger.error('store.database_file_gone', {
      path: dbPath,
      error: err.message,
      effect: 'every order is answered AE until the bridge is restarted on a real database file',
    });
  };
  store.onBackgroundError = (err) => {
    logger.error('store.value_index_failed', { code: err.code, error: err.message, effect: 'queries still find the items; retried with the next orders' });
  };
  if (config['db.checkpointIntervalMs'] > 0 && store.inWalMode) {
    const checkpointer = BackgroundCheckpointer.start(store.path, {
      intervalMs: config['db.checkpointIntervalMs'],
      startAtWalBytes: CHECKPOINTER_START_WAL_BYTES,
      onError: (message) => {
        logger.warn('store.checkpoint_failed', { error: message, effect: 'the commits checkpoint the WAL themselves meanwhile' });
      },
      onReport: ({ walFrames, checkpointed }) => {
        if (checkpointed > 0) logger.debug('store.checkpointed', { wal_frames: walFrames, copied: checkpointed });
      },
    });
    started.push(() => checkpointer.stop());
  }
  const stopRetention = scheduleRetention(
    store,
    {
      closedItemDays: config['retention.closedItemDays'],
      scheduledItemDays: config['retention.scheduledItemDays'],
      messageDays: config['retention.messageDays'],
      queryDays: config['retention.queryDays'],
    },
    config['retention.intervalMinutes'],
    logger,
  );
  started.push(stopRetention);
  return store;
}
