/**
 * The store's one SQLite connection and its one transaction helper, shared by every table module.
 * A module asks it for prepared statements (prepared once per SQL text) and runs its writes through
 * transaction(); nothing outside store/ sees the raw database handle.
 */
import type { Statement } from 'better-sqlite3';
import { BridgeError, errorMessage } from '../errors.js';
import type { Database } from './db.js';
import { DatabaseFileGuard } from './file-guard.js';
import { WalSync } from './wal-sync.js';

/** Most prepared statements kept: queries with value lists make many shapes; a bounded cache keeps memory flat. */
const MAX_STATEMENTS = 500;

export class StoreConnection {
  private readonly statements = new Map<string, Statement>();
  /**
   * fn run in a transaction, or a savepoint inside one. One wrapper for all calls: better-sqlite3's
   * db.transaction() builds four wrapped functions per call (measured: 28 us per stored order).
   * Write transactions take SQLite's write lock at BEGIN (IMMEDIATE), not at their first write: a
   * deferred transaction that read first could not upgrade while another process (an import)
   * writes, and would fail with "database is locked" however long it waited.
   */
  readonly runInTransaction: (fn: () => unknown) => unknown;
  /** Syncs the WAL after group commits (off the event loop); undefined when not in WAL mode (in-memory). */
  readonly walSync: WalSync | undefined;
  private readonly fileGuard: DatabaseFileGuard | undefined;
  /** Set once the database file was found removed or replaced: every write is refused until a restart. */
  private unavailable: BridgeError | undefined;
  /** Called once when the database file is found removed or replaced. */
  onUnavailable: ((err: BridgeError) => void) | undefined;

  constructor(private readonly db: Database) {
    const transaction = db.transaction((fn: () => unknown) => fn());
    this.runInTransaction = (fn) => transaction.immediate(fn);
    this.fileGuard = db.memory ? undefined : new DatabaseFileGuard(db.name);
    this.walSync = !db.memory && db.pragma('journal_mode', { simple: true }) === 'wal' ? new WalSync(`${db.name}-wal`) : undefined;
  }

  /** The database file's path. */
  get path(): string {
    return this.db.name;
  }

  get inTransaction(): boolean {
    return this.db.inTransaction;
  }

  /** A prepared statement, prepared once per SQL text (the hot paths run the same few). */
  statement(sql: string): Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      if (this.statements.size >= MAX_STATEMENTS) this.statements.clear();
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  /** Runs fn in one transaction (committed, and durable, when this returns; a savepoint when nested). */
  transaction<T>(fn: () => T): T {
    if (this.unavailable) throw this.unavailable;
    const outermost = !this.db.inTransaction;
    let result: T;
    try {
      result = this.runInTransaction(fn) as T;
    } catch (err) {
      if (err instanceof BridgeError) throw err;
      throw new BridgeError('STORE_WRITE', `the store could not commit: ${errorMessage(err)}`, { cause: err });
    }
    const gone = outermost ? this.checkFile() : undefined;
    if (gone) throw gone;
    return result;
  }

  /**
   * Runs fn (a transaction) with synchronous=NORMAL, so that its commit does not wait for the WAL's
   * fsync on the event loop: for writes nobody is told are durable (the query log), and for the
   * group commit, which has walSync make them durable before anyone is answered. Without a WAL (in
   * memory) fn runs as it is.
   */
  withoutCommitSync<T>(fn: () => T): T {
    if (!this.walSync || this.db.inTransaction) return fn();
    this.statement('PRAGMA synchronous = NORMAL').run();
    try {
      return fn();
    } finally {
      this.statement('PRAGMA synchronous = FULL').run();
    }
  }

  /** The journal mode and synchronous setting of this connection. */
  durability(): { journalMode: string; synchronous: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA' } {
    const journalMode = String(this.db.pragma('journal_mode', { simple: true }));
    const synchronous = (['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const)[Number(this.db.pragma('synchronous', { simple: true }))] ?? 'FULL';
    return { journalMode, synchronous };
  }

  /** Runs SQL text of several statements (schema changes, triggers). */
  exec(sql: string): void {
    this.db.exec(sql);
  }

  /**
   * The error to answer with when the database file was removed or replaced while open (kept: no
   * write succeeds again until the bridge is restarted on a real file), else undefined.
   */
  checkFile(): BridgeError | undefined {
    if (this.unavailable || !this.fileGuard) return this.unavailable;
    const problem = this.fileGuard.problem();
    if (!problem) return undefined;
    this.unavailable = new BridgeError(
      'STORE_UNAVAILABLE',
      `the database file ${this.fileGuard.path} ${problem} while the bridge was running; nothing written since is safe`,
      {
        location: this.fileGuard.path,
        hint: 'restore the file (or remove what is left of it) and restart the bridge; orders are answered AE until then, so the RIS keeps them',
      },
    );
    this.onUnavailable?.(this.unavailable);
    return this.unavailable;
  }

  /** The store refuses writes (the database file was removed or replaced), or undefined. */
  get unavailableError(): BridgeError | undefined {
    return this.unavailable;
  }

  close(): void {
    void this.walSync?.close();
    if (this.db.open) this.db.close();
    // After SQLite's own descriptors: closing another descriptor of the file while SQLite holds
    // POSIX locks on it would drop them.
    this.fileGuard?.close();
  }
}

/** Whether err is SQLite's "another connection holds the lock". */
export function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || (typeof code === 'string' && code.startsWith('SQLITE_BUSY_'));
}

/** A SQL list literal of fixed, known strings (statuses): never user input. */
export function sqlList(values: readonly string[]): string {
  return values.map((v) => `'${v}'`).join(', ');
}

/**
 * WHERE clauses of a listing from optional filters: each filter given adds "column op @name".
 * Returns the SQL text ("" or "WHERE ...") and the named parameters.
 */
export function filterClauses(filters: ReadonlyArray<readonly [clause: string, name: string, value: string | number | undefined]>): {
  where: string;
  params: Record<string, string | number>;
} {
  const clauses: string[] = [];
  const params: Record<string, string | number> = {};
  for (const [clause, name, value] of filters) {
    if (value === undefined || value === '') continue;
    clauses.push(clause);
    params[name] = value;
  }
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}
