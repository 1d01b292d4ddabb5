/**
 * The log of inbound messages: each as received (raw bytes), with its sender, control id, what was
 * done, the outcome and the ACK sent. It answers "did this order arrive?" and finds resends.
 */
import { createHash } from 'node:crypto';
import { filterClauses, type StoreConnection } from './connection.js';
import type { MessageNotes } from '../model/order.js';

export type MessageOutcome = 'stored' | 'ignored' | 'duplicate' | 'rejected' | 'error';

export interface MessageRecord {
  receivedAt: string;
  remote: string | null;
  sendingApplication: string | null;
  sendingFacility: string | null;
  controlId: string | null;
  messageType: string | null;
  patientId: string | null;
  accessionNumber: string | null;
  /** What was done: created, updated, cancelled, ... (comma-separated per item). */
  action: string | null;
  outcome: MessageOutcome;
  ackCode: string;
  error: string | null;
  itemIds: number[];
  raw: Buffer;
  ack: string | null;
  /** What makes two messages with one control id the same message (hl7/content-key.ts); default: a hash of raw. */
  contentHash?: string | null;
  /** Derived values and ignored order groups of the message, if any. */
  notes?: MessageNotes | null;
  /**
   * Where the entry came from when not from an HL7 sender over MLLP: a change made through the
   * management API (with the token's name), or a logged message processed again (with the entry it
   * repeats). Kept in the notes column's JSON (no column of its own).
   */
  origin?: MessageOrigin | null;
  /** Set when raw holds only the start of the message (a frame over mllp.maxFrameBytes): it cannot be processed again. Kept in the notes JSON. */
  rawTruncated?: boolean;
}

export interface MessageOrigin {
  /** http: a change made through the management API; reprocess: a logged message run again. */
  source: 'http' | 'reprocess';
  /** The name of the token that asked, or null without tokens configured (loopback only). */
  token: string | null;
  /** reprocess: the entry whose raw message was run again. */
  reprocessOf?: number;
}

export interface StoredMessage extends MessageRecord {
  id: number;
}

export interface MessageFilter {
  since?: string;
  until?: string;
  patientId?: string;
  accessionNumber?: string;
  outcome?: string;
  controlId?: string;
  /** Only messages logged before this one (paging, newest first). */
  beforeId?: number;
  limit?: number;
}

/** Who sent a message, and its control id. */
export interface MessageSender {
  sendingApplication: string | null;
  sendingFacility: string | null;
  controlId: string;
}

interface MessageRow {
  id: number;
  received_at: string;
  remote: string | null;
  sending_application: string | null;
  sending_facility: string | null;
  control_id: string | null;
  message_type: string | null;
  patient_id: string | null;
  accession_number: string | null;
  action: string | null;
  outcome: MessageOutcome;
  ack_code: string;
  error: string | null;
  item_ids: string | null;
  raw: Buffer;
  ack: string | null;
  content_hash: string | null;
  notes: string | null;
}

const INSERT_MESSAGE = `
  INSERT INTO messages (received_at, remote, sending_application, sending_facility, control_id, message_type,
    patient_id, accession_number, action, outcome, ack_code, error, item_ids, raw, ack, content_hash, notes)
  VALUES (@receivedAt, @remote, @sendingApplication, @sendingFacility, @controlId, @messageType,
    @patientId, @accessionNumber, @action, @outcome, @ackCode, @error, @itemIds, @raw, @ack, @contentHash, @notes)`;
// Two statements rather than one with OR: each is a seek on the whole index (a RIS that sends one
// control id for everything has thousands of entries with it).
const DUPLICATE = `
  SELECT * FROM messages WHERE sending_application IS @app AND sending_facility IS @facility AND control_id = @controlId
    AND content_hash = @hash AND outcome IN ('stored', 'ignored') ORDER BY id LIMIT 1`;
// Entries logged before content hashes existed (NULL) count as the same message when their bytes are.
const LEGACY_DUPLICATE = `
  SELECT * FROM messages WHERE sending_application IS @app AND sending_facility IS @facility AND control_id = @controlId
    AND content_hash IS NULL AND raw = @raw AND outcome IN ('stored', 'ignored') ORDER BY id LIMIT 1`;
// Any one earlier entry (no ORDER BY): a RIS that sends one control id for everything would
// otherwise make every message sort all the entries with that id.
const APPLIED = `
  SELECT id FROM messages WHERE sending_application IS @app AND sending_facility IS @facility AND control_id = @controlId
    AND outcome IN ('stored', 'ignored') LIMIT 1`;

export class MessageLog {
  constructor(private readonly conn: StoreConnection) {}

  record(record: MessageRecord): number {
    const result = this.conn.statement(INSERT_MESSAGE).run({
      ...record,
      itemIds: JSON.stringify(record.itemIds),
      contentHash: record.contentHash ?? rawHash(record.raw),
      notes:
        record.notes || record.origin || record.rawTruncated
          ? JSON.stringify({ ...record.notes, ...(record.origin ? { origin: record.origin } : {}), ...(record.rawTruncated ? { rawTruncated: true } : {}) })
          : null,
    });
    return Number(result.lastInsertRowid);
  }

  /**
   * The message already applied with the same sender, control id and content (a RIS retry), if any.
   * contentHash: as recorded (hl7/content-key.ts); by default a hash of the raw bytes.
   */
  findApplied(sender: MessageSender, raw: Buffer, contentHash?: string | null): StoredMessage | undefined {
    const key = { app: sender.sendingApplication, facility: sender.sendingFacility, controlId: sender.controlId };
    const row = (this.conn.statement(DUPLICATE).get({ ...key, hash: contentHash ?? rawHash(raw) }) ??
      this.conn.statement(LEGACY_DUPLICATE).get({ ...key, raw })) as MessageRow | undefined;
    return row && toMessage(row);
  }

  /** The log id of a message applied before with this sender and control id, whatever its content. */
  appliedWithControlId(sender: MessageSender): number | undefined {
    const row = this.conn.statement(APPLIED).get({ app: sender.sendingApplication, facility: sender.sendingFacility, controlId: sender.controlId }) as
      { id: number } | undefined;
    return row?.id;
  }

  list(filter: MessageFilter): StoredMessage[] {
    const { where, params } = filterClauses([
      ['received_at >= @since', 'since', filter.since],
      ['received_at < @until', 'until', filter.until],
      ['patient_id = @patientId', 'patientId', filter.patientId],
      ['accession_number = @accessionNumber', 'accessionNumber', filter.accessionNumber],
      ['outcome = @outcome', 'outcome', filter.outcome],
      ['control_id = @controlId', 'controlId', filter.controlId],
      ['id < @beforeId', 'beforeId', filter.beforeId],
    ]);
    const sql = `SELECT * FROM messages ${where} ORDER BY id DESC LIMIT @limit`;
    return (this.conn.statement(sql).all({ ...params, limit: filter.limit ?? 100 }) as MessageRow[]).map(toMessage);
  }

  /** HL7 messages received at or after an ISO time, changes made by hand left out (the console's rates). */
  countSince(since: string): number {
    return (
      this.conn.statement("SELECT count(*) AS n FROM messages WHERE received_at >= ? AND coalesce(message_type, '') NOT LIKE 'HTTP item %'").get(since) as {
        n: number;
      }
    ).n;
  }

  get(id: number): StoredMessage | undefined {
    const row = this.conn.statement('SELECT * FROM messages WHERE id = ?').get(id) as MessageRow | undefined;
    return row && toMessage(row);
  }
}

function rawHash(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('hex');
}

function toMessage(row: MessageRow): StoredMessage {
  const { origin, rawTruncated, ...notes } = row.notes
    ? (JSON.parse(row.notes) as MessageNotes & { origin?: MessageOrigin; rawTruncated?: boolean })
    : { origin: undefined, rawTruncated: undefined };
  return {
    id: row.id,
    receivedAt: row.received_at,
    remote: row.remote,
    sendingApplication: row.sending_application,
    sendingFacility: row.sending_facility,
    controlId: row.control_id,
    messageType: row.message_type,
    patientId: row.patient_id,
    accessionNumber: row.accession_number,
    action: row.action,
    outcome: row.outcome,
    ackCode: row.ack_code,
    error: row.error,
    itemIds: row.item_ids ? (JSON.parse(row.item_ids) as number[]) : [],
    raw: row.raw,
    ack: row.ack,
    contentHash: row.content_hash,
    notes: 'derived' in notes ? notes : null,
    origin: origin ?? null,
    ...(rawTruncated ? { rawTruncated } : {}),
  };
}
