/**
 * The worklist store: items with their indexed matching keys and status, and the log of inbound
 * messages. Every write runs in one transaction; callers answer their peer only after it returned.
 */
import type { Statement } from 'better-sqlite3';
import { MirrorJournal } from './mirror-journal.js';
import { ACTIVE_STATUSES, CLOSED_STATUSES, OPEN_STATUSES, type DicomJson, type ItemStatus } from '../worklist/item.js';
import { indexKeysOf, indexedValuesOf } from '../worklist/keys.js';
import type { WorklistQuery } from '../worklist/query.js';
import { BridgeError } from '../errors.js';
import { openDatabase, type Database } from './db.js';
import { compileWorklistQuery } from './query-sql.js';
import { WalSync } from './wal-sync.js';
import { DatabaseFileGuard } from './file-guard.js';
import { validateItem } from '../worklist/vr.js';
import { describeTag } from '../worklist/dictionary.js';
import { createHash } from 'node:crypto';

export interface StoredItem {
  id: number;
  status: ItemStatus;
  dataset: DicomJson;
}

export interface NewItem {
  dataset: DicomJson;
  source: 'hl7' | 'import';
  status?: ItemStatus;
  /** What identifies an imported item in its file (see dicom/import.ts). */
  importKey?: string;
}

export interface StoreOptions {
  showClosedItems?: boolean;
  /**
   * How long a write may wait, blocking, for another process's write lock (SQLite busy_timeout).
   * The bridge keeps it short and retries group commits from a timer instead, so that an import
   * running beside it never holds its event loop for long; the CLI commands wait longer.
   */
  busyTimeoutMs?: number;
}

export type MessageOutcome = 'stored' | 'ignored' | 'duplicate' | 'rejected' | 'error';

export interface MessageRecord {
  receivedAt: string;
  remote: string | null;
  sendingApplication: string | null;
  sendingFacility: string | null;
  controlId: string | null;
  messageType: string | null;
  patientId: string | null;
  accessionNumber: string | null;
  /** What was done: created, updated, cancelled, ... (comma-separated per item). */
  action: string | null;
  outcome: MessageOutcome;
  ackCode: string;
  error: string | null;
  itemIds: number[];
  raw: Buffer;
  ack: string | null;
  /** What makes two messages with one control id the same message (hl7/content-key.ts); default: a hash of raw. */
  contentHash?: string | null;
}

export interface StoredMessage extends MessageRecord {
  id: number;
}

export interface MessageFilter {
  since?: string;
  until?: string;
  patientId?: string;
  accessionNumber?: string;
  outcome?: string;
  controlId?: string;
  limit?: number;
}

export interface OrderKeys {
  placerOrderNumber: string;
  fillerOrderNumber: string;
  accessionNumber: string;
}

interface ItemRow {
  id: number;
  status: ItemStatus;
  dataset: string;
}

interface MessageRow {
  id: number;
  received_at: string;
  remote: string | null;
  sending_application: string | null;
  sending_facility: string | null;
  control_id: string | null;
  message_type: string | null;
  patient_id: string | null;
  accession_number: string | null;
  action: string | null;
  outcome: MessageOutcome;
  ack_code: string;
  error: string | null;
  item_ids: string | null;
  raw: Buffer;
  ack: string | null;
  content_hash: string | null;
}

const KEY_COLUMNS = `patient_id = @patientId, accession_number = @accessionNumber, patient_name = @patientName, modality = @modality,
  station_ae_title = @stationAeTitle, sps_start_date = @spsStartDate, sps_start_time = @spsStartTime,
  placer_order_number = @placerOrderNumber, filler_order_number = @fillerOrderNumber, study_instance_uid = @studyInstanceUid, sps_id = @spsId`;

const list = (values: readonly string[]): string => values.map((v) => `'${v}'`).join(', ');

/** Pending items indexed per run (see deferValueIndex). */
const VALUE_INDEX_BATCH = 256;
/** Value-index rows per INSERT statement, a power of two (3 parameters each; SQLite allows 32,766). */
const VALUE_ROWS_PER_INSERT = 128;
/** Pause in group commits after which the rest is indexed. */
const VALUE_INDEX_IDLE_MS = 200;
/** A group commit that finds another process writing tries again after this long... */
const BUSY_RETRY_MS = 5;
/** ...for at most this long before its orders are answered AE. */
const BUSY_GIVE_UP_MS = 30_000;

export class WorklistStore {
  private readonly insertItemStmt: Statement;
  private readonly updateItemStmt: Statement;
  private readonly insertMessageStmt: Statement;
  private readonly countStmt: Statement;
  private readonly duplicateStmt: Statement;
  private readonly deleteValuesStmt: Statement;
  /** Statuses answered to C-FIND. */
  private visibleStatuses: readonly ItemStatus[] = ACTIVE_STATUSES;
  /** Syncs the WAL after group commits (off the event loop); undefined when not in WAL mode (in-memory). */
  private readonly walSync: WalSync | undefined;

  /** Set once the database file was found removed or replaced: every write is refused until a restart. */
  private unavailable: BridgeError | undefined;
  private readonly fileGuard: DatabaseFileGuard | undefined;
  private readonly appliedStmt: Statement;
  private readonly legacyDuplicateStmt: Statement;

  private constructor(readonly db: Database) {
    // Write transactions take SQLite's write lock at BEGIN (IMMEDIATE), not at their first write:
    // a deferred transaction that read first could not upgrade while another process (an import)
    // writes, and would fail with "database is locked" however long it waited.
    this.inTransaction = db.transaction((fn: () => unknown) => fn()).immediate;
    this.fileGuard = db.memory ? undefined : new DatabaseFileGuard(db.name);
    this.walSync = !db.memory && db.pragma('journal_mode', { simple: true }) === 'wal' ? new WalSync(`${db.name}-wal`) : undefined;
    this.insertItemStmt = db.prepare(`
      INSERT INTO items (status, source, patient_id, accession_number, patient_name, modality, station_ae_title,
        sps_start_date, sps_start_time, placer_order_number, filler_order_number, study_instance_uid, sps_id,
        created_at, updated_at, status_changed_at, dataset, import_key)
      VALUES (@status, @source, @patientId, @accessionNumber, @patientName, @modality, @stationAeTitle,
        @spsStartDate, @spsStartTime, @placerOrderNumber, @fillerOrderNumber, @studyInstanceUid, @spsId,
        @now, @now, @now, @dataset, @importKey)`);
    this.updateItemStmt = db.prepare(`
      UPDATE items SET ${KEY_COLUMNS}, status = @status, updated_at = @now,
        status_changed_at = CASE WHEN status = @status THEN status_changed_at ELSE @now END, dataset = @dataset
      WHERE id = @id`);
    this.insertMessageStmt = db.prepare(`
      INSERT INTO messages (received_at, remote, sending_application, sending_facility, control_id, message_type,
        patient_id, accession_number, action, outcome, ack_code, error, item_ids, raw, ack, content_hash)
      VALUES (@receivedAt, @remote, @sendingApplication, @sendingFacility, @controlId, @messageType,
        @patientId, @accessionNumber, @action, @outcome, @ackCode, @error, @itemIds, @raw, @ack, @contentHash)`);
    this.countStmt = db.prepare('SELECT count(*) AS n FROM items');
    this.deleteValuesStmt = db.prepare('DELETE FROM item_values WHERE item_id = ?');
    // Two statements rather than one with OR: each is a seek on the whole index (a RIS that sends one
    // control id for everything has thousands of entries with it).
    this.duplicateStmt = db.prepare(`
      SELECT * FROM messages WHERE sending_application IS @app AND sending_facility IS @facility AND control_id = @controlId
        AND content_hash = @hash AND outcome IN ('stored', 'ignored') ORDER BY id LIMIT 1`);
    // Entries logged before content hashes existed (NULL) count as the same message when their bytes are.
    this.legacyDuplicateStmt = db.prepare(`
      SELECT * FROM messages WHERE sending_application IS @app AND sending_facility IS @facility AND control_id = @controlId
        AND content_hash IS NULL AND raw = @raw AND outcome IN ('stored', 'ignored') ORDER BY id LIMIT 1`);
    // Any one earlier entry (no ORDER BY): a RIS that sends one control id for everything would
    // otherwise make every message sort all the entries with that id.
    this.appliedStmt = db.prepare(`
      SELECT id FROM messages WHERE sending_application IS @app AND sending_facility IS @facility AND control_id = @controlId
        AND outcome IN ('stored', 'ignored') LIMIT 1`);
  }

  static open(path: string, opts: StoreOptions = {}): WorklistStore {
    const store = new WorklistStore(openDatabase(path, { busyTimeoutMs: opts.busyTimeoutMs ?? 5000 }));
    if (opts.showClosedItems) store.visibleStatuses = [...ACTIVE_STATUSES, ...CLOSED_STATUSES];
    store.backfillValueIndex();
    // Left pending by a stop in the middle of a burst.
    try {
      while (store.indexPendingValues() > 0);
    } catch (err) {
      // Another process writing (an import): the items stay listed, queries find them, a later run indexes them.
      if (!isBusy((err as { cause?: unknown }).cause ?? err)) throw err;
    }
    return store;
  }

  /**
   * Lists the items stored before the value index existed as pending (once per database); open()
   * then indexes them like any pending item.
   */
  private backfillValueIndex(): void {
    if (this.statement("SELECT 1 FROM store_meta WHERE key = 'item_values'").get()) return;
    this.transaction(() => {
      this.statement('INSERT OR IGNORE INTO item_values_pending (item_id) SELECT id FROM items').run();
      this.statement("INSERT INTO store_meta (key, value) VALUES ('item_values', ?)").run(new Date().toISOString());
    });
  }

  private writeValues(id: number, dataset: DicomJson, replace = true): void {
    if (replace) this.deleteValuesStmt.run(id);
    this.insertValueRows(indexedValuesOf(dataset).flatMap(({ tag, value }) => [id, tag, value]));
  }

  /**
   * Inserts value-index rows given as flat (item_id, tag, value) triples, many rows per INSERT: one
   * statement run per value cost more than the B-tree insert itself. Chunks of 128, then 64, 32, ...
   * rows: a few statement shapes, each prepared once.
   */
  private insertValueRows(params: (string | number)[]): void {
    for (let start = 0, rows = VALUE_ROWS_PER_INSERT; start < params.length; ) {
      while (start + 3 * rows > params.length) rows /= 2;
      this.statement(`INSERT INTO item_values (item_id, tag, value) VALUES ${Array(rows).fill('(?, ?, ?)').join(', ')}`).run(params.slice(start, start + 3 * rows));
      start += 3 * rows;
    }
  }

  private readonly statements = new Map<string, Statement>();

  /** A prepared statement, prepared once per SQL text (the hot paths run the same few). */
  private statement(sql: string): Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      // Queries with value lists make many shapes; a bounded cache keeps memory flat.
      if (this.statements.size >= 500) this.statements.clear();
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  private commitGroup: { work: () => unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];

  /**
   * Runs fn in a transaction shared with the other calls made in the same event-loop turn, and
   * resolves once that transaction is committed and on disk. Group commit: with several peers
   * sending at once, one fsync covers all their messages, and it runs off the event loop (WalSync)
   * while the next messages are handled. Each fn runs in its own savepoint, so one that throws is
   * rolled back alone and only its promise rejects.
   */
  inCommitGroup<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.commitGroup.length === 0) setImmediate(() => this.commitPendingGroup());
      this.commitGroup.push({ work: fn, resolve: resolve as (v: unknown) => void, reject });
    });
  }

  private commitPendingGroup(): void {
    const group = this.commitGroup;
    this.commitGroup = [];
    this.runGroup(group, Date.now());
  }

  private runGroup(group: typeof this.commitGroup, firstTry: number): void {
    if (this.unavailable) {
      for (const { reject } of group) reject(this.unavailable);
      return;
    }
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    let began = false;
    // Without the WAL's fsync at commit: WalSync makes it durable before anyone is answered.
    if (this.walSync) this.statement('PRAGMA synchronous = NORMAL').run();
    try {
      this.inTransaction(() => {
        began = true;
        this.deferValueIndex = true;
        try {
          for (const { work } of group) {
            try {
              outcomes.push({ ok: true, value: this.inTransaction(work) });
            } catch (error) {
              outcomes.push({ ok: false, error });
            }
          }
        } finally {
          this.deferValueIndex = false;
        }
        if (this.markedSinceIndexing >= VALUE_INDEX_BATCH) {
          try {
            this.indexPendingValues();
          } catch {
            // Left pending (queries still find the items); the run after the burst retries and reports it.
          }
        }
      });
    } catch (err) {
      // Another process holds the write lock (an import): nothing of the group ran; try again soon,
      // from a timer, rather than waiting for the lock on the event loop.
      if (!began && isBusy(err) && Date.now() - firstTry < BUSY_GIVE_UP_MS) {
        setTimeout(() => this.runGroup(group, firstTry), BUSY_RETRY_MS);
        return;
      }
      const error = new BridgeError('STORE_WRITE', `the store could not commit: ${(err as Error).message}`, { cause: err });
      for (const { reject } of group) reject(error);
      return;
    } finally {
      if (this.walSync) this.statement('PRAGMA synchronous = FULL').run();
    }
    this.scheduleValueIndexing();
    const settle = (): void => {
      // Nothing is acknowledged from a database file that is no longer the one at db.path.
      const gone = this.checkFile();
      group.forEach(({ resolve, reject }, i) => {
        const outcome = outcomes[i]!;
        if (gone) reject(gone);
        else if (outcome.ok) resolve(outcome.value);
        else reject(outcome.error);
      });
    };
    if (!this.walSync) return settle();
    this.walSync.durable().then(settle, (err: unknown) => {
      // Committed but perhaps not on disk: nobody may be told it is stored.
      const error = new BridgeError('STORE_WRITE', `the write-ahead log could not be synced to disk: ${(err as Error).message}`, {
        hint: 'check the disk holding db.path; these orders were answered AE, so the RIS sends them again',
        cause: err,
      });
      for (const { reject } of group) reject(error);
    });
  }

  /**
   * The error to answer with when the database file was removed or replaced while open (kept: no
   * write succeeds again until the bridge is restarted on a real file), else undefined.
   */
  private checkFile(): BridgeError | undefined {
    if (this.unavailable || !this.fileGuard) return this.unavailable;
    const problem = this.fileGuard.problem();
    if (!problem) return undefined;
    this.unavailable = new BridgeError('STORE_UNAVAILABLE', `the database file ${this.fileGuard.path} ${problem} while the bridge was running; nothing written since is safe`, {
      location: this.fileGuard.path,
      hint: 'restore the file (or remove what is left of it) and restart the bridge; orders are answered AE until then, so the RIS keeps them',
    });
    this.onUnavailable?.(this.unavailable);
    return this.unavailable;
  }

  /** Called once when the database file is found removed or replaced. */
  onUnavailable: ((err: BridgeError) => void) | undefined;

  /** The store refuses writes (the database file was removed or replaced), or undefined. */
  get unavailableError(): BridgeError | undefined {
    return this.unavailable;
  }

  /**
   * fn run in a transaction, or a savepoint inside one. One wrapper for all calls: better-sqlite3's
   * db.transaction() builds four wrapped functions per call (measured: 28 us per stored order).
   */
  private readonly inTransaction: (fn: () => unknown) => unknown;

  /** Runs fn in one transaction (committed, and durable, when this returns). */
  transaction<T>(fn: () => T): T {
    if (this.unavailable) throw this.unavailable;
    const outermost = !this.db.inTransaction;
    let result: T;
    try {
      result = this.inTransaction(fn) as T;
    } catch (err) {
      if (err instanceof BridgeError) throw err;
      throw new BridgeError('STORE_WRITE', `the store could not commit: ${(err as Error).message}`, { cause: err });
    }
    const gone = outermost ? this.checkFile() : undefined;
    if (gone) throw gone;
    return result;
  }

  insertItem(item: NewItem): number {
    checkItem(item.dataset);
    const result = this.insertItemStmt.run({
      ...indexKeysOf(item.dataset),
      status: item.status ?? 'SCHEDULED',
      source: item.source,
      now: new Date().toISOString(),
      dataset: JSON.stringify(item.dataset),
      importKey: item.importKey ?? null,
    });
    const id = Number(result.lastInsertRowid);
    if (this.deferValueIndex) this.markValuesPending(id);
    else this.writeValues(id, item.dataset, false);
    return id;
  }

  /**
   * Replaces an item's dataset (and status), re-deriving its matching keys. New values are checked
   * against their VRs; a status change of a stored item (validate: false) is not refused for a
   * value stored before the checks existed.
   */
  updateItem(id: number, dataset: DicomJson, status: ItemStatus, opts: { validate?: boolean } = {}): void {
    if (opts.validate !== false) checkItem(dataset);
    this.updateItemStmt.run({ ...indexKeysOf(dataset), id, status, now: new Date().toISOString(), dataset: JSON.stringify(dataset) });
    if (this.deferValueIndex) this.markValuesPending(id);
    else this.writeValues(id, dataset);
  }

  /**
   * Value index in batches. Writing an order's ~13 (tag, value) rows at once costs one B-tree page
   * per value in every commit (measured: 160-210 of 580-740 us per stored order); written for a few
   * hundred orders together, the rows share their pages (15 us per order). Meanwhile the items are
   * listed in item_values_pending, which queries take as candidates.
   */
  private deferValueIndex = false;
  /** Items marked since the last indexing run (a rolled-back mark still counts: it only runs the next batch sooner). */
  private markedSinceIndexing = 0;
  private valueIndexTimer: NodeJS.Timeout | undefined;

  private markValuesPending(id: number): void {
    this.statement('INSERT OR IGNORE INTO item_values_pending (item_id) VALUES (?)').run(id);
    this.markedSinceIndexing++;
  }

  /** Writes the value-index rows of up to limit pending items, from their stored datasets; returns how many. */
  indexPendingValues(limit = VALUE_INDEX_BATCH): number {
    return this.transaction(() => {
      const pending = this.statement(
        'SELECT p.item_id AS id, i.dataset FROM item_values_pending p LEFT JOIN items i ON i.id = p.item_id ORDER BY p.item_id LIMIT ?',
      ).all(limit) as { id: number; dataset: string | null }[];
      if (pending.length === 0) return 0;
      const last = pending[pending.length - 1]!.id;
      // Rows of items changed while listed are replaced.
      this.statement('DELETE FROM item_values WHERE item_id IN (SELECT item_id FROM item_values_pending WHERE item_id <= ?)').run(last);
      const params: (string | number)[] = [];
      for (const { id, dataset } of pending) {
        // (No item: deleted while foreign keys were off; its mark just goes.)
        if (dataset === null) continue;
        for (const { tag, value } of indexedValuesOf(JSON.parse(dataset) as DicomJson)) params.push(id, tag, value);
      }
      this.insertValueRows(params);
      this.statement('DELETE FROM item_values_pending WHERE item_id <= ?').run(last);
      this.markedSinceIndexing = 0;
      return pending.length;
    });
  }

  /** Indexes what is still pending once group commits pause (VALUE_INDEX_IDLE_MS after the last one). */
  private scheduleValueIndexing(): void {
    if (this.markedSinceIndexing > 0) this.armValueIndexTimer();
  }

  private armValueIndexTimer(): void {
    clearTimeout(this.valueIndexTimer);
    this.valueIndexTimer = setTimeout(() => this.indexAfterPause(), VALUE_INDEX_IDLE_MS);
    this.valueIndexTimer.unref();
  }

  private indexAfterPause(): void {
    this.valueIndexTimer = undefined;
    try {
      // A full batch may have left more: the next one after another pause (batches with event-loop
      // turns between them; a group commit meanwhile re-arms the timer).
      if (this.indexPendingValues() === VALUE_INDEX_BATCH) this.armValueIndexTimer();
    } catch (err) {
      // Another process writing (an import): simply later.
      if (isBusy((err as { cause?: unknown }).cause ?? err)) return this.armValueIndexTimer();
      // Queries stay right (the items remain pending); the next group commit tries again.
      this.onBackgroundError?.(new BridgeError('STORE_WRITE', `the value index could not be updated: ${(err as Error).message}`, { cause: err }));
    }
  }

  /** Where errors of background work (value indexing) are reported; they never lose stored data. */
  onBackgroundError: ((err: BridgeError) => void) | undefined;

  /**
   * The items of an order: by placer order number, else filler order number, else accession number
   * (the first of these the order carries decides).
   */
  findOrderItems(keys: OrderKeys): StoredItem[] {
    const [column, value] = keys.placerOrderNumber
      ? ['placer_order_number', keys.placerOrderNumber]
      : keys.fillerOrderNumber
        ? ['filler_order_number', keys.fillerOrderNumber]
        : ['accession_number', keys.accessionNumber];
    if (!value) return [];
    return (this.statement(`SELECT id, status, dataset FROM items WHERE ${column} = ? AND source = 'hl7' ORDER BY id`).all(value) as ItemRow[]).map(toItem);
  }

  /**
   * Items a performed procedure step refers to (its Scheduled Step Attributes): by accession number
   * or Study Instance UID, narrowed by SPS ID and requested procedure ID when given.
   */
  findScheduledSteps(ref: { accessionNumber: string; studyInstanceUid: string; spsId: string; requestedProcedureId: string }): StoredItem[] {
    if (!ref.accessionNumber && !ref.studyInstanceUid && !ref.spsId) return [];
    const clauses: string[] = [];
    const params: string[] = [];
    if (ref.spsId) (clauses.push('sps_id = ?'), params.push(ref.spsId));
    if (ref.accessionNumber) (clauses.push('accession_number = ?'), params.push(ref.accessionNumber));
    else if (ref.studyInstanceUid) (clauses.push('study_instance_uid = ?'), params.push(ref.studyInstanceUid));
    const rows = (this.statement(`SELECT id, status, dataset FROM items WHERE ${clauses.join(' AND ')} ORDER BY id`).all(...params) as ItemRow[]).map(toItem);
    if (!ref.requestedProcedureId) return rows;
    return rows.filter((r) => {
      const rp = r.dataset['00401001']?.Value?.[0];
      return rp === undefined || rp === ref.requestedProcedureId;
    });
  }

  getMpps(sopInstanceUid: string): { status: string; itemIds: number[]; dataset: DicomJson } | undefined {
    const row = this.statement('SELECT status, item_ids, dataset FROM mpps WHERE sop_instance_uid = ?').get(sopInstanceUid) as
      | { status: string; item_ids: string; dataset: string }
      | undefined;
    return row && { status: row.status, itemIds: JSON.parse(row.item_ids) as number[], dataset: JSON.parse(row.dataset) as DicomJson };
  }

  saveMpps(sopInstanceUid: string, record: { status: string; itemIds: number[]; dataset: DicomJson; callingAeTitle: string }): void {
    const now = new Date().toISOString();
    this.statement(
      `INSERT INTO mpps (sop_instance_uid, status, item_ids, calling_ae_title, created_at, updated_at, dataset) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (sop_instance_uid) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at, dataset = excluded.dataset`,
    ).run(sopInstanceUid, record.status, JSON.stringify(record.itemIds), record.callingAeTitle, now, now, JSON.stringify(record.dataset));
  }

  /** Queues an outbound HL7 message; it is sent (and retried) by the HL7 sender. */
  enqueueOutbound(destination: string, controlId: string, message: string): number {
    const now = new Date().toISOString();
    return Number(
      this.statement('INSERT INTO hl7_outbox (destination, message, control_id, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?)')
        .run(destination, message, controlId, now, now).lastInsertRowid,
    );
  }

  /**
   * The oldest pending outbound message, when it is due. Strictly oldest first: a later status
   * (CM) never overtakes an earlier one (IP) that is waiting for its retry.
   */
  nextOutbound(now: string): { id: number; destination: string; message: string; controlId: string; attempts: number } | undefined {
    const row = this.statement("SELECT id, destination, message, control_id, attempts, next_attempt_at FROM hl7_outbox WHERE state = 'pending' ORDER BY id LIMIT 1")
      .get() as { id: number; destination: string; message: string; control_id: string; attempts: number; next_attempt_at: string } | undefined;
    if (!row || row.next_attempt_at > now) return undefined;
    return { id: row.id, destination: row.destination, message: row.message, controlId: row.control_id, attempts: row.attempts };
  }

  /** Records an attempt: 'sent' (acknowledged), 'failed' (rejected for good) or still 'pending' (retry at nextAttemptAt). */
  recordOutboundAttempt(id: number, result: { state: 'sent' | 'failed' | 'pending'; error?: string; ack?: string; nextAttemptAt?: string }): void {
    this.statement('UPDATE hl7_outbox SET attempts = attempts + 1, state = ?, last_error = ?, ack = ?, next_attempt_at = coalesce(?, next_attempt_at) WHERE id = ?')
      .run(result.state, result.error ?? null, result.ack ?? null, result.nextAttemptAt ?? null, id);
  }

  outboundStates(): { state: string; n: number }[] {
    return this.statement('SELECT state, count(*) AS n FROM hl7_outbox GROUP BY state').all() as { state: string; n: number }[];
  }

  /** Open (not closed) items of a patient. */
  openItemsOfPatient(patientId: string): StoredItem[] {
    return (this.statement(`SELECT id, status, dataset FROM items WHERE patient_id = ? AND status IN (${list(OPEN_STATUSES)}) ORDER BY id`).all(patientId) as ItemRow[]).map(toItem);
  }

  recordMessage(record: MessageRecord): number {
    const result = this.insertMessageStmt.run({ ...record, itemIds: JSON.stringify(record.itemIds), contentHash: record.contentHash ?? rawHash(record.raw) });
    return Number(result.lastInsertRowid);
  }

  /**
   * The message already applied with the same sender, control id and content (a RIS retry), if any.
   * contentHash: as recorded (hl7/content-key.ts); by default a hash of the raw bytes.
   */
  findAppliedMessage(sendingApplication: string | null, sendingFacility: string | null, controlId: string, raw: Buffer, contentHash?: string | null): StoredMessage | undefined {
    const row = (this.duplicateStmt.get({ app: sendingApplication, facility: sendingFacility, controlId, hash: contentHash ?? rawHash(raw) }) ??
      this.legacyDuplicateStmt.get({ app: sendingApplication, facility: sendingFacility, controlId, raw })) as MessageRow | undefined;
    return row && toMessage(row);
  }

  /** The log id of a message applied before with this sender and control id, whatever its content. */
  lastAppliedWithControlId(sendingApplication: string | null, sendingFacility: string | null, controlId: string): number | undefined {
    const row = this.appliedStmt.get({ app: sendingApplication, facility: sendingFacility, controlId }) as { id: number } | undefined;
    return row?.id;
  }

  /** The imported item with this import key, if any. */
  findImportedItem(importKey: string): StoredItem | undefined {
    const row = this.statement('SELECT id, status, dataset FROM items WHERE import_key = ? ORDER BY id LIMIT 1').get(importKey) as ItemRow | undefined;
    return row && toItem(row);
  }

  listMessages(filter: MessageFilter): StoredMessage[] {
    const clauses: string[] = [];
    const params: Record<string, string | number> = {};
    if (filter.since) (clauses.push('received_at >= @since'), (params.since = filter.since));
    if (filter.until) (clauses.push('received_at < @until'), (params.until = filter.until));
    if (filter.patientId) (clauses.push('patient_id = @patientId'), (params.patientId = filter.patientId));
    if (filter.accessionNumber) (clauses.push('accession_number = @accessionNumber'), (params.accessionNumber = filter.accessionNumber));
    if (filter.outcome) (clauses.push('outcome = @outcome'), (params.outcome = filter.outcome));
    if (filter.controlId) (clauses.push('control_id = @controlId'), (params.controlId = filter.controlId));
    params.limit = filter.limit ?? 100;
    const sql = `SELECT * FROM messages ${clauses.length ? 'WHERE ' + clauses.join(' AND ') : ''} ORDER BY id DESC LIMIT @limit`;
    return (this.statement(sql).all(params) as MessageRow[]).map(toMessage);
  }

  getMessage(id: number): StoredMessage | undefined {
    const row = this.statement('SELECT * FROM messages WHERE id = ?').get(id) as MessageRow | undefined;
    return row && toMessage(row);
  }

  /**
   * Deletes closed items whose status changed before closedBefore; open items scheduled before
   * scheduledBefore (YYYYMMDD) and unchanged since unchangedBefore (so a just imported or updated
   * item is never purged at once); and log entries received before messagesBefore.
   */
  purge(opts: { closedBefore: string; scheduledBefore: string; unchangedBefore: string; messagesBefore: string }): { closedItems: number; staleItems: number; messages: number } {
    return this.transaction(() => ({
      closedItems: this.statement(`DELETE FROM items WHERE status IN (${list(CLOSED_STATUSES)}) AND status_changed_at < ?`).run(opts.closedBefore).changes,
      staleItems: this.statement(`DELETE FROM items WHERE status IN (${list(OPEN_STATUSES)}) AND sps_start_date IS NOT NULL AND sps_start_date != '' AND sps_start_date < ? AND updated_at < ?`)
        .run(opts.scheduledBefore, opts.unchangedBefore).changes,
      messages: this.statement('DELETE FROM messages WHERE received_at < ?').run(opts.messagesBefore).changes,
    }));
  }

  /**
   * One page of candidates (ids above afterId, in id order). Paging rather than one open cursor:
   * better-sqlite3 refuses other statements while a cursor is open, and a long answer is sent over
   * many event-loop turns during which orders keep being stored.
   */
  findCandidatesPage(query: WorklistQuery, afterId: number, limit: number): StoredItem[] {
    const { sql, params } = this.candidatesSql(query, 'id, status, dataset', afterId);
    return (this.statement(`${sql} ORDER BY id LIMIT ?`).all(...params, limit) as ItemRow[]).map(toItem);
  }

  /** Candidates of a query above an id: items with one value per key column, UNION ALL those with several. */
  private candidatesSql(query: WorklistQuery, columns: string, afterId: number): { sql: string; params: unknown[] } {
    const compiled = compileWorklistQuery(query);
    // In the multi-valued part, "+status" keeps SQLite off indexes led by status, so that it finds the
    // few rows through the key columns' indexes (column IS NULL) instead of reading every open item.
    const select = (where: string, status = 'status'): string => `SELECT ${columns} FROM items WHERE ${status} IN (${list(this.visibleStatuses)}) AND ${where} AND id > ?`;
    if (!compiled.multiValued) return { sql: select(compiled.where), params: [...compiled.params, afterId] };
    return {
      sql: `${select(compiled.where)} UNION ALL ${select(compiled.multiValued.where, '+status')}`,
      params: [...compiled.params, afterId, ...compiled.multiValued.params, afterId],
    };
  }

  /** The SQL plan of a query, to check that indexes are used. */
  explainQuery(query: WorklistQuery): string[] {
    const { sql, params } = this.candidatesSql(query, 'id', 0);
    const rows = this.statement(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[];
    return rows.map((r) => r.detail);
  }

  /** Whether C-FIND shows items of this status (the mirror writes the same items). */
  isVisible(status: string): boolean {
    return (this.visibleStatuses as readonly string[]).includes(status);
  }

  /** The statuses C-FIND shows. */
  get shownStatuses(): readonly ItemStatus[] {
    return this.visibleStatuses;
  }

  /** One page of the items C-FIND shows, ids above afterId, in id order. */
  visibleItemsPage(afterId: number, limit: number): StoredItem[] {
    const sql = `SELECT id, status, dataset FROM items WHERE status IN (${list(this.visibleStatuses)}) AND id > ? ORDER BY id LIMIT ?`;
    return (this.statement(sql).all(afterId, limit) as ItemRow[]).map(toItem);
  }

  /** The mirror's journal of changed items. */
  mirrorJournal(): MirrorJournal {
    return new MirrorJournal(this.db);
  }

  getItem(id: number): StoredItem | undefined {
    const row = this.statement('SELECT id, status, dataset FROM items WHERE id = ?').get(id) as ItemRow | undefined;
    return row && toItem(row);
  }

  countItems(): number {
    return (this.countStmt.get() as { n: number }).n;
  }

  /** Whether the database runs in WAL mode (a file database; checkpoints concern only those). */
  get inWalMode(): boolean {
    return this.walSync !== undefined;
  }

  close(): void {
    clearTimeout(this.valueIndexTimer);
    void this.walSync?.close();
    if (this.db.open) this.db.close();
    // After SQLite's own descriptors: closing another descriptor of the file while SQLite holds
    // POSIX locks on it would drop them.
    this.fileGuard?.close();
  }
}

/** Refuses an item with a value its VR does not allow (the last check before anything is stored). */
function checkItem(dataset: DicomJson): void {
  const [problem] = validateItem(dataset);
  if (!problem) return;
  throw new BridgeError('ITEM_INVALID', `${problem.attribute} ${JSON.stringify(problem.value.length > 80 ? problem.value.slice(0, 77) + '...' : problem.value)} is not a valid ${problem.vr}: ${problem.rule}`, {
    location: describeTag(problem.tag),
    hint: 'correct the value at its source',
  });
}

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || (typeof code === 'string' && code.startsWith('SQLITE_BUSY_'));
}

function rawHash(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('hex');
}

function toItem(row: ItemRow): StoredItem {
  return { id: row.id, status: row.status, dataset: JSON.parse(row.dataset) as DicomJson };
}

function toMessage(row: MessageRow): StoredMessage {
  return {
    id: row.id,
    receivedAt: row.received_at,
    remote: row.remote,
    sendingApplication: row.sending_application,
    sendingFacility: row.sending_facility,
    controlId: row.control_id,
    messageType: row.message_type,
    patientId: row.patient_id,
    accessionNumber: row.accession_number,
    action: row.action,
    outcome: row.outcome,
    ackCode: row.ack_code,
    error: row.error,
    itemIds: row.item_ids ? (JSON.parse(row.item_ids) as number[]) : [],
    raw: row.raw,
    ack: row.ack,
    contentHash: row.content_hash,
  };
}
