/**
 * Outbound HL7 messages (MPPS status to the RIS) waiting to be delivered: queued in the transaction
 * of the change they report, sent strictly oldest first, retried until acknowledged.
 */
import type { StoreConnection } from './connection.js';

export interface OutboundMessage {
  id: number;
  destination: string;
  message: string;
  controlId: string;
  attempts: number;
}

export type OutboundAttempt = { state: 'sent' | 'failed' | 'pending'; error?: string; ack?: string; nextAttemptAt?: string };

export class Outbox {
  constructor(private readonly conn: StoreConnection) {}

  /** Queues a message for destination (host:port); it is sent (and retried) by the HL7 sender. */
  enqueue(destination: string, controlId: string, message: string): number {
    const now = new Date().toISOString();
    return Number(
      this.conn
        .statement('INSERT INTO hl7_outbox (destination, message, control_id, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?)')
        .run(destination, message, controlId, now, now).lastInsertRowid,
    );
  }

  /**
   * The oldest pending message, when it is due. Strictly oldest first: a later status (CM) never
   * overtakes an earlier one (IP) that is waiting for its retry.
   */
  next(now: string): OutboundMessage | undefined {
    const row = this.conn
      .statement("SELECT id, destination, message, control_id, attempts, next_attempt_at FROM hl7_outbox WHERE state = 'pending' ORDER BY id LIMIT 1")
      .get() as { id: number; destination: string; message: string; control_id: string; attempts: number; next_attempt_at: string } | undefined;
    if (!row || row.next_attempt_at > now) return undefined;
    return { id: row.id, destination: row.destination, message: row.message, controlId: row.control_id, attempts: row.attempts };
  }

  /** Records an attempt: 'sent' (acknowledged), 'failed' (rejected for good) or still 'pending' (retry at nextAttemptAt). */
  recordAttempt(id: number, result: OutboundAttempt): void {
    this.conn
      .statement(
        'UPDATE hl7_outbox SET attempts = attempts + 1, state = ?, last_error = ?, ack = ?, next_attempt_at = coalesce(?, next_attempt_at) WHERE id = ?',
      )
      .run(result.state, result.error ?? null, result.ack ?? null, result.nextAttemptAt ?? null, id);
  }
}
