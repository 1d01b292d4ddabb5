/**
 * Makes committed WAL frames durable without blocking the event loop. better-sqlite3 is
 * synchronous: with synchronous=FULL every commit waits for fsync of the WAL on the main thread
 * (profiled: a third of the bridge's time during an order burst, with nothing else running
 * meanwhile). Group commits therefore run with synchronous=NORMAL, which writes the same WAL
 * frames but skips that fsync, and the orders are acknowledged only after this class has
 * fdatasync'ed the WAL file through libuv's thread pool. fsync applies to the file, not to the
 * descriptor, so it covers the frames SQLite wrote. Meanwhile the next messages are decoded and
 * their transaction runs. Checkpoints stay safe: in WAL mode with NORMAL, SQLite syncs the WAL
 * before a checkpoint and the database after it.
 *
 * One fdatasync is in flight at a time; commits made while it runs share the next one.
 */
import { statSync } from 'node:fs';
import { open as openHandle, type FileHandle } from 'node:fs/promises';

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class WalSync {
  private handle: FileHandle | undefined;
  private inode = 0;
  private flushing = false;
  private waiting: Waiter[] = [];
  private idleCallbacks: (() => void)[] = [];

  constructor(private readonly walPath: string) {}

  /** Resolves once everything written to the WAL before this call is on disk. */
  durable(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  /** Whether an fdatasync is in flight. */
  get busy(): boolean {
    return this.flushing;
  }

  /** Calls fn once no fdatasync is in flight (at once when none is). */
  whenIdle(fn: () => void): void {
    if (this.flushing) this.idleCallbacks.push(fn);
    else fn();
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting;
      this.waiting = [];
      try {
        const handle = await this.currentHandle();
        await handle.datasync();
        for (const w of batch) w.resolve();
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    this.flushing = false;
    const idle = this.idleCallbacks;
    this.idleCallbacks = [];
    for (const fn of idle) fn();
  }

  /**
   * The open WAL file; reopened when the path names another file than the one held (SQLite deletes
   * the WAL when the last connection closes, and a new one is created on the next open).
   */
  private async currentHandle(): Promise<FileHandle> {
    const inode = statSync(this.walPath).ino;
    if (!this.handle || inode !== this.inode) {
      await this.handle?.close();
      this.handle = await openHandle(this.walPath, 'r');
      this.inode = (await this.handle.stat()).ino;
    }
    return this.handle;
  }
}
