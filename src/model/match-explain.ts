/**
 * Why an item does or does not match a query, key by key, for `mwl-bridge explain`. Each verdict is
 * the matcher's own (match.ts, the functions C-FIND uses), applied to one key at a time; the overall
 * answer is matchDataset's, so an explanation can never disagree with what the SCP answered.
 */
import { lookupTag } from './dictionary.js';
import { elementStrings, itemsOf, type DicomJson, type DicomJsonElement } from './item.js';
import { COMBINED_DATE_TIME, isGroupLength, isPrivateTag, matchCombinedRange, matchDataset, matchElement, type MatchOptions } from './match.js';
import { matchingValues } from './query.js';

export interface KeyVerdict {
  /** Keyword path: "PatientID", "ScheduledProcedureStepSequence > ScheduledStationAETitle". */
  key: string;
  /** The query's value(s), as sent. */
  query: string;
  /** The item's value(s), or undefined when the item has none. */
  item: string | undefined;
  /** The matching rule of PS3.4 C.2.2.2 that applied. */
  rule: string;
  matches: boolean;
}

export interface MatchExplanation {
  matches: boolean;
  /** One verdict per matching key (return keys, which match anything, are left out). */
  keys: KeyVerdict[];
  /** A sequence whose keys each match some item of it, but no one item matches all of them. */
  note?: string;
}

const WILDCARD_VRS = new Set(['AE', 'CS', 'LO', 'LT', 'PN', 'SH', 'ST', 'UC', 'UR', 'UT']);

export function explainMatch(item: DicomJson, query: DicomJson, opts: MatchOptions): MatchExplanation {
  const matches = matchDataset(item, query, opts);
  const { keys, notes } = explainDataset(item, query, opts, []);
  const explanation: MatchExplanation = { matches, keys };
  if (!matches && keys.every((k) => k.matches)) {
    explanation.note = notes[0] ?? 'no single item of a sequence matches all of that sequence\u2019s keys together';
  }
  return explanation;
}

function explainDataset(item: DicomJson, query: DicomJson, opts: MatchOptions, path: string[]): { keys: KeyVerdict[]; notes: string[] } {
  const keys: KeyVerdict[] = [];
  const notes: string[] = [];
  const combined = new Set<string>();
  for (const [dateTag, timeTag] of COMBINED_DATE_TIME) {
    const [date] = matchingValues(query[dateTag]);
    const [time] = matchingValues(query[timeTag]);
    if (matchingValues(query[dateTag]).length === 1 && matchingValues(query[timeTag]).length === 1 && date?.includes('-') && time?.includes('-')) {
      combined.add(dateTag).add(timeTag);
      const itemValue = [elementStrings(item[dateTag])[0], elementStrings(item[timeTag])[0]].filter(Boolean).join(' ');
      keys.push({
        key: [...path, `${keyword(dateTag)} + ${keyword(timeTag)}`].join(' > '),
        query: `${date.trim()} ${time.trim()}`,
        item: itemValue || undefined,
        rule: 'combined date-time range match',
        matches: matchCombinedRange(item, dateTag, timeTag, date, time),
      });
    }
  }
  for (const [tag, element] of Object.entries(query)) {
    if (combined.has(tag) || isGroupLength(tag) || isPrivateTag(tag) || tag === '00080005') continue;
    if (element.vr === 'SQ') {
      const inner = explainSequence(item[tag], element, opts, [...path, keyword(tag)]);
      keys.push(...inner.keys);
      notes.push(...inner.notes);
      continue;
    }
    const wanted = matchingValues(element);
    if (wanted.length === 0) continue;
    const have = elementStrings(item[tag]);
    keys.push({
      key: [...path, keyword(tag)].join(' > '),
      query: wanted.map((w) => w.trim()).join('\\'),
      item: have.length ? have.join('\\') : undefined,
      rule: ruleOf(element, wanted, opts),
      matches: matchElement(item[tag], element, opts),
    });
  }
  return { keys, notes };
}

/**
 * A query sequence item matches when one of the item's sequence items matches all its keys: the
 * verdicts shown are those of the item's sequence item that comes closest (fewest keys missed).
 */
function explainSequence(
  itemElement: DicomJsonElement | undefined,
  queryElement: DicomJsonElement,
  opts: MatchOptions,
  path: string[],
): { keys: KeyVerdict[]; notes: string[] } {
  const keys: KeyVerdict[] = [];
  const notes: string[] = [];
  const itemItems = itemsOf(itemElement);
  for (const queryItem of itemsOf(queryElement)) {
    const candidates = (itemItems.length ? itemItems : [{}]).map((ii) => explainDataset(ii, queryItem, opts, path));
    const best = candidates.reduce((a, b) => (misses(b.keys) < misses(a.keys) ? b : a));
    keys.push(...best.keys);
    notes.push(...best.notes);
    const allKeysSomewhere = best.keys.every((k) => k.matches);
    if (allKeysSomewhere && itemItems.length > 0 && !itemItems.some((ii) => matchDataset(ii, queryItem, opts))) {
      notes.push(`no single item of ${path.join(' > ')} matches all of its keys together`);
    }
  }
  return { keys, notes };
}

function misses(keys: KeyVerdict[]): number {
  return keys.filter((k) => !k.matches).length;
}

function ruleOf(element: DicomJsonElement, wanted: string[], opts: MatchOptions): string {
  const vr = element.vr;
  if (vr === 'UI' && wanted.length > 1) return 'UID list match';
  const one = wanted.length > 1 ? ' (any of the values)' : '';
  if ((vr === 'DA' || vr === 'TM' || vr === 'DT') && wanted.some((w) => w.includes('-'))) return `range match${one}`;
  if (WILDCARD_VRS.has(vr) && wanted.some((w) => /[*?]/.test(w)))
    return `wildcard match${vr === 'PN' && opts.personNameCaseInsensitive ? ', case-insensitive' : ''}${one}`;
  if (vr === 'PN' && opts.personNameCaseInsensitive) return `single value match, case-insensitive${one}`;
  return `single value match${one}`;
}

function keyword(tag: string): string {
  return lookupTag(tag)?.keyword ?? `(${tag.slice(0, 4)},${tag.slice(4)})`;
}

/** One line for a verdict: `ScheduledStationAETitle: query "CT1", item "CT_ROOM2" (single value match)`. */
export function describeVerdict(v: KeyVerdict): string {
  const item = v.item === undefined ? 'no value in the item' : `item "${v.item}"`;
  if (v.rule.startsWith('range') || v.rule.startsWith('combined')) {
    const verdict = v.item === undefined ? `has no value (query ${v.query})` : v.matches ? `${v.item} within ${v.query}` : `${v.item} outside ${v.query}`;
    return `${v.key} ${verdict} (${v.rule})`;
  }
  return `${v.key}: query "${v.query}", ${item} (${v.rule})`;
}
