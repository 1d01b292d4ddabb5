/**
 * Retention: closed items, stale scheduled items and old message and query log entries are purged on a
 * schedule, so the store does not grow for years.
 */
import type { Logger } from '../log.js';
import type { WorklistStore } from '../store/worklist-store.js';
import type { PurgeCounts } from '../store/purge.js';
import { errorMessage } from '../errors.js';

export interface RetentionPolicy {
  closedItemDays: number;
  scheduledItemDays: number;
  messageDays: number;
  queryDays: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export function purgeExpired(store: Pick<WorklistStore, 'purge'>, policy: RetentionPolicy, now = new Date()): PurgeCounts {
  const before = (days: number): Date => new Date(now.getTime() - days * DAY_MS);
  const scheduled = before(policy.scheduledItemDays);
  const yyyymmdd = `${scheduled.getFullYear()}${String(scheduled.getMonth() + 1).padStart(2, '0')}${String(scheduled.getDate()).padStart(2, '0')}`;
  return store.purge({
    closedBefore: before(policy.closedItemDays).toISOString(),
    scheduledBefore: yyyymmdd,
    unchangedBefore: scheduled.toISOString(),
    messagesBefore: before(policy.messageDays).toISOString(),
    queriesBefore: before(policy.queryDays).toISOString(),
  });
}

/** Runs the purge now and every intervalMinutes; returns a function that stops it. */
export function scheduleRetention(store: WorklistStore, policy: RetentionPolicy, intervalMinutes: number, logger: Logger): () => void {
  if (intervalMinutes <= 0) {
    logger.info('retention.disabled');
    return () => undefined;
  }
  const run = (): void => {
    try {
      const purged = purgeExpired(store, policy);
      if (purged.closedItems + purged.staleItems + purged.messages + purged.queries > 0) logger.info('retention.purged', { ...purged });
    } catch (err) {
      logger.error('retention.failed', { error: errorMessage(err) });
    }
  };
  run();
  const timer = setInterval(run, intervalMinutes * 60 * 1000);
  timer.unref();
  return () => {
    clearInterval(timer);
  };
}
