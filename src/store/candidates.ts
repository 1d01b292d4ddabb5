/**
 * The candidates of a worklist query: the items the indexes find for it (query-sql.ts compiles the
 * query), a page at a time. The exact matcher (model/match.ts) then confirms each.
 */
import type { WorklistQuery } from '../model/query.js';
import { sqlList, type StoreConnection } from './connection.js';
import { toItem, type ItemRow, type StoredItem } from './item-table.js';
import { compileWorklistQuery } from './query-sql.js';
import type { ItemStatus } from '../model/item.js';

export class CandidateQueries {
  constructor(
    private readonly conn: StoreConnection,
    private readonly shownStatuses: readonly ItemStatus[],
  ) {}

  /**
   * One page of candidates (ids above afterId, in id order). Paging rather than one open cursor:
   * better-sqlite3 refuses other statements while a cursor is open, and a long answer is sent over
   * many event-loop turns during which orders keep being stored.
   */
  page(query: WorklistQuery, afterId: number, limit: number, statuses: readonly ItemStatus[] = this.shownStatuses): StoredItem[] {
    const { sql, params } = this.sql(query, 'id, status, dataset', afterId, statuses);
    return (this.conn.statement(`${sql} ORDER BY id LIMIT ?`).all(...params, limit) as ItemRow[]).map(toItem);
  }

  /** The SQL plan of a query, to check that indexes are used. */
  explain(query: WorklistQuery): string[] {
    const { sql, params } = this.sql(query, 'id', 0);
    const rows = this.conn.statement(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[];
    return rows.map((r) => r.detail);
  }

  /** Candidates of a query above an id: items with one value per key column, UNION ALL those with several. */
  private sql(query: WorklistQuery, columns: string, afterId: number, statuses = this.shownStatuses): { sql: string; params: unknown[] } {
    const compiled = compileWorklistQuery(query);
    // In the multi-valued part, "+status" keeps SQLite off indexes led by status, so that it finds the
    // few rows through the key columns' indexes (column IS NULL) instead of reading every open item.
    const select = (where: string, status = 'status'): string =>
      `SELECT ${columns} FROM items WHERE ${status} IN (${sqlList(statuses)}) AND ${where} AND id > ?`;
    if (!compiled.multiValued) return { sql: select(compiled.where), params: [...compiled.params, afterId] };
    return {
      sql: `${select(compiled.where)} UNION ALL ${select(compiled.multiValued.where, '+status')}`,
      params: [...compiled.params, afterId, ...compiled.multiValued.params, afterId],
    };
  }
}
