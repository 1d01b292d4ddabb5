/**
 * "Why does my modality not see this patient?": for a query (from the query log, or keys given by
 * hand) and an item of interest, what kept the item out of the answer. Matching is explained with
 * the matcher C-FIND uses (model/match-explain.ts); the reasons outside matching are the SCP's own
 * rules: shown statuses, per-AE settings (onlyOwnStation, maxAnswers, characterSet), association
 * policy. Without an item of interest, the items that miss by one key only are explained.
 */
import { ACTIVE_STATUSES, CLOSED_STATUSES, Tags, firstString, itemsOf, type DicomJson, type ItemStatus, type StoredItem } from '../model/item.js';
import { explainMatch, type KeyVerdict } from '../model/match-explain.js';
import { matchDataset, type MatchOptions } from '../model/match.js';
import { projectAnswer } from '../model/project.js';
import { encodeAnswer, isCharacterSetTerm } from '../model/encoding.js';
import { describeQuery } from '../model/describe.js';
import { describeTag } from '../model/dictionary.js';
import { matchingValues } from '../model/query.js';
import type { AeSetting, QueryRecord } from '../model/query-record.js';
import type { WorklistStore } from '../store/worklist-store.js';
import { historyWithoutItems, lastMessageOf, type ExplainTarget, type RetentionDays } from './explain-history.js';

export type { ExplainTarget } from './explain-history.js';
import { nearMisses } from './explain-near-miss.js';

export interface ExplainPolicy {
  /** Why the SCP's association policy would refuse these AE titles, or undefined (dicom/association-policy.ts). */
  refusedAeTitles: (callingAeTitle: string, calledAeTitle: string) => string | undefined;
  personNameCaseInsensitive: boolean;
  showClosedItems: boolean;
  /** dicom.maxAnswers (0: no limit). */
  maxAnswers: number;
  callingAeSettings: Readonly<Record<string, AeSetting>>;
  retention: RetentionDays;
}

/** The query to explain: a logged one, or keys given by hand with the calling AE title to assume. */
export type ExplainQuery = { logged: QueryRecord } | { identifier: DicomJson; callingAeTitle: string; calledAeTitle: string };

export interface ItemExplanation {
  id: number;
  status: ItemStatus;
  accessionNumber: string | undefined;
  patientId: string | undefined;
  patientName: string | undefined;
  station: string | undefined;
  /** True when the item is (or, for a logged query, would now be) among the answers. */
  answered: boolean;
  /** What kept it out, one sentence each; empty when answered. */
  reasons: string[];
  /** Things worth knowing that did not keep it out (characters replaced, changed since the query). */
  notes: string[];
  keys: KeyVerdict[];
}

export interface ExplainReport {
  query: {
    id?: number;
    at?: string;
    callingAeTitle: string;
    calledAeTitle: string;
    keys: string;
    outcome?: string;
    answers?: number | null;
    error?: string | null;
  };
  /** Reasons that concern the whole query (association rejected, query refused). */
  queryReasons: string[];
  target?: ExplainTarget;
  /** The items of interest, or the near misses. */
  items: ItemExplanation[];
  /** True when `items` are the items that miss by one key (no item of interest given). */
  nearMiss: boolean;
  /** When no item of interest exists: what the message log knows of it. */
  history: string[];
}

/** Items of interest looked at, at most. */
const MAX_ITEMS = 50;

export function explainQuery(store: WorklistStore, policy: ExplainPolicy, request: ExplainQuery, target: ExplainTarget | undefined): ExplainReport {
  const logged = 'logged' in request ? request.logged : undefined;
  const identifier = logged ? logged.identifier : 'identifier' in request ? request.identifier : null;
  const callingAeTitle = (logged ? logged.callingAeTitle : 'callingAeTitle' in request ? request.callingAeTitle : '') ?? '';
  const calledAeTitle = (logged ? logged.calledAeTitle : 'calledAeTitle' in request ? request.calledAeTitle : '') ?? '';
  const report: ExplainReport = {
    query: {
      id: logged?.id,
      at: logged?.at,
      callingAeTitle,
      calledAeTitle,
      keys: logged?.keys ?? (identifier ? describeQuery(identifier) : '(none)'),
      outcome: logged?.outcome,
      answers: logged?.answers,
      error: logged?.error,
    },
    queryReasons: queryLevelReasons(store, logged, policy, callingAeTitle, calledAeTitle),
    target,
    items: [],
    nearMiss: false,
    history: [],
  };
  const matchOpts: MatchOptions = { personNameCaseInsensitive: policy.personNameCaseInsensitive };
  const explainOne = (item: StoredItem): ItemExplanation => explainItem(store, policy, item, identifier ?? {}, callingAeTitle, logged, matchOpts);
  if (target?.accessionNumber || target?.patientId) {
    const items = target.accessionNumber
      ? store.items.withKey('accessionNumber', target.accessionNumber, MAX_ITEMS)
      : store.items.withKey('patientId', target.patientId ?? '', MAX_ITEMS);
    report.items = items.map(explainOne);
    if (items.length === 0) report.history = historyWithoutItems(store, policy.retention, target);
    return report;
  }
  if (identifier) {
    report.nearMiss = true;
    // Items the query answers are not misses.
    report.items = nearMisses(store, identifier, matchOpts, MAX_ITEMS)
      .map(explainOne)
      .filter((i) => !i.answered);
    // None misses by one key: the items of the patient or accession number the query names, if any.
    const named = report.items.length === 0 ? namedTarget(identifier) : undefined;
    if (named) {
      report.nearMiss = false;
      report.target = named;
      report.items = (
        named.accessionNumber
          ? store.items.withKey('accessionNumber', named.accessionNumber, MAX_ITEMS)
          : store.items.withKey('patientId', named.patientId ?? '', MAX_ITEMS)
      ).map(explainOne);
    }
  }
  return report;
}

/** The accession number or patient ID a query names by an exact value. */
function namedTarget(identifier: DicomJson): ExplainTarget | undefined {
  const exact = (tag: string): string | undefined => {
    const values = matchingValues(identifier[tag]);
    const [value] = values;
    return values.length === 1 && value !== undefined && !/[*?]/.test(value) ? value.trim() : undefined;
  };
  const accessionNumber = exact(Tags.AccessionNumber);
  if (accessionNumber) return { accessionNumber };
  const patientId = exact(Tags.PatientID);
  return patientId ? { patientId } : undefined;
}

function queryLevelReasons(
  store: WorklistStore,
  logged: QueryRecord | undefined,
  policy: ExplainPolicy,
  callingAeTitle: string,
  calledAeTitle: string,
): string[] {
  if (logged?.kind === 'association') return [`the association was rejected (${logged.error ?? 'no reason logged'}), so no query was made`];
  const reasons: string[] = [];
  if (logged?.outcome === 'refused' || logged?.outcome === 'failed')
    reasons.push(`the query was ${logged.outcome}: ${logged.error ?? 'no reason logged'} (status ${logged.status ?? '?'})`);
  if (logged?.outcome === 'cancelled') reasons.push(`the modality cancelled the query (C-CANCEL) after ${logged.answers ?? 0} answer(s)`);
  if (logged?.outcome === 'abandoned') reasons.push(`the association ended after ${logged.answers ?? 0} answer(s), before the last one`);
  if (!logged) {
    const verdict = policy.refusedAeTitles(callingAeTitle, calledAeTitle);
    if (verdict) reasons.push(`an association from ${callingAeTitle || '(no calling AE title)'} would be rejected: ${verdict}`);
    const rejected = callingAeTitle ? store.queries.lastRejectedAssociation(callingAeTitle, new Date().toISOString()) : undefined;
    if (rejected)
      reasons.push(
        `the last association from ${callingAeTitle} that was rejected (query log ${rejected.id}, ${rejected.at}): ${rejected.error ?? 'no reason logged'}`,
      );
  }
  return reasons;
}

function explainItem(
  store: WorklistStore,
  policy: ExplainPolicy,
  stored: StoredItem,
  identifier: DicomJson,
  callingAeTitle: string,
  logged: QueryRecord | undefined,
  opts: MatchOptions,
): ItemExplanation {
  const item = stored.dataset;
  const step = itemsOf(item[Tags.ScheduledProcedureStepSequence])[0] ?? {};
  // A logged query: the settings that applied then; otherwise as configured now.
  const setting = logged ? (logged.aeSetting ?? undefined) : policy.callingAeSettings[callingAeTitle];
  const match = explainMatch(item, identifier, opts);
  const reasons: string[] = [];
  const notes: string[] = [];
  const shown = policy.showClosedItems ? [...ACTIVE_STATUSES, ...CLOSED_STATUSES] : ACTIVE_STATUSES;
  if (!shown.includes(stored.status)) {
    reasons.push(statusReason(stored.status, policy.showClosedItems));
    const by = lastMessageOf(store, stored, firstString(item, Tags.AccessionNumber));
    notes.push(by ? `status set by ${by}` : 'status not set by a message in the log (an MPPS from a modality, or the log entry was purged)');
  }
  for (const k of match.keys) if (!k.matches) reasons.push(keyReason(k));
  if (match.note) reasons.push(match.note);
  const station = firstString(step, Tags.ScheduledStationAETitle);
  if (setting?.onlyOwnStation) {
    const own = { [Tags.ScheduledProcedureStepSequence]: { vr: 'SQ', Value: [{ [Tags.ScheduledStationAETitle]: { vr: 'AE', Value: [callingAeTitle] } }] } };
    if (!matchDataset(item, own, opts))
      reasons.push(
        `dicom.callingAeSettings.${callingAeTitle}.onlyOwnStation is on: only steps for station "${callingAeTitle}" are answered, this one is for "${station ?? ''}"`,
      );
  }
  const times = store.items.timesOf(stored.id);
  if (logged && times) {
    if (times.createdAt > logged.at) reasons.push(`the item was created at ${times.createdAt}, after the query (${logged.at})`);
    else if (times.updatedAt > logged.at)
      notes.push(`the item changed at ${times.updatedAt}, after the query (${logged.at}): the verdicts are for the item as it is now`);
  }
  if (reasons.length === 0) {
    const limit = setting?.maxAnswers ?? policy.maxAnswers;
    if (limit > 0) {
      const before = matchesBefore(store, identifier, stored.id, opts, limit);
      if (before >= limit)
        reasons.push(`cut off by maxAnswers ${limit}: at least ${before} matching items come before it (answers are given in the order items were stored)`);
    }
    const charset = setting?.characterSet;
    if (charset && charset !== 'ISO_IR 192' && isCharacterSetTerm(charset)) {
      const { replaced } = encodeAnswer(projectAnswer(item, identifier, opts), charset);
      if (replaced.length)
        notes.push(
          `characters that ${charset} (dicom.callingAeSettings.${callingAeTitle}.characterSet) cannot hold were sent as "?" in: ${replaced.map(describeTag).join(', ')}`,
        );
    }
  }
  return {
    id: stored.id,
    status: stored.status,
    accessionNumber: firstString(item, Tags.AccessionNumber),
    patientId: firstString(item, Tags.PatientID),
    patientName: firstString(item, Tags.PatientName),
    station,
    answered: reasons.length === 0,
    reasons,
    notes,
    keys: match.keys,
  };
}

function statusReason(status: ItemStatus, showClosedItems: boolean): string {
  if (status === 'HELD') return 'the item is on hold (HELD): held items are not answered until the order is released';
  if (CLOSED_STATUSES.includes(status) && !showClosedItems) return `status ${status}: closed items are not answered (worklist.showClosedItems is off)`;
  return `status ${status} is not answered`;
}

function keyReason(k: KeyVerdict): string {
  if (k.rule.startsWith('range') || k.rule.startsWith('combined')) {
    return k.item === undefined ? `${k.key}: the item has no value (query ${k.query}, ${k.rule})` : `${k.key} ${k.item} outside ${k.query} (${k.rule})`;
  }
  return `${k.key}: query "${k.query}", item ${k.item === undefined ? 'has no value' : `"${k.item}"`} (${k.rule})`;
}

/** How many shown items that match the query were stored before this one (counted up to `limit`). */
function matchesBefore(store: WorklistStore, identifier: DicomJson, id: number, opts: MatchOptions, limit: number): number {
  const query = { identifier, ...opts };
  let count = 0;
  let afterId = 0;
  for (;;) {
    const page = store.candidates.page(query, afterId, 256);
    for (const c of page) {
      if (c.id >= id || count >= limit) return count;
      afterId = c.id;
      if (matchDataset(c.dataset, identifier, opts)) count++;
    }
    if (page.length < 256) return count;
  }
}
