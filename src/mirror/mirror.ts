/**
 * Keeps the worklist folder in step with the store while the bridge runs. It follows the store's
 * mirror journal (rows written by triggers in the committing transaction), so only committed changes
 * reach the folder, and a change is dropped from the journal only after its file was written or
 * deleted. When the folder cannot be written, the changes wait in the journal and the mirror retries.
 */
import { describeTag } from '../model/dictionary.js';
import { encodeWorklistFile, type WorklistFileCharset } from '../model/worklist-file.js';
import { BridgeError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { BridgeMetrics } from '../metrics.js';
import type { MirrorJournalPort, MirrorSource } from './source.js';
import type { WorklistFolder } from './folder.js';
import { reconcileFolder, reportIsClean, type ReconcileReport } from './reconcile.js';

export interface WorklistMirrorOptions {
  folder: WorklistFolder;
  characterSet: WorklistFileCharset;
  retrySeconds: number;
  logger: Logger;
  /** Where failed passes are counted. */
  metrics?: BridgeMetrics;
}

/** Journal rows handled per locked batch. */
const BATCH = 200;
/** How often the journal is checked for changes made by this or another process. */
const POLL_MS = 200;

/** What a mirror serves, so that a change of folder, layout or visibility triggers a full reconcile. */
export function mirrorTarget(store: MirrorSource, folder: WorklistFolder, characterSet: WorklistFileCharset): string {
  return JSON.stringify({ dir: folder.dir, layout: folder.layout.layout, characterSet, statuses: store.items.shownStatuses });
}

export class WorklistMirror {
  private readonly journal: MirrorJournalPort;
  private readonly target: string;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private busy = false;
  private failingSince: number | undefined;
  private retryAt = 0;
  private stopped = false;
  private needsReconcile = false;

  constructor(
    private readonly store: MirrorSource,
    private readonly opts: WorklistMirrorOptions,
  ) {
    this.journal = store.mirrorJournal;
    this.target = mirrorTarget(store, opts.folder, opts.characterSet);
  }

  /**
   * Enables the journal and starts following changes; the folder is reconciled first when the
   * journal cannot be trusted (first start, other folder). A folder that cannot be written does not
   * stop the bridge: the failure is logged and retried like any other.
   */
  async start(): Promise<void> {
    const { folder, logger } = this.opts;
    this.needsReconcile = this.journal.enable(this.target);
    await this.tick();
    logger.info('mirror.ready', { dir: folder.dir, layout: folder.layout.layout, backlog: this.journal.backlog(), reconciled: !this.needsReconcile });
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(
      () =>
        void this.tick().finally(() => {
          this.schedule();
        }),
      POLL_MS,
    );
    this.timer.unref();
  }

  private tick(): Promise<void> {
    if (this.busy || Date.now() < this.retryAt) return this.running;
    this.busy = true;
    this.running = this.drain().finally(() => (this.busy = false));
    return this.running;
  }

  private async drain(): Promise<void> {
    const { folder, logger } = this.opts;
    try {
      if (this.needsReconcile) {
        const head = this.journal.head();
        const report = await reconcileFolder(this.store, folder, this.opts.characterSet);
        this.journal.markReconciled(this.target, head);
        this.needsReconcile = false;
        logReconcile(logger, 'mirror.reconciled', report);
      }
      for (let backlog = this.journal.next(BATCH); backlog.itemIds.length > 0; backlog = this.journal.next(BATCH)) {
        const started = performance.now();
        // Recreates the folder (and lockfile) if somebody removed it meanwhile.
        folder.prepare();
        const counts = await folder.withWriteLock(() => {
          const done = { written: 0, deleted: 0 };
          for (const id of backlog.itemIds) {
            if (this.syncItem(id) === 'written') done.written++;
            else done.deleted++;
          }
          folder.syncDirectory();
          return done;
        });
        this.journal.done(backlog.lastId);
        logger.debug('mirror.synced', { ...counts, ms: Math.round(performance.now() - started) });
      }
      if (this.failingSince !== undefined) {
        logger.info('mirror.recovered', { dir: folder.dir, failing_seconds: Math.round((Date.now() - this.failingSince) / 1000) });
        this.failingSince = undefined;
      }
    } catch (err) {
      this.failingSince ??= Date.now();
      this.opts.metrics?.mirrorWriteFailed();
      this.retryAt = Date.now() + this.opts.retrySeconds * 1000;
      const e = err instanceof BridgeError ? err : undefined;
      logger.error('mirror.write_failed', {
        code: e?.code,
        error: errorMessage(err),
        hint: e?.hint,
        waiting: this.journal.backlog(),
        retry_seconds: this.opts.retrySeconds,
      });
    }
  }

  /** Writes or deletes one item's file; an item that cannot be encoded is reported and skipped. */
  private syncItem(id: number): 'written' | 'deleted' {
    const { folder, logger, characterSet } = this.opts;
    const item = this.store.items.get(id);
    if (!item || !this.store.items.isShown(item.status)) {
      folder.remove(id);
      return 'deleted';
    }
    let encoded;
    try {
      encoded = encodeWorklistFile(id, item.dataset, characterSet);
    } catch (err) {
      logger.error('mirror.item_unwritable', { item: id, error: errorMessage(err) });
      folder.remove(id);
      return 'deleted';
    }
    if (encoded.replaced.length) {
      logger.warn('mirror.charset_replaced', {
        item: id,
        charset: encoded.characterSet,
        attributes: encoded.replaced.map(describeTag).join(', '),
        reason: 'characters the character set lacks were written as "?"',
      });
    }
    folder.write(id, encoded.bytes);
    return 'written';
  }
}

export function logReconcile(logger: Logger, event: string, report: ReconcileReport): void {
  logger.info(event, {
    written: report.written.length,
    rewritten: report.rewritten.length,
    deleted: report.deleted.length,
    unchanged: report.unchanged,
    temporaries: report.temporaries.length,
    foreign: report.foreign.length,
    unwritable: report.unwritable.length,
    clean: reportIsClean(report),
  });
  for (const { itemId, error } of report.unwritable) logger.error('mirror.item_unwritable', { item: itemId, error });
  if (report.foreign.length)
    logger.info('mirror.foreign_files', { files: report.foreign.slice(0, 20).join(', '), note: 'not written by the bridge: left alone' });
}
