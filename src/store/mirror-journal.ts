/**
 * The mirror's journal: which items changed since their .wl file was last written. Triggers on the
 * items table add a row in the same transaction as every insert, update and delete (whichever
 * process makes it: the running bridge, `import`, the retention purge), so a committed change is
 * never missed, and a change that was not committed never reaches the folder. Rows are removed only
 * after the folder has been changed, so a crash in between repeats the write (which is idempotent).
 */
import type { StoreConnection } from './connection.js';

const TRIGGERS = ['items_mirror_insert', 'items_mirror_update', 'items_mirror_delete'] as const;

export interface MirrorBacklog {
  /** Highest journal row read; pass it to done() once the folder has the changes. */
  lastId: number;
  /** Distinct items to write or delete, in journal order. */
  itemIds: number[];
}

export class MirrorJournal {
  constructor(private readonly conn: StoreConnection) {}

  /**
   * Starts journaling for the mirror described by target (its folder, layout and what it shows).
   * Returns true when the folder may be out of step with the store (journal was off, or the target
   * changed), so a full reconcile is due before the journal can be trusted.
   */
  enable(target: string): boolean {
    return this.conn.transaction(() => {
      this.conn.exec(`
        CREATE TRIGGER IF NOT EXISTS items_mirror_insert AFTER INSERT ON items BEGIN INSERT INTO mirror_queue (item_id) VALUES (NEW.id); END;
        CREATE TRIGGER IF NOT EXISTS items_mirror_update AFTER UPDATE ON items BEGIN INSERT INTO mirror_queue (item_id) VALUES (NEW.id); END;
        CREATE TRIGGER IF NOT EXISTS items_mirror_delete AFTER DELETE ON items BEGIN INSERT INTO mirror_queue (item_id) VALUES (OLD.id); END;
      `);
      const row = this.conn.statement("SELECT value FROM store_meta WHERE key = 'mirror.target'").get() as { value: string } | undefined;
      return row?.value !== target;
    });
  }

  /** Records that the folder now reflects the whole store for target (after a full reconcile). */
  markReconciled(target: string, upToId: number): void {
    this.conn.transaction(() => {
      this.conn.statement("INSERT INTO store_meta (key, value) VALUES ('mirror.target', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(target);
      this.done(upToId);
    });
  }

  /** Stops journaling (mirror turned off): a later enable() asks for a full reconcile. */
  disable(): void {
    this.conn.transaction(() => {
      for (const trigger of TRIGGERS) this.conn.exec(`DROP TRIGGER IF EXISTS ${trigger}`);
      this.conn.exec("DELETE FROM mirror_queue; DELETE FROM store_meta WHERE key = 'mirror.target'");
    });
  }

  /** The highest journal row so far (0 when empty). */
  head(): number {
    return (this.conn.statement('SELECT coalesce(max(id), 0) AS id FROM mirror_queue').get() as { id: number }).id;
  }

  /** The next changed items, oldest first. */
  next(limit: number): MirrorBacklog {
    const rows = this.conn.statement('SELECT id, item_id FROM mirror_queue ORDER BY id LIMIT ?').all(limit) as { id: number; item_id: number }[];
    return { lastId: rows.at(-1)?.id ?? 0, itemIds: [...new Set(rows.map((r) => r.item_id))] };
  }

  done(upToId: number): void {
    this.conn.statement('DELETE FROM mirror_queue WHERE id <= ?').run(upToId);
  }

  backlog(): number {
    return (this.conn.statement('SELECT count(*) AS n FROM mirror_queue').get() as { n: number }).n;
  }
}
