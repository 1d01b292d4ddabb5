/**
 * The worklist C-FIND service, independent of the network: identifier in, answers out. The store's
 * indexes narrow the candidates; the exact matcher confirms each; the projection builds answers.
 */
import type { WorklistStore } from '../store/items.js';
import { Tags, itemsOf, type DicomJson } from '../worklist/item.js';
import type { WorklistQuery } from '../worklist/query.js';
import { matchWorklistQuery } from './match.js';
import { projectAnswer } from './project.js';

export interface FindResult {
  answers: DicomJson[];
  /** Items read from the store before exact matching (how selective the indexes were). */
  candidates: number;
  /** More items matched than maxAnswers; the answers stop there. */
  truncated: boolean;
}

export interface AnswerStream {
  /** The next answers (up to max), or [] when there are no more. */
  next(max: number): DicomJson[];
  /** True once more items matched than maxAnswers allowed. */
  readonly truncated: boolean;
  /** Items read from the store so far (how selective the indexes were). */
  readonly candidates: number;
}

/** Candidates read from the store per SQL query. */
const CANDIDATE_PAGE = 256;

/**
 * Answers produced page by page, so that a large result is never all in memory and the SCP can stop
 * (C-CANCEL) between pages.
 */
export function streamWorklistAnswers(
  store: WorklistStore,
  identifier: DicomJson,
  opts: { personNameCaseInsensitive: boolean; maxAnswers?: number; onlyStation?: string },
): AnswerStream {
  const matchIdentifier = opts.onlyStation ? withStation(identifier, opts.onlyStation) : identifier;
  const query: WorklistQuery = { identifier: matchIdentifier, personNameCaseInsensitive: opts.personNameCaseInsensitive };
  const limit = opts.maxAnswers && opts.maxAnswers > 0 ? opts.maxAnswers : Infinity;
  let afterId = 0;
  let sent = 0;
  let done = false;
  let truncated = false;
  let candidates = 0;
  return {
    get truncated() {
      return truncated;
    },
    get candidates() {
      return candidates;
    },
    next(max: number): DicomJson[] {
      const out: DicomJson[] = [];
      while (!done && out.length < max) {
        const page = store.findCandidatesPage(query, afterId, CANDIDATE_PAGE);
        // A short page is the last one, once all of it is read: no further query to learn that.
        let read = 0;
        for (const item of page) {
          afterId = item.id;
          candidates++;
          read++;
          if (!matchWorklistQuery(item.dataset, query)) continue;
          if (sent >= limit) {
            truncated = true;
            done = true;
            break;
          }
          out.push(projectAnswer(item.dataset, identifier, opts));
          sent++;
          if (out.length >= max) break;
        }
        if (page.length < CANDIDATE_PAGE && read === page.length) done = true;
      }
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
  for (let batch = stream.next(1000); batch.length > 0; batch = stream.next(1000)) answers.push(...batch);
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
