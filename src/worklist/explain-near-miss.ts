/**
 * The items that miss a query by one key only: for each matching key, the query without it is run
 * (the store's candidates, then the exact matcher), over items of every status, so that a step on
 * another station, a day off, or a closed step shows up as the near miss it is.
 */
import { ALL_STATUSES, itemsOf, type DicomJson, type StoredItem } from '../model/item.js';
import { matchDataset, type MatchOptions } from '../model/match.js';
import { matchingValues } from '../model/query.js';
import type { WorklistStore } from '../store/worklist-store.js';

/** Candidates read per key left out, at most (a query of one key left out is the universal query). */
const MAX_CANDIDATES_PER_KEY = 5_000;
const PAGE = 256;

export function nearMisses(store: Pick<WorklistStore, 'candidates'>, identifier: DicomJson, opts: MatchOptions, limit: number): StoredItem[] {
  const found = new Map<number, StoredItem>();
  // The query itself over every status: items it matches that C-FIND does not show (closed, held).
  for (const variant of [identifier, ...withOneKeyLess(identifier)]) {
    for (const item of matching(store, variant, opts)) {
      if (found.size >= limit) return [...found.values()];
      found.set(item.id, item);
    }
  }
  return [...found.values()];
}

function* matching(store: Pick<WorklistStore, 'candidates'>, identifier: DicomJson, opts: MatchOptions): Generator<StoredItem> {
  const query = { identifier, ...opts };
  let afterId = 0;
  for (let read = 0; read < MAX_CANDIDATES_PER_KEY; read += PAGE) {
    const page = store.candidates.page(query, afterId, PAGE, ALL_STATUSES);
    for (const item of page) {
      afterId = item.id;
      if (matchDataset(item.dataset, identifier, opts)) yield item;
    }
    if (page.length < PAGE) return;
  }
}

/** The query once per matching key, with that key's value taken away (a return key then). */
function withOneKeyLess(identifier: DicomJson): DicomJson[] {
  const variants: DicomJson[] = [];
  for (const [tag, element] of Object.entries(identifier)) {
    if (element.vr === 'SQ') {
      itemsOf(element).forEach((seqItem, index) => {
        for (const inner of withOneKeyLess(seqItem)) {
          const items = itemsOf(element).map((it, i) => (i === index ? inner : it));
          variants.push({ ...identifier, [tag]: { vr: 'SQ', Value: items } });
        }
      });
    } else if (matchingValues(element).length > 0) {
      variants.push({ ...identifier, [tag]: { vr: element.vr } });
    }
  }
  return variants;
}
