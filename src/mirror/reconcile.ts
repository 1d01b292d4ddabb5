/**
 * Reconciles a worklist folder with the store: writes the files that are missing or differ from
 * what the store holds now, deletes the bridge's files whose item is gone or off the worklist, and
 * removes temporaries left by an interrupted write. Files the bridge did not write are reported and
 * left alone. Used by `mwl-bridge mirror --rebuild` and by the mirror when its journal cannot be
 * trusted (first start, or the folder settings changed).
 */
import { encodeWorklistFile, type WorklistFileCharset } from '../model/worklist-file.js';
import { BridgeError, errorMessage } from '../errors.js';
import type { StoredItem } from '../model/item.js';
import type { MirrorSource } from './source.js';
import type { WorklistFolder } from './folder.js';

export interface ReconcileReport {
  /** Files that were missing (item ids). */
  written: number[];
  /** Files whose content differed from the item (item ids). */
  rewritten: number[];
  /** Files whose item is gone or no longer on the worklist (item ids). */
  deleted: number[];
  unchanged: number;
  /** Temporary files of interrupted writes, removed. */
  temporaries: string[];
  /** .wl files the bridge did not write: left alone. */
  foreign: string[];
  /** Items that cannot be written as DICOM (with why). */
  unwritable: { itemId: number; error: string }[];
  /** Attributes written as "?" because the character set lacks a character, by item id. */
  replaced: { itemId: number; attributes: string[] }[];
}

const PAGE = 200;

/**
 * Brings the folder in step with the store. With dryRun nothing is changed and the report says what
 * would be. Each page of changes is applied under the folder's write lock.
 */
export async function reconcileFolder(
  store: MirrorSource,
  folder: WorklistFolder,
  charset: WorklistFileCharset,
  opts: { dryRun?: boolean } = {},
): Promise<ReconcileReport> {
  const report: ReconcileReport = { written: [], rewritten: [], deleted: [], unchanged: 0, temporaries: [], foreign: [], unwritable: [], replaced: [] };
  if (!opts.dryRun) folder.prepare();
  const listing = folder.list();
  report.foreign = listing.foreign;
  report.temporaries = listing.temporary;
  const orphans = new Set(listing.own.keys());

  const applyPage = (page: StoredItem[]): void => {
    for (const item of page) {
      orphans.delete(item.id);
      let encoded;
      try {
        encoded = encodeWorklistFile(item.id, item.dataset, charset);
      } catch (err) {
        report.unwritable.push({ itemId: item.id, error: err instanceof BridgeError ? err.message : errorMessage(err) });
        continue;
      }
      if (encoded.replaced.length) report.replaced.push({ itemId: item.id, attributes: encoded.replaced });
      const current = listing.own.has(item.id) ? folder.read(item.id) : undefined;
      if (current?.equals(encoded.bytes)) {
        report.unchanged++;
        continue;
      }
      (current ? report.rewritten : report.written).push(item.id);
      if (!opts.dryRun) folder.write(item.id, encoded.bytes);
    }
  };

  let afterId = 0;
  for (;;) {
    const page = store.items.shownPage(afterId, PAGE);
    const last = page.at(-1);
    if (!last) break;
    afterId = last.id;
    if (opts.dryRun) applyPage(page);
    else
      await folder.withWriteLock(() => {
        applyPage(page);
      });
  }
  const removeOrphans = (): void => {
    for (const name of listing.temporary) folder.removeFile(name);
    for (const id of orphans) {
      report.deleted.push(id);
      folder.remove(id);
    }
    folder.syncDirectory();
  };
  if (opts.dryRun) report.deleted.push(...orphans);
  else await folder.withWriteLock(removeOrphans);
  report.deleted.sort((a, b) => a - b);
  return report;
}

/** True when the folder already matched the store. */
export function reportIsClean(report: ReconcileReport): boolean {
  return report.written.length + report.rewritten.length + report.deleted.length + report.temporaries.length === 0;
}
