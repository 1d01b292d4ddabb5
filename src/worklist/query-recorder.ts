/**
 * Writes the query log. The SCP records every C-FIND and every rejected association as it ends;
 * the records are written in batches (one transaction per ~100 ms) so that logging never adds a
 * disk sync to a query. Ids are given here, from the highest in the store (the bridge is the only
 * writer: one bridge per database), so that the SCP's log line can name the record at once.
 * Bounded: if the database cannot be written for long, the oldest records wait no longer than
 * MAX_WAITING and are dropped (counted and logged) rather than piling up in memory.
 */
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { QueryRecord } from '../model/query-record.js';

export interface QueryLogWriter {
  lastId(): number;
  append(records: readonly QueryRecord[]): void;
}

/** A record as the SCP gives it; the recorder adds the id. */
export type NewQueryRecord = Omit<QueryRecord, 'id'>;

const FLUSH_MS = 100;
const MAX_WAITING = 10_000;
/**
 * Largest identifier kept, as JSON characters. A C-FIND identifier may be up to dicom.maxMessageBytes
 * (4 MiB); a modality's is a few hundred bytes. Larger ones keep their keys line only, so that
 * MAX_WAITING records stay a few hundred MB at worst, not tens of GB.
 */
export const MAX_KEPT_IDENTIFIER_CHARS = 16_384;
/** Longest keys line and error text kept. */
const MAX_TEXT_CHARS = 2_000;

export class QueryRecorder {
  private nextId: number;
  private waiting: QueryRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private dropped = 0;
  private failing = false;

  constructor(
    private readonly log: QueryLogWriter,
    private readonly logger: Logger,
  ) {
    this.nextId = log.lastId() + 1;
  }

  /** Queues a record; returns its id. */
  record(entry: NewQueryRecord): number {
    const id = this.nextId++;
    this.waiting.push({ id, ...bounded(entry) });
    if (this.waiting.length > MAX_WAITING) {
      this.waiting.shift();
      this.dropped++;
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, FLUSH_MS);
    return id;
  }

  /** Writes what waits (and is called once more on stop). */
  flush(): void {
    if (this.waiting.length === 0) return;
    const batch = this.waiting;
    try {
      this.log.append(batch);
      this.waiting = [];
      if (this.failing || this.dropped > 0) {
        this.logger.warn('query_log.recovered', { written: batch.length, dropped: this.dropped || undefined });
        this.failing = false;
        this.dropped = 0;
      }
    } catch (err) {
      if (!this.failing)
        this.logger.error('query_log.write_failed', {
          error: errorMessage(err),
          effect: `queries keep being answered; up to ${MAX_WAITING} log records wait in memory and are written once the database can be`,
        });
      this.failing = true;
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, 10 * FLUSH_MS);
    }
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flush();
  }
}

function bounded(entry: NewQueryRecord): NewQueryRecord {
  const size = entry.identifier ? JSON.stringify(entry.identifier).length : 0;
  const cut = (text: string | null, note = ''): string | null =>
    text !== null && text.length + note.length > MAX_TEXT_CHARS
      ? `${text.slice(0, MAX_TEXT_CHARS)}... (${text.length} characters)${note}`
      : text && text + note;
  if (size <= MAX_KEPT_IDENTIFIER_CHARS) return { ...entry, keys: cut(entry.keys), error: cut(entry.error) };
  return { ...entry, identifier: null, keys: cut(entry.keys, ` [identifier of ${size} characters not kept]`), error: cut(entry.error) };
}
