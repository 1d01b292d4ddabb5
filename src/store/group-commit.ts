/**
 * Group commit: calls made in the same event-loop turn share one transaction, and each resolves once
 * that transaction is committed and on disk; while a WAL sync is in flight, all calls made until it
 * ends share the next transaction. With several peers sending at once, one fsync covers
 * all their messages, and it runs off the event loop (WalSync) while the next messages are handled.
 * Each call runs in its own savepoint, so one that throws is rolled back alone and only its promise
 * rejects.
 */
import { BridgeError, errorMessage } from '../errors.js';
import { isBusy, type StoreConnection } from './connection.js';
import type { ValueIndex } from './value-index.js';

/** A group commit that finds another process writing tries again after this long... */
const BUSY_RETRY_MS = 5;
/** ...for at most this long before its orders are answered AE. */
const BUSY_GIVE_UP_MS = 30_000;

interface Work {
  work: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export class GroupCommitter {
  private group: Work[] = [];

  constructor(
    private readonly conn: StoreConnection,
    private readonly valueIndex: ValueIndex,
  ) {}

  /** Runs fn in the transaction shared by this event-loop turn; resolves once it is committed and durable. */
  run<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.group.length === 0)
        setImmediate(() => {
          // Work arriving while the WAL sync of an earlier group is in flight could not be
          // acknowledged before the next sync anyway: it waits for that sync to end and is then
          // committed as one transaction (measured at 100,000 items, 8 connections: ~4,170 commits
          // for 8,200 orders, 2,850 of one order; with this 2,560-4,130, each commit writing the
          // touched index pages to the WAL again).
          const sync = this.conn.walSync;
          if (sync?.busy)
            sync.whenIdle(() => {
              this.commitPending();
            });
          else this.commitPending();
        });
      this.group.push({ work: fn, resolve: resolve as (v: unknown) => void, reject });
    });
  }

  private commitPending(): void {
    if (this.group.length === 0) return;
    const group = this.group;
    this.group = [];
    this.commit(group, Date.now());
  }

  private commit(group: Work[], firstTry: number): void {
    const { conn, valueIndex } = this;
    const unavailable = conn.unavailableError;
    if (unavailable) {
      for (const { reject } of group) reject(unavailable);
      return;
    }
    const outcomes: Outcome[] = [];
    // Set inside the transaction's callback, where TypeScript does not follow assignments.
    const attempt = { began: false };
    try {
      // Without the WAL's fsync at commit: WalSync makes it durable before anyone is answered.
      conn.withoutCommitSync(() => {
        conn.runInTransaction(() => {
          attempt.began = true;
          valueIndex.deferred = true;
          try {
            for (const { work } of group) {
              try {
                outcomes.push({ ok: true, value: conn.runInTransaction(work) });
              } catch (error) {
                outcomes.push({ ok: false, error });
              }
            }
          } finally {
            valueIndex.deferred = false;
          }
          if (valueIndex.batchDue) {
            try {
              valueIndex.indexPending();
            } catch {
              // Left pending (queries still find the items); the run after the burst retries and reports it.
            }
          }
        });
      });
    } catch (err) {
      // Another process holds the write lock (an import): nothing of the group ran; try again soon,
      // from a timer, rather than waiting for the lock on the event loop.
      if (!attempt.began && isBusy(err) && Date.now() - firstTry < BUSY_GIVE_UP_MS) {
        setTimeout(() => {
          this.commit(group, firstTry);
        }, BUSY_RETRY_MS);
        return;
      }
      const error = new BridgeError('STORE_WRITE', `the store could not commit: ${errorMessage(err)}`, { cause: err });
      for (const { reject } of group) reject(error);
      return;
    }
    valueIndex.schedule();
    const settle = (): void => {
      // Nothing is acknowledged from a database file that is no longer the one at db.path.
      const gone = conn.checkFile();
      group.forEach(({ resolve, reject }, i) => {
        const outcome = outcomes[i];
        if (gone) reject(gone);
        else if (outcome?.ok) resolve(outcome.value);
        else reject(outcome?.error);
      });
    };
    if (!conn.walSync) {
      settle();
      return;
    }
    conn.walSync.durable().then(settle, (err: unknown) => {
      // Committed but perhaps not on disk: nobody may be told it is stored.
      const error = new BridgeError('STORE_WRITE', `the write-ahead log could not be synced to disk: ${errorMessage(err)}`, {
        hint: 'check the disk holding db.path; these orders were answered AE, so the RIS sends them again',
        cause: err,
      });
      for (const { reject } of group) reject(error);
    });
  }
}
