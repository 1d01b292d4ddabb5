/**
 * Audit messages waiting for the syslog receiver: kept in the database until delivered, so that a
 * receiver that is down, or a restart of the bridge, loses none. Bounded: past maxMessages a new
 * message is refused (the caller logs it), the older ones are kept.
 */
import type { StoreConnection } from './connection.js';

export interface SpooledMessage {
  id: number;
  message: string;
}

export class AuditSpool {
  constructor(private readonly conn: StoreConnection) {}

  /** Adds a message unless maxMessages are waiting; returns whether it was added. */
  add(message: string, maxMessages: number): boolean {
    if (this.count() >= maxMessages) return false;
    this.conn.statement('INSERT INTO audit_spool (message, created_at) VALUES (?, ?)').run(message, new Date().toISOString());
    return true;
  }

  /** Up to limit messages after the given id, oldest first. */
  after(id: number, limit: number): SpooledMessage[] {
    return this.conn.statement('SELECT id, message FROM audit_spool WHERE id > ? ORDER BY id LIMIT ?').all(id, limit) as SpooledMessage[];
  }

  /** Removes the delivered messages, up to and including id. */
  removeThrough(id: number): void {
    this.conn.statement('DELETE FROM audit_spool WHERE id <= ?').run(id);
  }

  count(): number {
    const row = this.conn.statement('SELECT count(*) AS n FROM audit_spool').get() as { n: number } | undefined;
    return row?.n ?? 0;
  }
}
