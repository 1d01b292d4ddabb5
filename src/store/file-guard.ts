/**
 * Notices when the database file the store has open is no longer the file at db.path: removed
 * (its link count is 0, or the path is gone) or replaced (the path names another inode). SQLite
 * goes on writing into the open, unlinked file and its WAL, so orders would be acknowledged and then
 * be gone after a restart. The store checks before it acknowledges anything (two stat calls, a few
 * microseconds).
 */
import { closeSync, fstatSync, openSync, statSync } from 'node:fs';
import { errorMessage } from '../errors.js';

export class DatabaseFileGuard {
  private readonly fd: number;
  private readonly ino: number;
  private readonly dev: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
    const st = fstatSync(this.fd);
    this.ino = st.ino;
    this.dev = st.dev;
  }

  /** What is wrong with the file, or undefined when db.path still names the open file. */
  problem(): string | undefined {
    const open = fstatSync(this.fd);
    if (open.nlink === 0) return 'it was deleted';
    let current;
    try {
      current = statSync(this.path);
    } catch (err) {
      return `it is no longer there (${(err as NodeJS.ErrnoException).code ?? errorMessage(err)})`;
    }
    if (current.ino !== this.ino || current.dev !== this.dev) return 'another file was put in its place';
    return undefined;
  }

  close(): void {
    closeSync(this.fd);
  }
}
