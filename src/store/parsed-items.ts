/**
 * Parsed data sets of the items queries read, and values derived from them, kept between queries: a
 * many-answer query spent a fifth of its time in JSON.parse (profiled: ~20 us of ~100 us per
 * answer), and the same items are read by every modality's poll. An entry is valid while the stored
 * text is the same (compared in full: the text is the item's version, whatever wrote it, this
 * process or another). The data sets handed out are shared: read-only for every caller.
 *
 * A derived value is what one query (its key) made of the item: the SCP keeps an answer's bytes, or
 * that the item did not match. A repeated query (a modality's poll) then needs neither the parsed
 * data set nor the matcher, and the entry drops its data set: an entry of text and answer bytes
 * is some 2 KB, against ~8 KB with the parsed objects and their element encodings (measured at
 * 10,000 items), so that a store of 10,000 items fits where half of it did.
 *
 * What is kept is bounded by an estimate of its bytes. When full, an entry makes room only by
 * pushing out one unused for a minute: a universal query over more items than fit would otherwise
 * push out, in order, every entry the next poll needs (least-recently-used order has no hit at all
 * on a repeated scan larger than the cache), where this keeps the items that fit. The SCP's element
 * encodings (model/answer-encoding.ts) are attached to the data sets and leave with them.
 */
import type { DicomJson } from '../model/item.js';

interface Derived {
  value: unknown;
  bytes: number;
}

interface Entry {
  text: string;
  dataset: DicomJson | undefined;
  derived: Map<string, Derived> | undefined;
  bytes: number;
  usedAt: number;
}

/** How long an entry must have gone unused before a new one may push it out. */
const IDLE_MS = 60_000;

/** Estimated bytes of an entry besides its text and values (the entry, its map slots, the text's header). */
const ENTRY_BYTES = 200;
/** Estimated bytes of a derived value besides what the deriving query counts (the value's objects, a map entry). */
const DERIVED_BYTES = 120;
/**
 * Estimated bytes of a parsed data set per character of its text: the parsed objects (measured:
 * ~2.6x the text) and the element encodings attached to them (~1x).
 */
const PARSED_BYTES_PER_CHAR = 4;
/** Derived values kept per item: one per query key, for as many query shapes as modalities poll with. */
const MAX_DERIVED = 4;

export class ParsedItems {
  /** By item id, least recently used first (a Map keeps insertion order). */
  private readonly entries = new Map<number, Entry>();
  private held = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The item's parsed data set: the kept one when its text is unchanged, else parsed now (and kept when it fits). */
  get(id: number, text: string): DicomJson {
    const now = this.now();
    const entry = this.current(id, text, now);
    if (entry?.dataset) return entry.dataset;
    const dataset = JSON.parse(text) as DicomJson;
    const bytes = text.length * PARSED_BYTES_PER_CHAR;
    if (entry) {
      if (this.makeRoom(bytes, now)) {
        entry.dataset = dataset;
        this.grow(entry, bytes);
      }
      return dataset;
    }
    this.add(id, { text, dataset, derived: undefined, bytes: ENTRY_BYTES + text.length + bytes, usedAt: now }, now);
    return dataset;
  }

  /** The kept parsed data set of the item while its text is unchanged, without keeping anything new (a scan too large to keep). */
  peek(id: number, text: string): DicomJson | undefined {
    const entry = this.entries.get(id);
    return entry?.text === text ? entry.dataset : undefined;
  }

  /** The value the query of this key derived from the item, while its text is unchanged; undefined when none is kept. */
  derived(id: number, text: string, key: string): { value: unknown } | undefined {
    const derived = this.current(id, text, this.now())?.derived?.get(key);
    return derived && { value: derived.value };
  }

  /** Keeps a value the query of this key derived from the item (of estimated bytes), when it fits; the entry's data set is then dropped. */
  remember(id: number, text: string, key: string, value: unknown, bytes: number): void {
    const now = this.now();
    const entry = this.current(id, text, now);
    const size = bytes + DERIVED_BYTES;
    if (!entry) {
      this.add(id, { text, dataset: undefined, derived: new Map([[key, { value, bytes: size }]]), bytes: ENTRY_BYTES + text.length + size, usedAt: now }, now);
      return;
    }
    if (entry.dataset) {
      entry.dataset = undefined;
      this.grow(entry, -text.length * PARSED_BYTES_PER_CHAR);
    }
    const derived = (entry.derived ??= new Map<string, Derived>());
    const old = derived.get(key);
    if (old) {
      derived.delete(key);
      this.grow(entry, -old.bytes);
    } else if (derived.size >= MAX_DERIVED) {
      const [oldestKey, oldest] = derived.entries().next().value as [string, Derived];
      derived.delete(oldestKey);
      this.grow(entry, -oldest.bytes);
    }
    if (!this.makeRoom(size, now)) return;
    derived.set(key, { value, bytes: size });
    this.grow(entry, size);
  }

  /** Estimated bytes held, and entries (for tests and diagnostics). */
  get size(): { bytes: number; entries: number } {
    return { bytes: this.held, entries: this.entries.size };
  }

  /** The entry of the item when its text is unchanged, made the most recently used; a changed one is dropped. */
  private current(id: number, text: string, now: number): Entry | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.entries.delete(id);
    if (entry.text !== text) {
      this.held -= entry.bytes;
      return undefined;
    }
    // Least recently used first: moved to the end.
    this.entries.set(id, entry);
    entry.usedAt = now;
    return entry;
  }

  private add(id: number, entry: Entry, now: number): void {
    if (!this.makeRoom(entry.bytes, now)) return;
    this.entries.set(id, entry);
    this.held += entry.bytes;
  }

  private grow(entry: Entry, bytes: number): void {
    entry.bytes += bytes;
    this.held += bytes;
  }

  /** Pushes out entries unused for a minute until bytes more fit; false when they do not. */
  private makeRoom(bytes: number, now: number): boolean {
    for (const [oldest, old] of this.entries) {
      if (this.held + bytes <= this.maxBytes || now - old.usedAt < IDLE_MS) break;
      this.entries.delete(oldest);
      this.held -= old.bytes;
    }
    return this.held + bytes <= this.maxBytes;
  }
}
