/**
 * For a C-FIND answered with nothing: whether the store has items for the same patient, accession
 * number or day anyway, in a few words for the log line, so that an administrator reading
 * `answers=0` learns at once that the items exist and that `mwl-bridge explain` will say why they
 * were not answered. A few indexed lookups, no matching: it runs for every empty answer.
 */
import { Tags, firstString, itemsOf, type DicomJson } from '../model/item.js';
import { matchingValues } from '../model/query.js';
import type { WorklistStore } from '../store/worklist-store.js';

const LOOKED_AT = 20;

export function emptyAnswerHint(store: Pick<WorklistStore, 'items'>, identifier: DicomJson): string | undefined {
  for (const [key, tag, label] of [
    ['accessionNumber', Tags.AccessionNumber, 'AccessionNumber'],
    ['patientId', Tags.PatientID, 'PatientID'],
  ] as const) {
    const value = exactValue(identifier, tag);
    if (value === undefined) continue;
    const items = store.items.withKey(key, value, LOOKED_AT);
    if (items.length === 0) continue;
    const stations = new Set(
      items.map((i) => firstString(itemsOf(i.dataset[Tags.ScheduledProcedureStepSequence])[0] ?? {}, Tags.ScheduledStationAETitle) ?? ''),
    );
    const statuses = new Set(items.map((i) => i.status));
    return `${items.length}${items.length === LOOKED_AT ? '+' : ''} item(s) with ${label} "${value}" exist (station ${[...stations].join(', ')}; status ${[...statuses].join(', ')})`;
  }
  const step = itemsOf(identifier[Tags.ScheduledProcedureStepSequence])[0];
  const [date] = step ? matchingValues(step[Tags.ScheduledProcedureStepStartDate]) : [];
  const text = date?.trim() ?? '';
  if (!/^\d{8}(-\d{8})?$|^\d{8}-$|^-\d{8}$/.test(text)) return undefined;
  const range = text.split('-');
  const from = range[0] || '00000000';
  const to = range.length > 1 ? range[1] || '99999999' : from;
  const n = store.items.countStartingWithin(from, to, LOOKED_AT);
  return n > 0 ? `${n}${n === LOOKED_AT ? '+' : ''} item(s) are scheduled ${from === to ? `on ${from}` : `within ${text}`}` : undefined;
}

/** The key's single value when it is an exact one (no wildcard, no list). */
function exactValue(identifier: DicomJson, tag: string): string | undefined {
  const values = matchingValues(identifier[tag]);
  const [value] = values;
  return values.length === 1 && value !== undefined && !/[*?\\]/.test(value) ? value.trim() : undefined;
}
