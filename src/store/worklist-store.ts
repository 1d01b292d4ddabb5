/**
 * The worklist store: one SQLite database, opened once, seen by the rest of the bridge through its
 * parts, each a small module over the one connection: items, query candidates, the value index, the
 * message log, the query log, the HL7 outbox, MPPS records, the mirror journal, and retention. A caller takes the
 * parts it needs (a narrow interface: `Pick<WorklistStore, 'items' | 'transaction'>`); the database
 * handle itself stays inside store/.
 */
import type { BridgeError } from '../errors.js';
import { CandidateQueries } from './candidates.js';
import { StoreConnection } from './connection.js';
import { openDatabase } from './db.js';
import { GroupCommitter } from './group-commit.js';
import { ItemTable, shownStatusesFor } from './item-table.js';
import { MessageLog } from './message-log.js';
import { MirrorJournal } from './mirror-journal.js';
import { MppsRecords } from './mpps-records.js';
import { Outbox } from './outbox.js';
import { AuditSpool } from './audit-spool.js';
import { QueryLog } from './query-log.js';
import { purgeStore, type PurgeCounts, type PurgeCutoffs } from './purge.js';
import { ValueIndex } from './value-index.js';

export interface StoreOptions {
  showClosedItems?: boolean;
  /**
   * How long a write may wait, blocking, for another process's write lock (SQLite busy_timeout).
   * The bridge keeps it short and retries group commits from a timer instead, so that an import
   * running beside it never holds its event loop for long; the CLI commands wait longer.
   */
  busyTimeoutMs?: number;
}

export class WorklistStore {
  readonly items: ItemTable;
  readonly candidates: CandidateQueries;
  readonly valueIndex: ValueIndex;
  readonly messages: MessageLog;
  readonly outbox: Outbox;
  readonly auditSpool: AuditSpool;
  readonly mpps: MppsRecords;
  readonly mirrorJournal: MirrorJournal;
  readonly queries: QueryLog;
  private readonly groupCommit: GroupCommitter;

  private constructor(
    private readonly conn: StoreConnection,
    opts: StoreOptions,
  ) {
    const shown = shownStatusesFor(opts.showClosedItems ?? false);
    this.valueIndex = new ValueIndex(conn);
    this.items = new ItemTable(conn, this.valueIndex, shown);
    this.candidates = new CandidateQueries(conn, shown);
    this.messages = new MessageLog(conn);
    this.outbox = new Outbox(conn);
    this.auditSpool = new AuditSpool(conn);
    this.mpps = new MppsRecords(conn);
    this.mirrorJournal = new MirrorJournal(conn);
    this.queries = new QueryLog(conn);
    this.groupCommit = new GroupCommitter(conn, this.valueIndex);
  }

  static open(path: string, opts: StoreOptions = {}): WorklistStore {
    const store = new WorklistStore(new StoreConnection(openDatabase(path, { busyTimeoutMs: opts.busyTimeoutMs ?? 5000 })), opts);
    store.valueIndex.backfill();
    store.valueIndex.indexLeftovers();
    return store;
  }

  /** Runs fn in one transaction (committed, and durable, when this returns; a savepoint when nested). */
  transaction<T>(fn: () => T): T {
    return this.conn.transaction(fn);
  }

  /**
   * Runs fn in a transaction shared with the other calls made in the same event-loop turn, and
   * resolves once that transaction is committed and on disk (group-commit.ts).
   */
  inCommitGroup<T>(fn: () => T): Promise<T> {
    return this.groupCommit.run(fn);
  }

  /** Deletes closed and stale items and old log entries (retention). */
  purge(cutoffs: PurgeCutoffs): PurgeCounts {
    return purgeStore(this.conn, cutoffs);
  }

  /** The database file. */
  get path(): string {
    return this.conn.path;
  }

  /** How the connection writes: its journal mode and when it syncs (for diagnostics and tests). */
  durability(): { journalMode: string; synchronous: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA' } {
    return this.conn.durability();
  }

  /** Whether the database runs in WAL mode (a file database; checkpoints concern only those). */
  get inWalMode(): boolean {
    return this.conn.walSync !== undefined;
  }

  /** The store refuses writes (the database file was removed or replaced), or undefined. */
  get unavailableError(): BridgeError | undefined {
    return this.conn.unavailableError;
  }

  /**
   * Looks at the database file now (not only at the next write): the error when it was removed or
   * replaced, else undefined. For /ready, which must say so before an order fails.
   */
  checkWritable(): BridgeError | undefined {
    return this.conn.checkFile();
  }

  /** Called once when the database file is found removed or replaced. */
  set onUnavailable(handler: ((err: BridgeError) => void) | undefined) {
    this.conn.onUnavailable = handler;
  }

  /** Where errors of background work (value indexing) are reported; they never lose stored data. */
  set onBackgroundError(handler: ((err: BridgeError) => void) | undefined) {
    this.valueIndex.onBackgroundError = handler;
  }

  close(): void {
    this.valueIndex.close();
    this.conn.close();
  }
}
