/** Modality Performed Procedure Step instances as the modalities created and set them. */
import type { DicomJson } from '../model/item.js';
import type { StoreConnection } from './connection.js';

export interface MppsRecord {
  status: string;
  itemIds: number[];
  dataset: DicomJson;
}

export class MppsRecords {
  constructor(private readonly conn: StoreConnection) {}

  get(sopInstanceUid: string): MppsRecord | undefined {
    const row = this.conn.statement('SELECT status, item_ids, dataset FROM mpps WHERE sop_instance_uid = ?').get(sopInstanceUid) as
      { status: string; item_ids: string; dataset: string } | undefined;
    return row && { status: row.status, itemIds: JSON.parse(row.item_ids) as number[], dataset: JSON.parse(row.dataset) as DicomJson };
  }

  /** The instances that name an item, oldest first (the console's Item page). */
  ofItem(itemId: number): { sopInstanceUid: string; status: string; callingAeTitle: string | null; createdAt: string; updatedAt: string }[] {
    const sql = `SELECT sop_instance_uid AS sopInstanceUid, status, calling_ae_title AS callingAeTitle, created_at AS createdAt, updated_at AS updatedAt
      FROM mpps WHERE EXISTS (SELECT 1 FROM json_each(mpps.item_ids) WHERE json_each.value = ?) ORDER BY created_at, sop_instance_uid LIMIT 100`;
    return this.conn.statement(sql).all(itemId) as {
      sopInstanceUid: string;
      status: string;
      callingAeTitle: string | null;
      createdAt: string;
      updatedAt: string;
    }[];
  }

  save(sopInstanceUid: string, record: MppsRecord & { callingAeTitle: string }): void {
    const now = new Date().toISOString();
    this.conn
      .statement(
        `INSERT INTO mpps (sop_instance_uid, status, item_ids, calling_ae_title, created_at, updated_at, dataset) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (sop_instance_uid) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at, dataset = excluded.dataset`,
      )
      .run(sopInstanceUid, record.status, JSON.stringify(record.itemIds), record.callingAeTitle, now, now, JSON.stringify(record.dataset));
  }
}
