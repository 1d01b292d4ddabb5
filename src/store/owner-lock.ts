/**
 * One bridge per database. A running bridge holds an exclusive fcntl lock (os-lock) on
 * `<db.path>.owner`, a small file that names its process; a second bridge started on the same
 * database finds the lock taken and refuses to start, naming that process. Two bridges on one file
 * would both accept orders and fight over SQLite's write lock (measured before: 608 of 1,800 orders
 * answered AE). The lock goes with the process, however it ends (kill -9 too): a stale file
 * never blocks a restart. `mwl-bridge import`, `messages` and `mirror` do not take it: they are
 * meant to run beside the bridge.
 */
import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { lock } from 'os-lock';
import { BridgeError, errorMessage } from '../errors.js';

export interface DatabaseOwnership {
  readonly lockPath: string;
  release(): void;
}

export async function claimDatabase(dbPath: string): Promise<DatabaseOwnership> {
  const lockPath = `${dbPath}.owner`;
  let fd: number;
  try {
    fd = openSync(lockPath, 'a+');
  } catch (err) {
    throw new BridgeError('STORE_UNAVAILABLE', `cannot create the lock file ${lockPath}: ${errorMessage(err)}`, {
      hint: 'check that the folder of db.path is writable',
      cause: err,
    });
  }
  try {
    await lock(fd, { exclusive: true, immediate: true });
  } catch (err) {
    closeSync(fd);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EAGAIN' || code === 'EACCES' || code === 'EBUSY') {
      throw new BridgeError('STORE_IN_USE', `the database ${dbPath} is in use by another mwl-bridge (${describeOwner(lockPath)})`, {
        hint: 'stop that bridge first, or give this one another db.path',
      });
    }
    throw new BridgeError('STORE_UNAVAILABLE', `cannot lock ${lockPath}: ${errorMessage(err)}`, { cause: err });
  }
  // The lock is held: say who holds it, for the next one who tries.
  ftruncateSync(fd, 0);
  writeSync(fd, `pid ${process.pid}, started ${new Date().toISOString()}, command: ${process.argv.slice(1).join(' ')}\n`, 0);
  return {
    lockPath,
    release() {
      // Closing the descriptor releases the fcntl lock.
      closeSync(fd);
    },
  };
}

function describeOwner(lockPath: string): string {
  try {
    const text = readFileSync(lockPath, 'utf8').trim();
    return text ? `process ${text}` : 'a process that has not written its name yet';
  } catch {
    return 'its process could not be read';
  }
}
