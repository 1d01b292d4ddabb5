/**
 * What the mirror reads from the store: the items shown on the worklist, and the journal of changed
 * items. The application passes the store; the mirror knows it only by this interface.
 */
import type { ItemStatus, StoredItem } from '../model/item.js';

export interface MirrorJournalPort {
  /** Starts journaling for target; true when a full reconcile is due first. */
  enable(target: string): boolean;
  /** Records that the folder reflects the whole store for target, up to a journal row. */
  markReconciled(target: string, upToId: number): void;
  /** Stops journaling (mirror off). */
  disable(): void;
  /** The highest journal row so far. */
  head(): number;
  /** The next changed items, oldest first. */
  next(limit: number): { lastId: number; itemIds: number[] };
  /** Drops journal rows up to upToId (the folder has them). */
  done(upToId: number): void;
  /** Rows waiting. */
  backlog(): number;
}

export interface MirrorSource {
  items: {
    get(id: number): StoredItem | undefined;
    isShown(status: string): boolean;
    shownPage(afterId: number, limit: number): StoredItem[];
    readonly shownStatuses: readonly ItemStatus[];
  };
  mirrorJournal: MirrorJournalPort;
}
