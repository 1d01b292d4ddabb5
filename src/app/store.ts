/** The store and the mirror folder as the configuration describes them. */
import { resolve } from 'node:path';
import type { BridgeConfig } from '../config/schema.js';
import { WorklistFolder } from '../mirror/folder.js';
import { WorklistStore, type StoreOptions } from '../store/worklist-store.js';

export function openStore(config: BridgeConfig, opts: Omit<StoreOptions, 'showClosedItems'> = {}): WorklistStore {
  return WorklistStore.open(config['db.path'], { showClosedItems: config['worklist.showClosedItems'], ...opts });
}

/** Runs fn on the configured store, opened for it and closed after (the read-only commands). */
export function withStore<T>(config: BridgeConfig, fn: (store: WorklistStore) => T): T {
  const store = openStore(config);
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

/** The mirror folder the config describes, or undefined when mirror.dir is empty (mirror off). */
export function mirrorFolderOf(config: BridgeConfig): WorklistFolder | undefined {
  if (!config['mirror.dir']) return undefined;
  return new WorklistFolder({
    root: resolve(config['mirror.dir']),
    layout: config['mirror.layout'],
    aeTitle: config['mirror.aeTitle'] || config['dicom.aeTitle'],
  });
}
