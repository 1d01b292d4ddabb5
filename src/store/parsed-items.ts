/**
 * Parsed data sets of the items queries read, kept between queries: a many-answer query spent a
 * fifth of its time in JSON.parse (profiled: ~20 us of ~100 us per answer), and the same items are
 * read by every modality's poll. An entry is valid while the stored text is the same (compared in
 * full: the text is the item's version, whatever wrote it, this process or another). The data sets
 * handed out are shared: read-only for every caller. What is kept is bounded by an estimate of its
 * bytes. When full, an entry makes room only by pushing out one unused for a minute: a universal
 * query over more items than fit would otherwise push out, in order, every entry the next poll
 * needs (least-recently-used order has no hit at all on a repeated scan larger than the cache),
 * where this keeps the items that fit. The SCP's element encodings (model/answer-encoding.ts) are
 * attached to these objects and leave with them.
 */
import type { DicomJson } from '../model/item.js';

interface Entry {
  text: string;
  dataset: DicomJson;
  bytes: number;
  usedAt: number;
}

/** How long an entry must have gone unused before a new one may push it out. */
const IDLE_MS = 60_000;

/**
 * Estimated bytes an entry holds per character of its text: the text (one byte a character), the
 * parsed objects (measured: ~2.6x the text) and the encodings attached to them (~1x).
 */
const BYTES_PER_CHAR = 5;

export class ParsedItems {
  /** By item id, least recently used first (a Map keeps insertion order). */
  private readonly entries = new Map<number, Entry>();
  private held = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The item's parsed data set: the kept one when its text is unchanged, else parsed now (and kept). */
  get(id: number, text: string): DicomJson {
    const entry = this.entries.get(id);
    const now = this.now();
    if (entry && entry.text === text) {
      // Least recently used first: moved to the end.
      this.entries.delete(id);
      this.entries.set(id, entry);
      entry.usedAt = now;
      return entry.dataset;
    }
    const dataset = JSON.parse(text) as DicomJson;
    if (entry) {
      this.entries.delete(id);
      this.held -= entry.bytes;
    }
    const bytes = text.length * BYTES_PER_CHAR;
    for (const [oldest, old] of this.entries) {
      if (this.held + bytes <= this.maxBytes || now - old.usedAt < IDLE_MS) break;
      this.entries.delete(oldest);
      this.held -= old.bytes;
    }
    if (this.held + bytes > this.maxBytes) return dataset;
    this.entries.set(id, { text, dataset, bytes, usedAt: now });
    this.held += bytes;
    return dataset;
  }

  /** Estimated bytes held, and entries (for tests and diagnostics). */
  get size(): { bytes: number; entries: number } {
    return { bytes: this.held, entries: this.entries.size };
  }
}
