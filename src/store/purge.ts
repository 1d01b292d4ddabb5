/** Retention: deletes closed and stale items and old message log entries. */
import { CLOSED_STATUSES, OPEN_STATUSES } from '../model/item.js';
import { sqlList, type StoreConnection } from './connection.js';

export interface PurgeCutoffs {
  /** Closed items whose status changed before this (ISO time). */
  closedBefore: string;
  /** Open items scheduled before this day (YYYYMMDD)... */
  scheduledBefore: string;
  /** ...and unchanged since this time (so a just imported or updated item is never purged at once). */
  unchangedBefore: string;
  /** Message log entries received before this (ISO time). */
  messagesBefore: string;
  /** Query log entries before this (ISO time). */
  queriesBefore: string;
}

export interface PurgeCounts {
  closedItems: number;
  staleItems: number;
  messages: number;
  queries: number;
}

export function purgeStore(conn: StoreConnection, cutoffs: PurgeCutoffs): PurgeCounts {
  return conn.transaction(() => ({
    closedItems: conn.statement(`DELETE FROM items WHERE status IN (${sqlList(CLOSED_STATUSES)}) AND status_changed_at < ?`).run(cutoffs.closedBefore).changes,
    staleItems: conn
      .statement(
        `DELETE FROM items WHERE status IN (${sqlList(OPEN_STATUSES)}) AND sps_start_date IS NOT NULL AND sps_start_date != '' AND sps_start_date < ? AND updated_at < ?`,
      )
      .run(cutoffs.scheduledBefore, cutoffs.unchangedBefore).changes,
    messages: conn.statement('DELETE FROM messages WHERE received_at < ?').run(cutoffs.messagesBefore).changes,
    queries: conn.statement('DELETE FROM queries WHERE at < ?').run(cutoffs.queriesBefore).changes,
  }));
}
