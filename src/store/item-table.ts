/**
 * Worklist items: their data set (DICOM JSON), status, and the key columns derived from it that the
 * indexes use. Every item is checked against its VRs before it is written.
 */
import { BridgeError } from '../errors.js';
import { ACTIVE_STATUSES, CLOSED_STATUSES, OPEN_STATUSES, Tags, firstString, type DicomJson, type ItemStatus, type StoredItem } from '../model/item.js';

export type { StoredItem } from '../model/item.js';
import { describeTag } from '../model/dictionary.js';
import { validateItem } from '../model/vr.js';
import { sqlList, type StoreConnection } from './connection.js';
import { indexKeysOf } from './keys.js';
import type { ValueIndex } from './value-index.js';

export interface NewItem {
  dataset: DicomJson;
  source: 'hl7' | 'import';
  status?: ItemStatus;
  /** What identifies an imported item in its file (see app/import.ts). */
  importKey?: string;
}

export interface OrderKeys {
  placerOrderNumber: string;
  fillerOrderNumber: string;
  accessionNumber: string;
}

/** How a performed procedure step names the scheduled steps it performed (its Scheduled Step Attributes). */
export interface ScheduledStepReference {
  accessionNumber: string;
  studyInstanceUid: string;
  spsId: string;
  requestedProcedureId: string;
}

export interface ItemTimes {
  createdAt: string;
  updatedAt: string;
  statusChangedAt: string;
}

export interface ItemRow {
  id: number;
  status: ItemStatus;
  dataset: string;
}

export function toItem(row: ItemRow): StoredItem {
  return { id: row.id, status: row.status, dataset: JSON.parse(row.dataset) as DicomJson };
}

const KEY_COLUMNS = `patient_id = @patientId, accession_number = @accessionNumber, patient_name = @patientName, modality = @modality,
  station_ae_title = @stationAeTitle, sps_start_date = @spsStartDate, sps_start_time = @spsStartTime,
  placer_order_number = @placerOrderNumber, filler_order_number = @fillerOrderNumber, study_instance_uid = @studyInstanceUid, sps_id = @spsId`;

const INSERT_ITEM = `
  INSERT INTO items (status, source, patient_id, accession_number, patient_name, modality, station_ae_title,
    sps_start_date, sps_start_time, placer_order_number, filler_order_number, study_instance_uid, sps_id,
    created_at, updated_at, status_changed_at, dataset, import_key)
  VALUES (@status, @source, @patientId, @accessionNumber, @patientName, @modality, @stationAeTitle,
    @spsStartDate, @spsStartTime, @placerOrderNumber, @fillerOrderNumber, @studyInstanceUid, @spsId,
    @now, @now, @now, @dataset, @importKey)`;

const UPDATE_ITEM = `
  UPDATE items SET ${KEY_COLUMNS}, status = @status, updated_at = @now,
    status_changed_at = CASE WHEN status = @status THEN status_changed_at ELSE @now END, dataset = @dataset
  WHERE id = @id`;

export class ItemTable {
  constructor(
    private readonly conn: StoreConnection,
    private readonly valueIndex: ValueIndex,
    /** Statuses answered to C-FIND (and written by the mirror). */
    readonly shownStatuses: readonly ItemStatus[],
  ) {}

  insert(item: NewItem): number {
    checkItem(item.dataset);
    const result = this.conn.statement(INSERT_ITEM).run({
      ...indexKeysOf(item.dataset),
      status: item.status ?? 'SCHEDULED',
      source: item.source,
      now: new Date().toISOString(),
      dataset: JSON.stringify(item.dataset),
      importKey: item.importKey ?? null,
    });
    const id = Number(result.lastInsertRowid);
    this.valueIndex.index(id, item.dataset, false);
    return id;
  }

  /**
   * Replaces an item's dataset (and status), re-deriving its matching keys. New values are checked
   * against their VRs; a status change of a stored item (validate: false) is not refused for a
   * value stored before the checks existed.
   */
  update(id: number, dataset: DicomJson, status: ItemStatus, opts: { validate?: boolean } = {}): void {
    if (opts.validate !== false) checkItem(dataset);
    this.conn.statement(UPDATE_ITEM).run({ ...indexKeysOf(dataset), id, status, now: new Date().toISOString(), dataset: JSON.stringify(dataset) });
    this.valueIndex.index(id, dataset, true);
  }

  get(id: number): StoredItem | undefined {
    const row = this.conn.statement('SELECT id, status, dataset FROM items WHERE id = ?').get(id) as ItemRow | undefined;
    return row && toItem(row);
  }

  count(): number {
    return (this.conn.statement('SELECT count(*) AS n FROM items').get() as { n: number }).n;
  }

  /** A page of items, newest first (ids below beforeId), filtered by status, patient ID and accession number (management API). */
  list(filter: { status?: string; patientId?: string; accessionNumber?: string; beforeId?: number; limit: number }): StoredItem[] {
    const sql = `SELECT id, status, dataset FROM items WHERE (@status IS NULL OR status = @status) AND (@patientId IS NULL OR patient_id = @patientId)
      AND (@accessionNumber IS NULL OR accession_number = @accessionNumber) AND (@beforeId IS NULL OR id < @beforeId) ORDER BY id DESC LIMIT @limit`;
    const params = {
      status: filter.status ?? null,
      patientId: filter.patientId ?? null,
      accessionNumber: filter.accessionNumber ?? null,
      beforeId: filter.beforeId ?? null,
      limit: filter.limit,
    };
    return (this.conn.statement(sql).all(params) as ItemRow[]).map(toItem);
  }

  /** How many items have each status (for the metrics). */
  countByStatus(): Record<string, number> {
    const rows = this.conn.statement('SELECT status, count(*) AS n FROM items GROUP BY status').all() as Array<{ status: string; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  /**
   * The items of an order: by placer order number, else filler order number, else accession number
   * (the first of these the order carries decides).
   */
  findOrderItems(keys: OrderKeys): StoredItem[] {
    const [column, value] = keys.placerOrderNumber
      ? ['placer_order_number', keys.placerOrderNumber]
      : keys.fillerOrderNumber
        ? ['filler_order_number', keys.fillerOrderNumber]
        : ['accession_number', keys.accessionNumber];
    if (!value) return [];
    return (this.conn.statement(`SELECT id, status, dataset FROM items WHERE ${column} = ? AND source = 'hl7' ORDER BY id`).all(value) as ItemRow[]).map(
      toItem,
    );
  }

  /**
   * Items a performed procedure step refers to: by accession number or Study Instance UID, narrowed
   * by SPS ID and requested procedure ID when given.
   */
  findScheduledSteps(ref: ScheduledStepReference): StoredItem[] {
    if (!ref.accessionNumber && !ref.studyInstanceUid && !ref.spsId) return [];
    const clauses: string[] = [];
    const params: string[] = [];
    if (ref.spsId) {
      clauses.push('sps_id = ?');
      params.push(ref.spsId);
    }
    if (ref.accessionNumber) {
      clauses.push('accession_number = ?');
      params.push(ref.accessionNumber);
    } else if (ref.studyInstanceUid) {
      clauses.push('study_instance_uid = ?');
      params.push(ref.studyInstanceUid);
    }
    const rows = (this.conn.statement(`SELECT id, status, dataset FROM items WHERE ${clauses.join(' AND ')} ORDER BY id`).all(...params) as ItemRow[]).map(
      toItem,
    );
    if (!ref.requestedProcedureId) return rows;
    return rows.filter((r) => {
      const rp = firstString(r.dataset, Tags.RequestedProcedureID);
      return rp === undefined || rp === ref.requestedProcedureId;
    });
  }

  /** Open (not closed) items of a patient. */
  openOfPatient(patientId: string): StoredItem[] {
    return (
      this.conn
        .statement(`SELECT id, status, dataset FROM items WHERE patient_id = ? AND status IN (${sqlList(OPEN_STATUSES)}) ORDER BY id`)
        .all(patientId) as ItemRow[]
    ).map(toItem);
  }

  /** The imported item with this import key, if any. */
  findImported(importKey: string): StoredItem | undefined {
    const row = this.conn.statement('SELECT id, status, dataset FROM items WHERE import_key = ? ORDER BY id LIMIT 1').get(importKey) as ItemRow | undefined;
    return row && toItem(row);
  }

  /** Items (any status) with this accession number or patient ID, newest last; at most `limit`. */
  withKey(key: 'accessionNumber' | 'patientId', value: string, limit: number): StoredItem[] {
    const column = key === 'accessionNumber' ? 'accession_number' : 'patient_id';
    const rows = this.conn.statement(`SELECT id, status, dataset FROM items WHERE ${column} = ? ORDER BY id LIMIT ?`).all(value, limit) as ItemRow[];
    return rows.map(toItem);
  }

  /** Items (any status) whose first step starts within [from, to] (YYYYMMDD), counted up to `limit`. */
  countStartingWithin(from: string, to: string, limit: number): number {
    const sql = 'SELECT count(*) AS n FROM (SELECT 1 FROM items WHERE sps_start_date BETWEEN ? AND ? LIMIT ?)';
    return (this.conn.statement(sql).get(from, to, limit) as { n: number }).n;
  }

  /** When an item was created, last changed and last changed status (ISO times). */
  timesOf(id: number): ItemTimes | undefined {
    const row = this.conn.statement('SELECT created_at, updated_at, status_changed_at FROM items WHERE id = ?').get(id) as
      { created_at: string; updated_at: string; status_changed_at: string | null } | undefined;
    return row && { createdAt: row.created_at, updatedAt: row.updated_at, statusChangedAt: row.status_changed_at ?? row.updated_at };
  }

  /** Whether C-FIND shows items of this status (the mirror writes the same items). */
  isShown(status: string): boolean {
    return (this.shownStatuses as readonly string[]).includes(status);
  }

  /** One page of the items C-FIND shows, ids above afterId, in id order. */
  shownPage(afterId: number, limit: number): StoredItem[] {
    const sql = `SELECT id, status, dataset FROM items WHERE status IN (${sqlList(this.shownStatuses)}) AND id > ? ORDER BY id LIMIT ?`;
    return (this.conn.statement(sql).all(afterId, limit) as ItemRow[]).map(toItem);
  }
}

/** The statuses C-FIND shows: the active ones, and the closed ones too when configured. */
export function shownStatusesFor(showClosedItems: boolean): readonly ItemStatus[] {
  return showClosedItems ? [...ACTIVE_STATUSES, ...CLOSED_STATUSES] : ACTIVE_STATUSES;
}

/** Refuses an item with a value its VR does not allow (the last check before anything is stored). */
function checkItem(dataset: DicomJson): void {
  const [problem] = validateItem(dataset);
  if (!problem) return;
  throw new BridgeError(
    'ITEM_INVALID',
    `${problem.attribute} ${JSON.stringify(problem.value.length > 80 ? problem.value.slice(0, 77) + '...' : problem.value)} is not a valid ${problem.vr}: ${problem.rule}`,
    {
      location: describeTag(problem.tag),
      hint: 'correct the value at its source',
    },
  );
}
