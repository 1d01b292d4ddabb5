/**
 * A one-line summary of a query's matching keys for logs: "PatientID=123 SPS.Modality=MR", so an
 * administrator can see what a modality really asked for.
 */
import { lookupTag } from './dictionary.js';
import { itemsOf, type DicomJson } from './item.js';
import { matchingValues } from './query.js';

const SHORT: Record<string, string> = { ScheduledProcedureStepSequence: 'SPS' };

export function describeQuery(identifier: DicomJson, prefix = ''): string {
  const parts: string[] = [];
  for (const [tag, element] of Object.entries(identifier)) {
    if (tag === '00080005') continue; // character set of the query, not a matching key
    const keyword = lookupTag(tag)?.keyword ?? tag;
    const name = prefix + (SHORT[keyword] ?? keyword);
    if (element.vr === 'SQ') {
      for (const item of itemsOf(element)) {
        const inner = describeQuery(item, `${name}.`);
        if (inner !== '*') parts.push(inner);
      }
      continue;
    }
    const values = matchingValues(element);
    if (values.length) parts.push(`${name}=${values.join('\\')}`);
  }
  return parts.length ? parts.join(' ') : '*';
}
