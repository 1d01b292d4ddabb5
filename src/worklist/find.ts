/**
 * The worklist C-FIND service, independent of the network: identifier in, answers out. The store's
 * indexes narrow the candidates; the exact matcher confirms each; the projection builds answers.
 */
import type { WorklistStore } from '../store/worklist-store.js';
import type { StoredItem } from '../store/item-table.js';
import { Tags, itemsOf, type DicomJson } from '../model/item.js';
import type { WorklistQuery } from '../model/query.js';
import { matchWorklistQuery } from '../model/match.js';
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
  const limit = opts.maxAnswers && opts.maxAnswers > 0 ? opts.maxAnswers : Infinity;
  let afterId = 0;
  let sent = 0;
  let done = false;
  let truncated = false;
  let candidates = 0;
  /** Candidates of the current page not yet looked at (a page can yield more answers than one call takes). */
  let page: StoredItem[] = [];
  let pageAt = 0;
  let lastPage = false;
  return {
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
      const out: DicomJson[] = [];
      if (done) return out;
      if (pageAt >= page.length) {
        page = store.candidates.page(query, afterId, CANDIDATE_PAGE);
        pageAt = 0;
        // A short page is the last one: no further query to learn that nothing follows.
        lastPage = page.length < CANDIDATE_PAGE;
      }
      while (out.length < max) {
        const item = page[pageAt];
        if (!item) break; // the page is used up
        pageAt++;
        afterId = item.id;
        candidates++;
        if (!matchWorklistQuery(item.dataset, query)) continue;
        if (sent >= limit) {
          truncated = true;
          done = true;
          return out;
        }
        out.push(opts.wholeItems ? wholeAnswer(item.dataset) : projectAnswer(item.dataset, identifier, opts));
        sent++;
      }
      if (pageAt >= page.length && lastPage) done = true;
      return out;
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
