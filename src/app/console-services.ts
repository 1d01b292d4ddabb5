/**
 * The console's extra reads over the running bridge: an item's MPPS instances and mirror file (the
 * file the mirror writes compared with what the item encodes to now), and the Status page's rates
 * and disk figures.
 */
import { statSync, statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { BridgeConfig } from '../config/schema.js';
import { errorMessage } from '../errors.js';
import type { ConsoleServices, MirrorFileView } from '../http/console/console-services.js';
import { encodeWorklistFile } from '../model/worklist-file.js';
import type { WorklistStore } from '../store/worklist-store.js';
import { mirrorFolderOf } from './store.js';

const MINUTE_MS = 60_000;

export function consoleServices(config: BridgeConfig, store: WorklistStore, mirrorOn: boolean): ConsoleServices {
  const folder = mirrorOn ? mirrorFolderOf(config) : undefined;
  const dbPath = resolve(config['db.path']);
  const started = Date.now();
  const sizeOf = (path: string): number => {
    try {
      return statSync(path).size;
    } catch {
      return 0;
    }
  };
  return {
    mppsOfItem: (itemId) => store.mpps.ofItem(itemId),
    mirrorFileOf(itemId): MirrorFileView | undefined {
      if (!folder) return undefined;
      const path = folder.pathOf(itemId);
      const bytes = (): Buffer | undefined => folder.read(itemId);
      const view = (state: MirrorFileView['state'], detail: string): MirrorFileView => ({ path, state, detail, bytes });
      const item = store.items.get(itemId);
      let current: Buffer | undefined;
      try {
        current = folder.read(itemId);
      } catch (err) {
        return view('unwritable', errorMessage(err));
      }
      if (!item || !store.items.isShown(item.status)) {
        return current
          ? view('unexpected', 'a file is there, but the item is off the worklist: the mirror deletes it')
          : view('off-worklist', 'no file: the item is off the worklist');
      }
      let expected: Buffer;
      try {
        expected = encodeWorklistFile(itemId, item.dataset, config['mirror.characterSet']).bytes;
      } catch (err) {
        return view('unwritable', errorMessage(err));
      }
      if (!current) return view('missing', 'not written yet (see the mirror backlog on the Status page)');
      return current.equals(expected)
        ? view('in-sync', 'the file holds the item as stored')
        : view('stale', 'the file differs from the item: the mirror rewrites it');
    },
    figures() {
      const now = Date.now();
      const since = (ms: number): string => new Date(now - ms).toISOString();
      let freeBytes: number | undefined;
      try {
        const fs = statfsSync(dirname(dbPath));
        freeBytes = fs.bavail * fs.bsize;
      } catch {
        freeBytes = undefined;
      }
      return {
        messagesLastMinute: store.messages.countSince(since(MINUTE_MS)),
        messagesPerMinute15: store.messages.countSince(since(15 * MINUTE_MS)) / 15,
        queriesLastMinute: store.queries.countSince(since(MINUTE_MS)),
        queriesPerMinute15: store.queries.countSince(since(15 * MINUTE_MS)) / 15,
        dbPath,
        dbBytes: sizeOf(dbPath) + sizeOf(`${dbPath}-wal`),
        freeBytes,
        uptimeSeconds: Math.round((now - started) / 1000),
      };
    },
  };
}
