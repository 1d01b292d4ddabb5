/**
 * The worklist C-FIND service, independent of the network: identifier in, answers out. The store's
 * indexes narrow the candidates; the exact matcher confirms each; the projection builds answers.
 */
import type { WorklistStore } from '../store/worklist-store.js';
import type { ItemRow } from '../store/item-table.js';
import { Tags, itemsOf, type DicomJson } from '../model/item.js';
import type { WorklistQuery } from '../model/query.js';
import { compileMatcher, type MatchOptions } from '../model/match.js';
import { projectAnswer, wholeAnswer } from '../model/project.js';

export interface FindResult {
  answers: DicomJson[];
  /** Items read from the store before exact matching (how selective the indexes were). */
  candidates: number;
  /** More items matched than maxAnswers; the answers stop there. */
  truncated: boolean;
}

export interface AnswerStream {
  /**
   * The next answers (up to max), reading at most one page of candidates, so that a query whose
   * candidates mostly do not match still gives the event loop back between pages: an empty
   * result does not mean the end, `done` does.
   */
  next(max: number): DicomJson[];
  /**
   * As next, but the matched items themselves (shared with later queries: read-only), for a caller
   * that projects them onto the identifier itself (the SCP assembles answers from cached encodings).
   */
  nextItems(max: number): DicomJson[];
  /**
   * As next, but each answer is what derive makes of a matched item, kept with the item while it is
   * unchanged (store/parsed-items.ts) and handed out again to a query with the same identifier and
   * the same key: a repeated query (a modality's poll) neither parses nor matches an item it saw.
   * The key names everything else the value depends on (for the SCP: transfer syntax and character
   * set); bytes is the value's estimated size. The values are shared: read-only.
   */
  nextDerived<T>(max: number, key: string, derive: (item: DicomJson) => { value: T; bytes: number }): T[];
  /** How the identifier is matched (what a caller projecting the items needs). */
  readonly matchOptions: MatchOptions;
  /** True once every candidate was read (or the answer limit was reached). */
  readonly done: boolean;
  /** True once more items matched than maxAnswers allowed. */
  readonly truncated: boolean;
  /** Items read from the store so far (how selective the indexes were). */
  readonly candidates: number;
}

/** Candidates read from the store per SQL query. */
const CANDIDATE_PAGE = 256;

/**
 * Answers produced page by page, so that a large result is never all in memory and the SCP can stop
 * (C-CANCEL, or the association gone) between pages.
 */
export function streamWorklistAnswers(
  store: WorklistStore,
  identifier: DicomJson,
  opts: { personNameCaseInsensitive: boolean; maxAnswers?: number; onlyStation?: string; wholeItems?: boolean },
): AnswerStream {
  const matchIdentifier = opts.onlyStation ? withStation(identifier, opts.onlyStation) : identifier;
  const query: WorklistQuery = { identifier: matchIdentifier, personNameCaseInsensitive: opts.personNameCaseInsensitive };
  const matches = compileMatcher(query.identifier, { personNameCaseInsensitive: query.personNameCaseInsensitive });
  const limit = opts.maxAnswers && opts.maxAnswers > 0 ? opts.maxAnswers : Infinity;
  let sent = 0;
  let done = false;
  let truncated = false;
  let candidates = 0;
  /** Candidates of the current page not yet looked at (a page can yield more answers than one call takes). */
  let page: ItemRow[] = [];
  let pageAt = 0;
  /** Every candidate's id, read at the first call: the answer is that snapshot's items, as they are when their page is read. */
  let ids: number[] | undefined;
  let idsAt = 0;
  /** Whether the items read are kept for the next queries (not for a scan larger than the store keeps). */
  let keep = true;
  /** Up to max answers: answerOf gives a candidate's answer, or undefined when it does not match. */
  const take = <T>(max: number, answerOf: (row: ItemRow) => T | undefined): T[] => {
    const out: T[] = [];
    if (done) return out;
    if (pageAt >= page.length) {
      if (!ids) {
        ids = store.candidates.ids(query);
        keep = store.candidates.keepsScan(ids.length);
      }
      page = ids.length ? store.candidates.rowsByIds(ids.slice(idsAt, idsAt + CANDIDATE_PAGE)) : [];
      pageAt = 0;
      idsAt += CANDIDATE_PAGE;
    }
    while (out.length < max) {
      const row = page[pageAt];
      if (!row) break; // the page is used up
      pageAt++;
      candidates++;
      const answer = answerOf(row);
      if (answer === undefined) continue;
      if (sent >= limit) {
        truncated = true;
        done = true;
        return out;
      }
      out.push(answer);
      sent++;
    }
    if (pageAt >= page.length && idsAt >= (ids?.length ?? 0)) done = true;
    return out;
  };
  const matched = (row: ItemRow): DicomJson | undefined => {
    const dataset = store.candidates.dataset(row, keep);
    return matches(dataset) ? dataset : undefined;
  };
  const project = (dataset: DicomJson): DicomJson => (opts.wholeItems ? wholeAnswer(dataset) : projectAnswer(dataset, identifier, opts));
  /** What the derived values depend on besides the caller's key: the identifiers matched and projected, and how. */
  const querySignature = JSON.stringify([matchIdentifier, identifier, opts.personNameCaseInsensitive]);
  return {
    matchOptions: { personNameCaseInsensitive: opts.personNameCaseInsensitive },
    get done() {
      return done;
    },
    get truncated() {
      return truncated;
    },
    get candidates() {
      return candidates;
    },
    next(max: number): DicomJson[] {
      return take(max, (row) => {
        const dataset = matched(row);
        return dataset && project(dataset);
      });
    },
    nextItems(max: number): DicomJson[] {
      return take(max, matched);
    },
    nextDerived<T>(max: number, key: string, derive: (item: DicomJson) => { value: T; bytes: number }): T[] {
      const fullKey = `${key}|${querySignature}`;
      return take(max, (row) => {
        const kept = store.candidates.derived(row, fullKey);
        // null: kept as not matching.
        if (kept) return (kept.value as T | null) ?? undefined;
        const dataset = matched(row);
        if (!dataset) {
          if (keep) store.candidates.remember(row, fullKey, null, 0);
          return undefined;
        }
        const { value, bytes } = derive(dataset);
        if (keep) store.candidates.remember(row, fullKey, value, bytes);
        return value;
      });
    },
  };
}

/** All answers at once (for tests and tools; the SCP streams). */
export function findWorklistItems(
  store: WorklistStore,
  identifier: DicomJson,
  opts: { personNameCaseInsensitive: boolean; maxAnswers?: number; onlyStation?: string },
): FindResult {
  const stream = streamWorklistAnswers(store, identifier, opts);
  const answers: DicomJson[] = [];
  while (!stream.done) answers.push(...stream.next(1000));
  return { answers, candidates: stream.candidates, truncated: stream.truncated };
}

/** The identifier with ScheduledStationAETitle = station added to (each item of) its SPS sequence. */
function withStation(identifier: DicomJson, station: string): DicomJson {
  const items = itemsOf(identifier[Tags.ScheduledProcedureStepSequence]);
  const station1 = { [Tags.ScheduledStationAETitle]: { vr: 'AE', Value: [station] } };
  return {
    ...identifier,
    [Tags.ScheduledProcedureStepSequence]: { vr: 'SQ', Value: items.length ? items.map((i) => ({ ...i, ...station1 })) : [station1] },
  };
}
