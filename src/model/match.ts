/**
 * C-FIND matching per DICOM PS3.4 C.2.2.2, as pure functions over a query and an item (both DICOM
 * JSON). Single value, universal, wildcard (* and ?), range (DA, TM, DT, open ends too), combined
 * date-time range for SPS start date + time, UID list, and sequence matching (an item matches when
 * one of its sequence items matches every key of the query's sequence item).
 */
import type { DicomJson, DicomJsonElement } from './item.js';
import { elementStrings, itemsOf } from './item.js';
import { matchingValues, type WorklistQuery } from './query.js';
import { wildcardMatch } from './wildcard.js';

const WILDCARD_VRS = new Set(['AE', 'CS', 'LO', 'LT', 'PN', 'SH', 'ST', 'UC', 'UR', 'UT']);

/** Date and time attribute pairs matched as one date-time range when both carry a range (C.2.2.2.5.1). */
export const COMBINED_DATE_TIME: ReadonlyArray<readonly [string, string]> = [
  ['00400002', '00400003'], // ScheduledProcedureStepStartDate + Time
  ['00080020', '00080030'], // StudyDate + StudyTime
];

export interface MatchOptions {
  personNameCaseInsensitive: boolean;
}

export function matchWorklistQuery(item: DicomJson, query: WorklistQuery): boolean {
  return matchDataset(item, query.identifier, { personNameCaseInsensitive: query.personNameCaseInsensitive });
}

export function matchDataset(item: DicomJson, query: DicomJson, opts: MatchOptions): boolean {
  return compileMatcher(query, opts)(item);
}

/**
 * The matcher of one query, for many items: what depends on the query alone (its range pairs, the
 * keys that match anything, the sequence items with keys) is worked out once, so that a
 * many-answer query does not redo it per item (profiled: ~16 us of an item's ~20 us). The query
 * must not change while the matcher is used.
 */
export function compileMatcher(query: DicomJson, opts: MatchOptions): (item: DicomJson) => boolean {
  const checks: Array<(item: DicomJson) => boolean> = [];
  const combined = new Set<string>();
  for (const [dateTag, timeTag] of COMBINED_DATE_TIME) {
    const dates = matchingValues(query[dateTag]);
    const times = matchingValues(query[timeTag]);
    // A range in both, as single values.
    const date = dates.length === 1 ? dates[0] : undefined;
    const time = times.length === 1 ? times[0] : undefined;
    if (date?.includes('-') && time?.includes('-')) {
      checks.push((item) => matchCombinedRange(item, dateTag, timeTag, date, time));
      combined.add(dateTag).add(timeTag);
    }
  }
  for (const [tag, queryElement] of Object.entries(query)) {
    if (combined.has(tag) || isGroupLength(tag) || isPrivateTag(tag) || tag === '00080005') continue;
    if (queryElement.vr === 'SQ') {
      const keyed = itemsOf(queryElement)
        .filter((qi) => !isUniversalDataset(qi))
        .map((qi) => compileMatcher(qi, opts));
      if (keyed.length === 0) continue;
      checks.push((item) => {
        const itemItems = itemsOf(item[tag]);
        return keyed.every((matches) => itemItems.some(matches));
      });
      continue;
    }
    // Universal matching: nothing to check.
    if (matchingValues(queryElement).length === 0) continue;
    checks.push((item) => matchElement(item[tag], queryElement, opts));
  }
  return (item) => checks.every((check) => check(item));
}

export function matchElement(itemElement: DicomJsonElement | undefined, queryElement: DicomJsonElement, opts: MatchOptions): boolean {
  if (queryElement.vr === 'SQ') return matchSequence(itemElement, queryElement, opts);
  const wanted = matchingValues(queryElement);
  if (wanted.length === 0) return true; // universal matching
  const have = elementStrings(itemElement).map(trimPadding);
  if (have.length === 0) return false;
  const vr = queryElement.vr;
  // UID list matching (C.2.2.2.2), in constant time per item however long the list.
  if (vr === 'UI' && wanted.length > 1) {
    const list = uidListOf(queryElement, wanted);
    return have.some((h) => list.has(h));
  }
  // Several values of another VR: leniently, "any of".
  return wanted.some((w) => have.some((h) => matchValue(h, trimPadding(w), vr, opts)));
}

function matchSequence(itemElement: DicomJsonElement | undefined, queryElement: DicomJsonElement, opts: MatchOptions): boolean {
  const queryItems = itemsOf(queryElement);
  const keyed = queryItems.filter((qi) => !isUniversalDataset(qi));
  if (keyed.length === 0) return true;
  const itemItems = itemsOf(itemElement);
  return keyed.every((qi) => itemItems.some((ii) => matchDataset(ii, qi, opts)));
}

function isUniversalDataset(query: DicomJson): boolean {
  return Object.entries(query).every(([tag, el]) =>
    isPrivateTag(tag) || tag === '00080005' ? true : el.vr === 'SQ' ? isUniversalSequenceElement(el) : matchingValues(el).length === 0,
  );
}

function isUniversalSequenceElement(el: DicomJsonElement): boolean {
  return itemsOf(el).every(isUniversalDataset);
}

export function matchValue(have: string, want: string, vr: string, opts: MatchOptions): boolean {
  switch (vr) {
    case 'DA':
      return want.includes('-') ? inRange(normalizeDate(have), want, normalizeDate, 'date') : normalizeDate(have) === normalizeDate(want);
    case 'TM':
      return want.includes('-') ? inRange(normalizeTime(have), want, normalizeTime, 'time') : normalizeTime(have) === normalizeTime(want);
    case 'DT':
      return isDateTimeRange(want)
        ? inRange(normalizeDateTime(have), want, normalizeDateTime, 'datetime')
        : normalizeDateTime(have) === normalizeDateTime(want);
    case 'UI':
      return have === want;
    default: {
      const caseless = vr === 'PN' && opts.personNameCaseInsensitive;
      if (WILDCARD_VRS.has(vr) && /[*?]/.test(want)) return wildcardMatch(want, have, caseless);
      return caseless ? have.toUpperCase() === want.toUpperCase() : have === want;
    }
  }
}

/** The UIDs of a query's list, as a set, built once per query element. */
const uidLists = new WeakMap<DicomJsonElement, Set<string>>();

function uidListOf(element: DicomJsonElement, values: string[]): Set<string> {
  let list = uidLists.get(element);
  if (!list) {
    list = new Set(values.map(trimPadding));
    uidLists.set(element, list);
  }
  return list;
}

type Kind = 'date' | 'time' | 'datetime';

function inRange(value: string, range: string, normalize: (s: string) => string, kind: Kind): boolean {
  if (value === '') return false;
  const dash = kind === 'datetime' ? dateTimeRangeDash(range) : range.indexOf('-');
  const lo = range.slice(0, dash).trim();
  const hi = range.slice(dash + 1).trim();
  if (lo && value < normalize(lo)) return false;
  if (hi && value > upperBound(hi, kind)) return false;
  return true;
}

/** The last moment a partial upper bound stands for: TM "12" is up to 12:59:59.999999. */
function upperBound(bound: string, kind: Kind): string {
  if (kind === 'date') return normalizeDate(bound);
  if (kind === 'time') return padTime(bound.replace(/:/g, ''), '995959.999999');
  const digits = bound.replace(/[+-]\d{4}$/, '');
  const date = digits.slice(0, 8).padEnd(8, '9');
  return date + padTime(digits.slice(8), '995959.999999');
}

export function matchCombinedRange(item: DicomJson, dateTag: string, timeTag: string, dateRange: string, timeRange: string): boolean {
  // The date-time pair lives in one dataset; the query's pair applies to the item's own pair.
  const date = elementStrings(item[dateTag])[0];
  if (!date) return false;
  const time = elementStrings(item[timeTag])[0] ?? '';
  const value = normalizeDate(date) + normalizeTime(time);
  const [dLo, dHi] = splitOnce(dateRange);
  const [tLo, tHi] = splitOnce(timeRange);
  if (dLo && value < normalizeDate(dLo) + (tLo ? normalizeTime(tLo) : '000000.000000')) return false;
  if (dHi && value > normalizeDate(dHi) + (tHi ? padTime(tHi.replace(/:/g, ''), '995959.999999') : '235959.999999')) return false;
  // Open date ends: the time bound still applies on its own.
  if (!dLo && tLo && normalizeTime(time) < normalizeTime(tLo)) return false;
  if (!dHi && tHi && normalizeTime(time) > padTime(tHi.replace(/:/g, ''), '995959.999999')) return false;
  return true;
}

function splitOnce(range: string): [string, string] {
  const i = range.indexOf('-');
  return [range.slice(0, i).trim(), range.slice(i + 1).trim()];
}

/** Without trailing spaces and NULs (a loop: the regular expression /[ \0]+$/ takes quadratic time on long runs). */
function trimPadding(s: string): string {
  let end = s.length;
  while (end > 0 && (s.charCodeAt(end - 1) === 0x20 || s.charCodeAt(end - 1) === 0)) end--;
  return end === s.length ? s : s.slice(0, end);
}

export function normalizeDate(s: string): string {
  return s.trim().replace(/[.\-/]/g, '');
}

/** HHMMSS.FFFFFF, padding missing parts with zeros; accepts the old HH:MM:SS form. */
export function normalizeTime(s: string): string {
  return padTime(s.trim().replace(/:/g, ''), '000000.000000');
}

function padTime(t: string, pad: string): string {
  const [whole = '', frac = ''] = t.split('.');
  const w = whole + pad.slice(whole.length, 6);
  const f = frac + pad.slice(7 + frac.length);
  return `${w}.${f}`.slice(0, 13);
}

function normalizeDateTime(s: string): string {
  const digits = s.trim().replace(/[+-]\d{4}$/, '');
  return digits.slice(0, 8).padEnd(8, '0') + padTime(digits.slice(8), '000000.000000');
}

function isDateTimeRange(s: string): boolean {
  return dateTimeRangeDash(s) >= 0;
}

const FOUR_DIGITS_THEN_END_OR_DASH = /\d{4}($|-)/y;
const EIGHT_DIGITS = /\d{8}/y;

/** The dash separating a DT range, not one starting a UTC offset (&ZZXX). Sticky expressions: constant work per dash. */
function dateTimeRangeDash(s: string): number {
  for (let i = s.indexOf('-'); i >= 0; i = s.indexOf('-', i + 1)) {
    FOUR_DIGITS_THEN_END_OR_DASH.lastIndex = i + 1;
    EIGHT_DIGITS.lastIndex = i + 1;
    const isOffset = i >= 8 && FOUR_DIGITS_THEN_END_OR_DASH.test(s) && !EIGHT_DIGITS.test(s);
    if (!isOffset) return i;
  }
  return -1;
}

export function isGroupLength(tag: string): boolean {
  return tag.endsWith('0000');
}

export function isPrivateTag(tag: string): boolean {
  return parseInt(tag.slice(3, 4), 16) % 2 === 1;
}
