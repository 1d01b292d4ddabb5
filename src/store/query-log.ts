/**
 * The query log: every C-FIND the SCP answered or refused, and every association it rejected, with
 * what the peer asked (the identifier as decoded) and how it ended. Written in batches by the
 * worklist's recorder; read by `mwl-bridge queries` and `explain`.
 */
import type { DicomJson } from '../model/item.js';
import type { QueryKind, QueryOutcome, QueryRecord } from '../model/query-record.js';

export type { QueryKind, QueryOutcome, QueryRecord } from '../model/query-record.js';
import { filterClauses, type StoreConnection } from './connection.js';

export interface QueryFilter {
  callingAeTitle?: string;
  since?: string;
  until?: string;
  /** Only queries logged before this one (paging, newest first). */
  beforeId?: number;
  limit?: number;
}

interface QueryRow {
  id: number;
  at: string;
  kind: QueryKind;
  remote: string | null;
  calling_ae: string | null;
  called_ae: string | null;
  identifier: string | null;
  keys: string | null;
  outcome: QueryOutcome;
  status: string | null;
  answers: number | null;
  duration_ms: number | null;
  error: string | null;
  replaced: string | null;
  ae_setting: string | null;
}

/** Most rows the query log keeps (older ones go first; retention.queryDays usually removes them before). */
export const MAX_QUERY_LOG_ROWS = 1_000_000;

const INSERT = `INSERT INTO queries (id, at, kind, remote, calling_ae, called_ae, identifier, keys, outcome, status, answers, duration_ms, error, replaced, ae_setting)
  VALUES (@id, @at, @kind, @remote, @callingAeTitle, @calledAeTitle, @identifier, @keys, @outcome, @status, @answers, @durationMs, @error, @replaced, @aeSetting)`;

export class QueryLog {
  constructor(private readonly conn: StoreConnection) {}

  /** Queries logged at or after an ISO time (the console's rates). */
  countSince(since: string): number {
    return (this.conn.statement('SELECT count(*) AS n FROM queries WHERE at >= ?').get(since) as { n: number }).n;
  }

  /** The highest id used so far (the next record takes the one after it). */
  lastId(): number {
    return (this.conn.statement('SELECT coalesce(max(id), 0) AS id FROM queries').get() as { id: number }).id;
  }

  /**
   * Writes records (ids given) in one transaction, and keeps the log to its newest MAX_QUERY_LOG_ROWS
   * rows: a peer that queries (or is rejected) thousands of times a second cannot fill the disk
   * between two retention runs.
   *
   * Committed without the WAL's fsync (synchronous=NORMAL, as a group commit of orders): the
   * recorder's batch every 100 ms held the event loop for that fsync, during which no query was
   * answered (profiled, 100 associations querying at once: 4-5% of the SCP's time, a few ms at a
   * time). The records survive the bridge's own crash (they are in the WAL file) and are on disk at
   * the next order commit, checkpoint or close; only a power cut could take the last ones.
   */
  append(records: readonly QueryRecord[]): void {
    const last = records.at(-1);
    if (!last) return;
    this.conn.withoutCommitSync(() => {
      this.conn.transaction(() => {
        const insert = this.conn.statement(INSERT);
        for (const r of records) {
          insert.run({
            ...r,
            identifier: r.identifier ? JSON.stringify(r.identifier) : null,
            replaced: r.replaced.length ? r.replaced.join(', ') : null,
            aeSetting: r.aeSetting ? JSON.stringify(r.aeSetting) : null,
          });
        }
        this.conn.statement('DELETE FROM queries WHERE id <= ?').run(last.id - MAX_QUERY_LOG_ROWS);
      });
    });
  }

  /** Newest first. */
  list(filter: QueryFilter): QueryRecord[] {
    const { where, params } = filterClauses([
      ['calling_ae = @calling', 'calling', filter.callingAeTitle],
      ['at >= @since', 'since', filter.since],
      ['at < @until', 'until', filter.until],
      ['id < @beforeId', 'beforeId', filter.beforeId],
    ]);
    const sql = `SELECT * FROM queries ${where} ORDER BY id DESC LIMIT @limit`;
    return (this.conn.statement(sql).all({ ...params, limit: filter.limit ?? 100 }) as QueryRow[]).map(toRecord);
  }

  get(id: number): QueryRecord | undefined {
    const row = this.conn.statement('SELECT * FROM queries WHERE id = ?').get(id) as QueryRow | undefined;
    return row && toRecord(row);
  }

  /** The latest association of a calling AE title rejected at or before a time (for explain). */
  lastRejectedAssociation(callingAeTitle: string, before: string): QueryRecord | undefined {
    const row = this.conn
      .statement("SELECT * FROM queries WHERE calling_ae = ? AND kind = 'association' AND at <= ? ORDER BY id DESC LIMIT 1")
      .get(callingAeTitle, before) as QueryRow | undefined;
    return row && toRecord(row);
  }
}

function toRecord(row: QueryRow): QueryRecord {
  return {
    id: row.id,
    at: row.at,
    kind: row.kind,
    remote: row.remote,
    callingAeTitle: row.calling_ae,
    calledAeTitle: row.called_ae,
    identifier: row.identifier ? (JSON.parse(row.identifier) as DicomJson) : null,
    keys: row.keys,
    outcome: row.outcome,
    status: row.status,
    answers: row.answers,
    durationMs: row.duration_ms,
    error: row.error,
    replaced: row.replaced ? row.replaced.split(', ') : [],
    aeSetting: row.ae_setting ? (JSON.parse(row.ae_setting) as QueryRecord['aeSetting']) : null,
  };
}
