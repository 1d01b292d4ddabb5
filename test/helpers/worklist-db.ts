/** A worklist database made directly through the store, for tests and benchmarks that start a bridge on it. */
import { join } from 'node:path';
import { WorklistStore } from '../../src/store/worklist-store.js';
import type { DicomJson, ItemStatus } from '../../src/model/item.js';

/** An item as a data set, or with a status other than SCHEDULED. */
export type SeedItem = DicomJson | { dataset: DicomJson; status: ItemStatus };

const withStatus = (item: SeedItem): item is { dataset: DicomJson; status: ItemStatus } => typeof (item as { status?: unknown }).status === 'string';

/** Writes the items into `<dir>/worklist.db` (the file startBridge uses) in one transaction. */
export function writeWorklistDb(dir: string, items: SeedItem[]): void {
  const store = WorklistStore.open(join(dir, 'worklist.db'));
  try {
    store.transaction(() => {
      for (const item of items) store.items.insert(withStatus(item) ? { ...item, source: 'import' } : { dataset: item, source: 'import' });
    });
  } finally {
    store.close();
  }
}
