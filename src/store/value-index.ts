/**
 * The value index (item_values): every short text, code, date and UID of an item and its scheduled
 * steps, as (tag, value) rows, so that queries on any attribute use an index.
 *
 * Orders stored by group commits are indexed in batches. Writing an order's ~13 rows at once costs
 * one B-tree page per value in every commit (measured: 160-210 of 580-740 us per stored order);
 * written for a few hundred orders together, the rows share their pages (15 us per order).
 * Meanwhile the items are listed in item_values_pending, which queries take as candidates.
 */
import { BridgeError, errorMessage } from '../errors.js';
import type { DicomJson } from '../model/item.js';
import { isBusy, type StoreConnection } from './connection.js';
import { indexedValuesOf } from './keys.js';

/** Pending items indexed per run. */
export const VALUE_INDEX_BATCH = 256;
/** Value-index rows per INSERT statement, a power of two (3 parameters each; SQLite allows 32,766). */
const VALUE_ROWS_PER_INSERT = 128;
/** Pause in group commits after which the rest is indexed. */
const VALUE_INDEX_IDLE_MS = 200;

export class ValueIndex {
  /** True inside a group commit: items are marked pending instead of indexed at once. */
  deferred = false;
  /** Items marked since the last indexing run (a rolled-back mark still counts: it only runs the next batch sooner). */
  private markedSinceIndexing = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Where errors of background indexing are reported; they never lose stored data. */
  onBackgroundError: ((err: BridgeError) => void) | undefined;

  constructor(private readonly conn: StoreConnection) {}

  /** Lists the items stored before the value index existed as pending (once per database). */
  backfill(): void {
    if (this.conn.statement("SELECT 1 FROM store_meta WHERE key = 'item_values'").get()) return;
    this.conn.transaction(() => {
      this.conn.statement('INSERT OR IGNORE INTO item_values_pending (item_id) SELECT id FROM items').run();
      this.conn.statement("INSERT INTO store_meta (key, value) VALUES ('item_values', ?)").run(new Date().toISOString());
    });
  }

  /** Indexes an item's values now, or marks it pending inside a group commit. */
  index(id: number, dataset: DicomJson, replace: boolean): void {
    if (this.deferred) {
      this.conn.statement('INSERT OR IGNORE INTO item_values_pending (item_id) VALUES (?)').run(id);
      this.markedSinceIndexing++;
      return;
    }
    if (replace) this.conn.statement('DELETE FROM item_values WHERE item_id = ?').run(id);
    this.insertRows(indexedValuesOf(dataset).flatMap(({ tag, value }) => [id, tag, value]));
  }

  /** Whether enough items are pending for a batch to be written inside the current group commit. */
  get batchDue(): boolean {
    return this.markedSinceIndexing >= VALUE_INDEX_BATCH;
  }

  /** Writes the value-index rows of up to limit pending items, from their stored datasets; returns how many. */
  indexPending(limit = VALUE_INDEX_BATCH): number {
    return this.conn.transaction(() => {
      const pending = this.conn
        .statement('SELECT p.item_id AS id, i.dataset FROM item_values_pending p LEFT JOIN items i ON i.id = p.item_id ORDER BY p.item_id LIMIT ?')
        .all(limit) as { id: number; dataset: string | null }[];
      const last = pending.at(-1)?.id;
      if (last === undefined) return 0;
      // Rows of items changed while listed are replaced.
      this.conn.statement('DELETE FROM item_values WHERE item_id IN (SELECT item_id FROM item_values_pending WHERE item_id <= ?)').run(last);
      const params: (string | number)[] = [];
      for (const { id, dataset } of pending) {
        // (No item: deleted while foreign keys were off; its mark just goes.)
        if (dataset === null) continue;
        for (const { tag, value } of indexedValuesOf(JSON.parse(dataset) as DicomJson)) params.push(id, tag, value);
      }
      this.insertRows(params);
      this.conn.statement('DELETE FROM item_values_pending WHERE item_id <= ?').run(last);
      this.markedSinceIndexing = 0;
      return pending.length;
    });
  }

  /** Indexes everything left pending (by a stop in the middle of a burst); another process writing leaves it for later. */
  indexLeftovers(): void {
    try {
      while (this.indexPending() > 0);
    } catch (err) {
      // Another process writing (an import): the items stay listed, queries find them, a later run indexes them.
      if (!isBusy((err as { cause?: unknown }).cause ?? err)) throw err;
    }
  }

  /** Indexes what is still pending once group commits pause (VALUE_INDEX_IDLE_MS after the last one). */
  schedule(): void {
    if (this.markedSinceIndexing > 0) this.arm();
  }

  close(): void {
    clearTimeout(this.timer);
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.indexAfterPause();
    }, VALUE_INDEX_IDLE_MS);
    this.timer.unref();
  }

  private indexAfterPause(): void {
    this.timer = undefined;
    try {
      // A full batch may have left more: the next one after another pause (batches with event-loop
      // turns between them; a group commit meanwhile re-arms the timer).
      if (this.indexPending() === VALUE_INDEX_BATCH) this.arm();
    } catch (err) {
      // Another process writing (an import): simply later.
      if (isBusy((err as { cause?: unknown }).cause ?? err)) {
        this.arm();
        return;
      }
      // Queries stay right (the items remain pending); the next group commit tries again.
      this.onBackgroundError?.(new BridgeError('STORE_WRITE', `the value index could not be updated: ${errorMessage(err)}`, { cause: err }));
    }
  }

  /**
   * Inserts value-index rows given as flat (item_id, tag, value) triples, many rows per INSERT: one
   * statement run per value cost more than the B-tree insert itself. Chunks of 128, then 64, 32, ...
   * rows: a few statement shapes, each prepared once.
   */
  private insertRows(params: (string | number)[]): void {
    for (let start = 0, rows = VALUE_ROWS_PER_INSERT; start < params.length;) {
      while (start + 3 * rows > params.length) rows /= 2;
      this.conn
        .statement(`INSERT INTO item_values (item_id, tag, value) VALUES ${Array(rows).fill('(?, ?, ?)').join(', ')}`)
        .run(params.slice(start, start + 3 * rows));
      start += 3 * rows;
    }
  }
}
