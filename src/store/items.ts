/**
 * The worklist store: items with their indexed matching keys, and the log of inbound messages.
 * Every write runs in one transaction; callers answer their peer only after it returned.
 */
import type { Statement } from 'better-sqlite3';
import type { DicomJson, ItemStatus } from '../worklist/item.js';
import { indexKeysOf } from '../worklist/keys.js';
import type { WorklistQuery } from '../worklist/query.js';
import { BridgeError } from '../errors.js';
import { openDatabase, type Database } from './db.js';
import { compileWorklistQuery } from './query-sql.js';

export interface StoredItem {
  id: number;
  status: ItemStatus;
  dataset: DicomJson;
}

export interface NewItem {
  dataset: DicomJson;
  source: 'hl7' | 'import';
  status?: ItemStatus;
}

export interface MessageRecord {
  receivedAt: string;
  remote: string | null;
  sendingApplication: string | null;
  sendingFacility: string | null;
  controlId: string | null;
  messageType: string | null;
  outcome: 'stored' | 'rejected' | 'error';
  ackCode: string;
  error: string | null;
  itemIds: number[];
  raw: Buffer;
  ack: string | null;
}

/** Statuses that keep an item on the worklist. */
const ACTIVE_STATUSES: readonly ItemStatus[] = ['SCHEDULED', 'ARRIVED', 'READY', 'STARTED'];

interface ItemRow {
  id: number;
  status: ItemStatus;
  dataset: string;
}

export class WorklistStore {
  private readonly insertItemStmt: Statement;
  private readonly insertMessageStmt: Statement;
  private readonly countStmt: Statement;

  private constructor(readonly db: Database) {
    this.insertItemStmt = db.prepare(`
      INSERT INTO items (status, source, patient_id, accession_number, patient_name, modality, station_ae_title,
        sps_start_date, sps_start_time, placer_order_number, filler_order_number, study_instance_uid,
        created_at, updated_at, dataset)
      VALUES (@status, @source, @patientId, @accessionNumber, @patientName, @modality, @stationAeTitle,
        @spsStartDate, @spsStartTime, @placerOrderNumber, @fillerOrderNumber, @studyInstanceUid,
        @now, @now, @dataset)`);
    this.insertMessageStmt = db.prepare(`
      INSERT INTO messages (received_at, remote, sending_application, sending_facility, control_id, message_type,
        outcome, ack_code, error, item_ids, raw, ack)
      VALUES (@receivedAt, @remote, @sendingApplication, @sendingFacility, @controlId, @messageType,
        @outcome, @ackCode, @error, @itemIds, @raw, @ack)`);
    this.countStmt = db.prepare('SELECT count(*) AS n FROM items');
  }

  static open(path: string): WorklistStore {
    return new WorklistStore(openDatabase(path));
  }

  /** Runs fn in one transaction (committed, and durable, when this returns). */
  transaction<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn)();
    } catch (err) {
      if (err instanceof BridgeError) throw err;
      throw new BridgeError('STORE_WRITE', `the store could not commit: ${(err as Error).message}`, { cause: err });
    }
  }

  insertItem(item: NewItem): number {
    const keys = indexKeysOf(item.dataset);
    const result = this.insertItemStmt.run({
      ...keys,
      status: item.status ?? 'SCHEDULED',
      source: item.source,
      now: new Date().toISOString(),
      dataset: JSON.stringify(item.dataset),
    });
    return Number(result.lastInsertRowid);
  }

  recordMessage(record: MessageRecord): number {
    const result = this.insertMessageStmt.run({ ...record, itemIds: JSON.stringify(record.itemIds) });
    return Number(result.lastInsertRowid);
  }

  /**
   * Items on the worklist that may match the query: the indexed pre-filter of compileWorklistQuery.
   * Lazy, so a large answer is read row by row.
   */
  *findCandidates(query: WorklistQuery): Generator<StoredItem> {
    const { where, params } = compileWorklistQuery(query);
    const placeholders = ACTIVE_STATUSES.map(() => '?').join(', ');
    const sql = `SELECT id, status, dataset FROM items WHERE status IN (${placeholders}) AND ${where} ORDER BY id`;
    for (const row of this.db.prepare(sql).iterate(...ACTIVE_STATUSES, ...params) as IterableIterator<ItemRow>) {
      yield { id: row.id, status: row.status, dataset: JSON.parse(row.dataset) as DicomJson };
    }
  }

  /** The SQL plan of a query, to check that indexes are used. */
  explainQuery(query: WorklistQuery): string[] {
    const { where, params } = compileWorklistQuery(query);
    const rows = this.db.prepare(`EXPLAIN QUERY PLAN SELECT id FROM items WHERE ${where}`).all(...params) as { detail: string }[];
    return rows.map((r) => r.detail);
  }

  getItem(id: number): StoredItem | undefined {
    const row = this.db.prepare('SELECT id, status, dataset FROM items WHERE id = ?').get(id) as ItemRow | undefined;
    return row && { id: row.id, status: row.status, dataset: JSON.parse(row.dataset) as DicomJson };
  }

  countItems(): number {
    return (this.countStmt.get() as { n: number }).n;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
