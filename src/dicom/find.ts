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

export function findWorklistItems(
  store: WorklistStore,
  identifier: DicomJson,
  opts: { personNameCaseInsensitive: boolean; maxAnswers?: number; onlyStation?: string },
): FindResult {
  // Restricting to one station is an extra matching key; the answers still carry only what was asked.
  const matchIdentifier = opts.onlyStation ? withStation(identifier, opts.onlyStation) : identifier;
  const query: WorklistQuery = { identifier: matchIdentifier, personNameCaseInsensitive: opts.personNameCaseInsensitive };
  const limit = opts.maxAnswers && opts.maxAnswers > 0 ? opts.maxAnswers : Infinity;
  const answers: DicomJson[] = [];
  let candidates = 0;
  for (const item of store.findCandidates(query)) {
    candidates++;
    if (!matchWorklistQuery(item.dataset, query)) continue;
    // The store reads lazily: stopping here means the rest is never read.
    if (answers.length >= limit) return { answers, candidates, truncated: true };
    answers.push(projectAnswer(item.dataset, identifier, opts));
  }
  return { answers, candidates, truncated: false };
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
