/** The query log and the explain command, read from the configured store (`mwl-bridge queries`, `explain`). */
import type { BridgeConfig } from '../config/schema.js';
import { refusedAeTitles } from '../dicom/association-policy.js';
import type { QueryFilter, QueryRecord } from '../store/query-log.js';
import { explainQuery, type ExplainPolicy, type ExplainQuery, type ExplainReport, type ExplainTarget } from '../worklist/explain.js';
import { withStore } from './store.js';

export type { QueryFilter, QueryRecord } from '../store/query-log.js';
export { describeIdentifier } from '../model/describe.js';
export { describeVerdict } from '../model/match-explain.js';
export { identifierFromKeys } from '../model/key-path.js';
export type { ExplainReport, ExplainTarget, ItemExplanation } from '../worklist/explain.js';

export function listQueries(config: BridgeConfig, filter: QueryFilter): QueryRecord[] {
  return withStore(config, (store) => store.queries.list(filter));
}

export function findQuery(config: BridgeConfig, id: number): QueryRecord | undefined {
  return withStore(config, (store) => store.queries.get(id));
}

/** The SCP's rules as the configuration sets them, for explain. */
export function explainPolicyOf(config: BridgeConfig): ExplainPolicy {
  const aePolicy = {
    aeTitle: config['dicom.aeTitle'],
    checkCalledAeTitle: config['dicom.checkCalledAeTitle'],
    allowedCallingAeTitles: config['dicom.allowedCallingAeTitles'],
  };
  return {
    refusedAeTitles: (calling, called) => refusedAeTitles(aePolicy, calling, called)?.why,
    personNameCaseInsensitive: config['dicom.personNameMatching'] === 'case-insensitive',
    showClosedItems: config['worklist.showClosedItems'],
    maxAnswers: config['dicom.maxAnswers'],
    callingAeSettings: config['dicom.callingAeSettings'],
    retention: {
      closedItemDays: config['retention.closedItemDays'],
      scheduledItemDays: config['retention.scheduledItemDays'],
      messageDays: config['retention.messageDays'],
    },
  };
}

/** Explains a logged query (by id) or one given by keys; undefined when the logged query is not found. */
export function explain(
  config: BridgeConfig,
  query: number | Exclude<ExplainQuery, { logged: QueryRecord }>,
  target: ExplainTarget | undefined,
): ExplainReport | undefined {
  return withStore(config, (store) => {
    if (typeof query !== 'number') return explainQuery(store, explainPolicyOf(config), query, target);
    const logged = store.queries.get(query);
    return logged && explainQuery(store, explainPolicyOf(config), { logged }, target);
  });
}
