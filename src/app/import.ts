/**
 * Imports DICOM worklist files (.wl, as served by wlmscpfs or Orthanc) into the store, so that a
 * site can migrate its worklist folder. Folders are searched for *.wl files. A bad file is
 * reported and skipped; the others are still imported.
 *
 * Idempotent: an item remembers what identifies it in its file (its SOP Instance UID; else Study
 * Instance UID and SPS ID; else its content), and importing the same file again updates that item
 * (or leaves it, when nothing changed) instead of adding a second one.
 *
 * Safe beside a running bridge: files are read and parsed outside any transaction, then written in
 * short batches, each taking SQLite's write lock up front (BEGIN IMMEDIATE), with a pause between
 * batches in which the bridge's group commits (which retry from a timer) get the lock.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BridgeConfig } from '../config/schema.js';
import { errorMessage } from '../errors.js';
import { openStore } from './store.js';
import type { WorklistStore } from '../store/worklist-store.js';
import { Tags, elementStrings, firstString, sequenceItems, type DicomJson } from '../model/item.js';
import { spoolImportAudit } from './audit.js';
import { readWorklistFile } from '../model/worklist-file-reader.js';
import { dcmjs } from '../model/dcmjs.js';

export type ImportAction = 'created' | 'updated' | 'unchanged';

export interface ImportReport {
  imported: { file: string; itemId: number; action: ImportAction; patientId: string }[];
  failed: { file: string; error: string }[];
}

/** Files written per transaction (each ~0.5 ms): the write lock is held for tens of milliseconds at most. */
const FILES_PER_BATCH = 25;
/** Pause between batches, in which another writer (the bridge) takes its turn. */
const PAUSE_BETWEEN_BATCHES_MS = 10;

/** `mwl-bridge import`: opens the configured store, imports the files, closes it. */
export async function importIntoStore(config: BridgeConfig, paths: string[]): Promise<ImportReport> {
  const store = openStore(config);
  try {
    const report = await importWorklistFiles(store, paths);
    // The Import audit message waits in the database for the bridge, which sends it.
    spoolImportAudit(config, store, report);
    return report;
  } finally {
    store.close();
  }
}

export async function importWorklistFiles(store: WorklistStore, paths: string[]): Promise<ImportReport> {
  const report: ImportReport = { imported: [], failed: [] };
  const files = expandPaths(paths, report);
  for (let start = 0; start < files.length; start += FILES_PER_BATCH) {
    if (start > 0) await sleep(PAUSE_BETWEEN_BATCHES_MS);
    const batch: { file: string; item: DicomJson; key: string }[] = [];
    for (const file of files.slice(start, start + FILES_PER_BATCH)) {
      try {
        const bytes = readFileSync(file);
        const item = readWorklistFile(bytes, file);
        batch.push({ file, item, key: importKeyOf(item, sopInstanceUidOf(item, bytes)) });
      } catch (err) {
        report.failed.push({ file, error: errorMessage(err) });
      }
    }
    try {
      store.transaction(() => {
        for (const entry of batch) {
          try {
            // Each file in its own savepoint: one invalid item leaves the others of the batch in.
            const done = store.transaction(() => importOne(store, entry.item, entry.key));
            report.imported.push({ file: entry.file, ...done, patientId: firstString(entry.item, Tags.PatientID) ?? '' });
          } catch (err) {
            report.failed.push({ file: entry.file, error: errorMessage(err) });
          }
        }
      });
    } catch (err) {
      // The batch could not commit: none of its files is in.
      const done = new Set(batch.map((b) => b.file));
      report.imported = report.imported.filter((i) => !done.has(i.file));
      for (const entry of batch) report.failed.push({ file: entry.file, error: errorMessage(err) });
    }
  }
  return report;
}

function importOne(store: WorklistStore, item: DicomJson, key: string): { itemId: number; action: ImportAction } {
  const existing = store.items.findImported(key);
  if (!existing) return { itemId: store.items.insert({ dataset: item, source: 'import', importKey: key }), action: 'created' };
  if (JSON.stringify(existing.dataset) === JSON.stringify(item)) return { itemId: existing.id, action: 'unchanged' };
  store.items.update(existing.id, item, existing.status);
  return { itemId: existing.id, action: 'updated' };
}

/**
 * The file's SOP Instance UID: the dataset's (0008,0018), else the file meta's Media Storage SOP
 * Instance UID (0002,0003). The meta is read again on its own: dcmjs stops at the first dataset tag.
 */
function sopInstanceUidOf(item: DicomJson, bytes: Buffer): string | undefined {
  const own = elementStrings(item['00080018'])[0]?.trim();
  if (own) return own;
  try {
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const options = { ignoreErrors: true, untilTag: '00080000', stopOnGreaterTag: true } as unknown as Parameters<typeof dcmjs.data.DicomMessage.readFile>[1];
    const meta = dcmjs.data.DicomMessage.readFile(buffer, options).meta as unknown as DicomJson;
    return elementStrings(meta['00020003'])[0]?.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** What identifies an imported item: SOP Instance UID, else Study Instance UID + SPS ID, else its content. */
export function importKeyOf(item: DicomJson, sopInstanceUid: string | undefined): string {
  if (sopInstanceUid) return `sop:${sopInstanceUid}`;
  const study = elementStrings(item[Tags.StudyInstanceUID])[0]?.trim();
  const step = sequenceItems(item, Tags.ScheduledProcedureStepSequence)[0];
  const sps = step ? elementStrings(step[Tags.ScheduledProcedureStepID])[0]?.trim() : undefined;
  if (study && sps) return `study:${study}|sps:${sps}`;
  return `content:${createHash('sha256').update(JSON.stringify(item)).digest('hex')}`;
}

function expandPaths(paths: string[], report: ImportReport): string[] {
  const files: string[] = [];
  for (const path of paths) {
    let isDir: boolean;
    try {
      isDir = statSync(path).isDirectory();
    } catch (err) {
      report.failed.push({ file: path, error: errorMessage(err) });
      continue;
    }
    if (!isDir) {
      files.push(path);
      continue;
    }
    for (const entry of readdirSync(path, { withFileTypes: true, recursive: true })) {
      // Dirent.parentPath arrived in Node 20.12; the engines range starts at 20.8.1, where it is undefined.
      const dirent: { name: string; parentPath?: string } = entry;
      if (entry.isFile() && entry.name.toLowerCase().endsWith('.wl')) files.push(join(dirent.parentPath ?? path, entry.name));
    }
  }
  return files.sort();
}
