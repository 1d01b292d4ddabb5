/**
 * The worklist C-FIND service, independent of the network: identifier in, answers out. The store's
 * indexes narrow the candidates; the exact matcher confirms each; the projection builds answers.
 */
import type { WorklistStore } from '../store/worklist-store.js';
import type { StoredItem } from '../store/item-table.js';
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
  let page: StoredItem[] = [];
  let pageAt = 0;
  /** Every candidate's id, read at the first call: the answer is that snapshot's items, as they are when their page is read. */
  let ids: number[] | undefined;
  let idsAt = 0;
  const take = (max: number, answerOf: (item: DicomJson) => DicomJson): DicomJson[] => {
    const out: DicomJson[] = [];
    if (done) return out;
    if (pageAt >= page.length) {
      ids ??= store.candidates.ids(query);
      page = ids.length ? store.candidates.byIds(ids.slice(idsAt, idsAt + CANDIDATE_PAGE)) : [];
      pageAt = 0;
      idsAt += CANDIDATE_PAGE;
    }
    while (out.length < max) {
      const item = page[pageAt];
      if (!item) break; // the page is used up
      pageAt++;
      candidates++;
      if (!matches(item.dataset)) continue;
      if (sent >= limit) {
        truncated = true;
        done = true;
        return out;
      }
      out.push(answerOf(item.dataset));
      sent++;
    }
    if (pageAt >= page.length && idsAt >= (ids?.length ?? 0)) done = true;
    return out;
  };
  const project = (dataset: DicomJson): DicomJson => (opts.wholeItems ? wholeAnswer(dataset) : projectAnswer(dataset, identifier, opts));
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
      return take(max, project);
    },
    nextItems(max: number): DicomJson[] {
      return take(max, (dataset) => dataset);
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
