/**
 * The worklist folder the mirror keeps: where files go, how they are named, and how they change.
 *
 * Layouts: "wlmscpfs" puts files in <root>/<AE title>/ beside a `lockfile`, as DCMTK wlmscpfs -dfp
 * <root> serves them; "flat" puts them in <root> (Orthanc's Worklists.Database folder).
 *
 * A file appears or changes only by rename of a complete, fsynced temporary file, so a reader sees
 * the old file or the new one, never half of one. In the wlmscpfs layout every change also happens
 * under a write lock on the lockfile: wlmscpfs takes a read lock with fcntl(F_SETLKW, F_RDLCK) while
 * it reads the folder (DCMTK dcmwlm/libsrc/wldsfs.cc, SetReadlock). Those are POSIX record locks,
 * which flock() does not see on Linux, so the lock is taken with fcntl through os-lock.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { lock, unlock } from 'os-lock';
import { BridgeError, errorMessage } from '../errors.js';
import { pathComponentProblem } from '../model/names.js';

export type MirrorLayoutKind = 'wlmscpfs' | 'flat';

export interface MirrorLayout {
  root: string;
  layout: MirrorLayoutKind;
  /** Storage area (sub-folder) of the wlmscpfs layout. */
  aeTitle: string;
}

/** Files the bridge owns: other .wl files in the folder are never touched. */
const OWN_FILE = /^mwl-bridge-(\d+)\.wl$/;
const TEMPORARY_FILE = /^\.mwl-bridge-\d+\.wl\.tmp$/;

export interface FolderListing {
  /** The bridge's files by item id. */
  own: Map<number, string>;
  /** .wl files the bridge did not write (left alone). */
  foreign: string[];
  /** Temporary files left by an interrupted write. */
  temporary: string[];
}

export class WorklistFolder {
  /** Where the .wl files are. */
  readonly dir: string;
  /** The wlmscpfs lockfile, in that layout. */
  readonly lockPath: string | undefined;

  constructor(readonly layout: MirrorLayout) {
    const unsafe = layout.layout === 'wlmscpfs' ? pathComponentProblem(layout.aeTitle) : undefined;
    if (unsafe) {
      throw new BridgeError('CONFIG_INVALID', `the mirror folder name "${layout.aeTitle}" (the AE title) cannot be used inside ${layout.root}: ${unsafe}`, {
        hint: 'set mirror.aeTitle to a plain folder name',
      });
    }
    this.dir = layout.layout === 'wlmscpfs' ? join(layout.root, layout.aeTitle.trim()) : layout.root;
    this.lockPath = layout.layout === 'wlmscpfs' ? join(this.dir, 'lockfile') : undefined;
  }

  /** Creates the folder (and the lockfile wlmscpfs needs to find before it serves an AE title). */
  prepare(): void {
    try {
      mkdirSync(this.dir, { recursive: true });
      if (this.lockPath && !existsSync(this.lockPath)) closeSync(openSync(this.lockPath, 'a'));
    } catch (err) {
      throw writeError(`cannot create the mirror folder ${this.dir}`, err);
    }
  }

  fileNameOf(itemId: number): string {
    return `mwl-bridge-${itemId}.wl`;
  }

  pathOf(itemId: number): string {
    return join(this.dir, this.fileNameOf(itemId));
  }

  /** Writes an item's file atomically: temporary file, fsync, rename over the old one. */
  write(itemId: number, bytes: Buffer): void {
    const temporary = join(this.dir, `.${this.fileNameOf(itemId)}.tmp`);
    try {
      const fd = openSync(temporary, 'w', 0o644);
      try {
        let offset = 0;
        while (offset < bytes.length) offset += writeSync(fd, bytes, offset);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temporary, this.pathOf(itemId));
    } catch (err) {
      rmSync(temporary, { force: true });
      throw writeError(`cannot write ${this.pathOf(itemId)}`, err);
    }
  }

  /** Deletes an item's file, if there is one. */
  remove(itemId: number): void {
    const path = this.pathOf(itemId);
    try {
      rmSync(path, { force: true });
    } catch (err) {
      throw writeError(`cannot delete ${path}`, err);
    }
  }

  read(itemId: number): Buffer | undefined {
    try {
      return readFileSync(this.pathOf(itemId));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw writeError(`cannot read ${this.pathOf(itemId)}`, err);
    }
  }

  removeFile(name: string): void {
    try {
      rmSync(join(this.dir, name), { force: true });
    } catch (err) {
      throw writeError(`cannot delete ${join(this.dir, name)}`, err);
    }
  }

  list(): FolderListing {
    const listing: FolderListing = { own: new Map(), foreign: [], temporary: [] };
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return listing;
      throw writeError(`cannot list ${this.dir}`, err);
    }
    for (const name of names.sort()) {
      const own = OWN_FILE.exec(name);
      if (own) listing.own.set(Number(own[1]), name);
      else if (TEMPORARY_FILE.test(name)) listing.temporary.push(name);
      else if (/\.wl$/i.test(name)) listing.foreign.push(name);
    }
    return listing;
  }

  /** Makes the renames and deletions of a batch durable (the folder's own entry on disk). */
  syncDirectory(): void {
    try {
      const fd = openSync(this.dir, 'r');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      throw writeError(`cannot sync ${this.dir}`, err);
    }
  }

  /**
   * Runs fn while holding the wlmscpfs write lock (no lock in the flat layout). Waits up to timeoutMs
   * for readers to finish.
   */
  async withWriteLock<T>(fn: () => T, timeoutMs = 30000): Promise<T> {
    if (!this.lockPath) return fn();
    let fd: number;
    try {
      fd = openSync(this.lockPath, 'r+');
    } catch (err) {
      throw new BridgeError('MIRROR_LOCK', `cannot open the wlmscpfs lockfile ${this.lockPath}: ${errorMessage(err)}`, {
        hint: 'the mirror folder must be writable by the bridge',
        cause: err,
      });
    }
    try {
      const until = Date.now() + timeoutMs;
      for (;;) {
        try {
          await lock(fd, { exclusive: true, immediate: true });
          break;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code !== 'EACCES' && code !== 'EAGAIN' && code !== 'EBUSY') throw err;
          if (Date.now() > until) {
            throw new BridgeError('MIRROR_LOCK', `the wlmscpfs lockfile ${this.lockPath} stayed locked for ${timeoutMs / 1000} s`, {
              hint: 'a reader (wlmscpfs) holds it; the mirror retries later',
            });
          }
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
      try {
        return fn();
      } finally {
        await unlock(fd);
      }
    } finally {
      // Closing the descriptor would drop the lock too (POSIX locks belong to the process and file).
      closeSync(fd);
    }
  }
}

function writeError(what: string, err: unknown): BridgeError {
  const code = (err as NodeJS.ErrnoException).code;
  return new BridgeError('MIRROR_WRITE', `${what}: ${errorMessage(err)}`, {
    hint:
      code === 'ENOSPC'
        ? 'the disk is full'
        : code === 'EACCES' || code === 'EPERM'
          ? 'the bridge may not write there: check the folder owner and mode'
          : 'the mirror retries later; "mwl-bridge mirror --rebuild" reconciles the folder',
    cause: err,
  });
}
