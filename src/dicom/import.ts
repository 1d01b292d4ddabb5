/**
 * Imports DICOM worklist files (.wl, as served by wlmscpfs or Orthanc) into the store, so that a
 * site can migrate its worklist folder. Folders are searched for *.wl files. A bad file is
 * reported and skipped; the others are still imported, each in its own transaction.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '../errors.js';
import type { WorklistStore } from '../store/items.js';
import { readWorklistFile } from './dataset.js';

export interface ImportReport {
  imported: { file: string; itemId: number }[];
  failed: { file: string; error: string }[];
}

export function importWorklistFiles(store: WorklistStore, paths: string[]): ImportReport {
  const report: ImportReport = { imported: [], failed: [] };
  for (const file of expandPaths(paths, report)) {
    try {
      const dataset = readWorklistFile(readFileSync(file), file);
      const itemId = store.transaction(() => store.insertItem({ dataset, source: 'import' }));
      report.imported.push({ file, itemId });
    } catch (err) {
      report.failed.push({ file, error: errorMessage(err) });
    }
  }
  return report;
}

function expandPaths(paths: string[], report: ImportReport): string[] {
  const files: string[] = [];
  for (const path of paths) {
    let isDir: boolean;
    try {
      isDir = statSync(path).isDirectory();
    } catch (err) {
      report.failed.push({ file: path, error: (err as Error).message });
      continue;
    }
    if (!isDir) {
      files.push(path);
      continue;
    }
    for (const entry of readdirSync(path, { withFileTypes: true, recursive: true })) {
      if (entry.isFile() && entry.name.toLowerCase().endsWith('.wl')) files.push(join(entry.parentPath ?? path, entry.name));
    }
  }
  return files.sort();
}
