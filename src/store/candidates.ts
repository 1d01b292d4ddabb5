/**
 * The candidates of a worklist query: the items the indexes find for it (query-sql.ts compiles the
 * query), a page at a time. The exact matcher (model/match.ts) then confirms each.
 */
import type { WorklistQuery } from '../model/query.js';
import { sqlList, type StoreConnection } from './connection.js';
import type { ItemRow, StoredItem } from './item-table.js';
import { ParsedItems } from './parsed-items.js';
import { compileWorklistQuery } from './query-sql.js';
import type { DicomJson, ItemStatus } from '../model/item.js';

/**
 * Estimated bytes of items kept between queries (parsed-items.ts): some 3,500 parsed items of a
 * typical size (1.4 KB of JSON), or some 13,000 kept as the answer bytes of a repeated query
 * (10,000 items kept so: 17.6 MB estimated, 20 MB of heap). Measured at 100,000 items, universal
 * query, peak RSS: 36 MB -> 224 MB, 24 MB -> 201 MB (against a 150 MB target); 10,000 items still fit.
 */
const PARSED_ITEMS_BYTES = 24 * 1024 * 1024;

/**
 * A query over more candidates than this reads its items without keeping them (keepsScan): twice
 * what the bound above holds as answers. Keeping the first 13,000 items of a universal query over
 * 100,000 cost more than the 13% of hits saved (the kept objects tenured, then traced by every
 * major GC as the rest streamed through). Measured, bridge CPU and peak RSS per query: kept 7.7-9.3 s,
 * 201 MB; none kept 4.5 s, 160 MB.
 */
const KEPT_SCAN_LIMIT = 25_000;

export class CandidateQueries {
  private readonly parsed = new ParsedItems(PARSED_ITEMS_BYTES);

  constructor(
    private readonly conn: StoreConnection,
    private readonly shownStatuses: readonly ItemStatus[],
  ) {}

  /**
   * One page of candidates (ids above afterId, in id order). Paging rather than one open cursor:
   * better-sqlite3 refuses other statements while a cursor is open, and a long answer is sent over
   * many event-loop turns during which orders keep being stored. The data sets are shared between
   * queries (read-only).
   */
  page(query: WorklistQuery, afterId: number, limit: number, statuses: readonly ItemStatus[] = this.shownStatuses): StoredItem[] {
    const { sql, params } = this.sql(query, 'id, status, dataset', afterId, statuses);
    const rows = this.conn.statement(`${sql} ORDER BY id LIMIT ?`).all(...params, limit) as ItemRow[];
    return rows.map((row) => ({ id: row.id, status: row.status, dataset: this.parsed.get(row.id, row.dataset) }));
  }

  /**
   * The ids of every candidate, in id order: the first step of a long answer (find.ts). Paging the
   * whole query by id made SQLite sort every remaining candidate, datasets and all, for each page of
   * 256 (a temp B-tree under an index on status or date): quadratic, 20 sorts at 10,000 answers.
   */
  ids(query: WorklistQuery, statuses: readonly ItemStatus[] = this.shownStatuses): number[] {
    const { sql, params } = this.sql(query, 'id', 0, statuses);
    // pluck: this statement (cached by its text) is only ever read as bare ids.
    return this.conn
      .statement(`${sql} ORDER BY id`)
      .pluck()
      .all(...params) as number[];
  }

  /**
   * The rows of these ids (in id order) still in one of the statuses, their data sets as stored
   * (text): the second step of a long answer, which reads each through dataset() or derived().
   */
  rowsByIds(ids: readonly number[], statuses: readonly ItemStatus[] = this.shownStatuses): ItemRow[] {
    // "+status": by rowid, in id order, not through the index on status (which read every item with the status, per page).
    const sql = `SELECT id, status, dataset FROM items WHERE id IN (SELECT value FROM json_each(?)) AND +status IN (${sqlList(statuses)}) ORDER BY id`;
    return this.conn.statement(sql).all(JSON.stringify(ids)) as ItemRow[];
  }

  /** Whether a query over this many candidates keeps the items it reads for the next queries. */
  keepsScan(candidates: number): boolean {
    return candidates <= KEPT_SCAN_LIMIT;
  }

  /** The parsed data set of a row (shared between queries: read-only); kept for the next queries unless keep is false. */
  dataset(row: ItemRow, keep = true): DicomJson {
    return keep ? this.parsed.get(row.id, row.dataset) : (this.parsed.peek(row.id, row.dataset) ?? (JSON.parse(row.dataset) as DicomJson));
  }

  /** What the query of this key derived from the row's item before, while the item is unchanged (parsed-items.ts). */
  derived(row: ItemRow, key: string): { value: unknown } | undefined {
    return this.parsed.derived(row.id, row.dataset, key);
  }

  /** Keeps what the query of this key derived from the row's item (estimated bytes), while it fits. */
  remember(row: ItemRow, key: string, value: unknown, bytes: number): void {
    this.parsed.remember(row.id, row.dataset, key, value, bytes);
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
