/**
 * Opens the SQLite database (better-sqlite3) and brings its schema up to date.
 *
 * Durability: WAL journal with synchronous=FULL, so a transaction is on disk (WAL fsynced) when
 * commit returns. Group commits of orders switch to NORMAL for their transaction and sync the WAL
 * off the event loop before anyone is answered (store/wal-sync.ts).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { BridgeError, errorMessage } from '../errors.js';
import { migrations } from './schema.js';

export type Database = BetterSqlite3.Database;

const require = createRequire(import.meta.url);

function loadDriver(): typeof BetterSqlite3 {
  try {
    return require('better-sqlite3') as typeof BetterSqlite3;
  } catch (err) {
    throw new BridgeError('STORE_UNAVAILABLE', `the SQLite driver better-sqlite3 cannot be loaded: ${errorMessage(err)}`, {
      hint: 'its native module was not built; run "npm rebuild better-sqlite3" (needs python3, make and g++)',
      cause: err,
    });
  }
}

export function openDatabase(path: string, opts: { busyTimeoutMs?: number } = {}): Database {
  const Driver = loadDriver();
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  let db: Database;
  try {
    db = new Driver(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    // Checkpoint every ~40 MB of WAL rather than 4 MB: each order touches many index pages, and
    // fewer, larger checkpoints write each page once instead of many times (measured: apply
    // 2.2 -> 1.7 ms per order). Commits stay durable: the WAL is fsynced before a commit is
    // acknowledged (at commit, or by WalSync for group commits).
    db.pragma('wal_autocheckpoint = 10000');
    db.pragma('foreign_keys = ON');
    // How long a statement waits, blocking, for another process's lock (see StoreOptions.busyTimeoutMs).
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000))}`);
    // Statement journals (each message of a group commit runs in its own savepoint) in memory
    // rather than in a temporary file: they only undo a savepoint, crash recovery uses the WAL.
    // Measured on 8 connections: kernel time per 8,000 orders 3.5-3.9 -> 1.9-2.0 s, +15-20% orders/s.
    db.pragma('temp_store = MEMORY');
  } catch (err) {
    throw new BridgeError('STORE_UNAVAILABLE', `cannot open the database ${path}: ${errorMessage(err)}`, {
      hint: 'check the path (db.path / --db) and that the folder is writable',
      cause: err,
    });
  }
  migrate(db);
  return db;
}

function migrate(db: Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    throw new BridgeError('STORE_UNAVAILABLE', `the database has schema version ${current}, newer than this bridge knows (${migrations.length})`, {
      hint: 'run the newer mwl-bridge version that wrote it, or restore a backup',
    });
  }
  for (const [version, sql] of migrations.entries()) {
    if (version < current) continue;
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
