/**
 * A one-line summary of a query's matching keys for logs: "PatientID=123 SPS.Modality=MR", so an
 * administrator can see what a modality really asked for.
 */
import { lookupTag } from './dictionary.js';
import { elementStrings, itemsOf, type DicomJson } from './item.js';
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
    if (values.length) parts.push(`${name}=${values.map((v) => v.trim()).join('\\')}`);
  }
  return parts.length ? parts.join(' ') : '*';
}

/** The identifier, one line per attribute, sequences indented: "(0010,0020) PatientID LO "123"". */
export function describeIdentifier(dataset: DicomJson, indent: string): string[] {
  const lines: string[] = [];
  for (const [tag, element] of Object.entries(dataset)) {
    const label = `(${tag.slice(0, 4)},${tag.slice(4)}) ${lookupTag(tag)?.keyword ?? ''} ${element.vr}`;
    if (element.vr === 'SQ') {
      lines.push(`${indent}${label}`);
      itemsOf(element).forEach((item, i) => {
        lines.push(`${indent}  item ${i + 1}`, ...describeIdentifier(item, indent + '    '));
      });
      continue;
    }
    const values = elementStrings(element);
    lines.push(`${indent}${label} ${values.length ? values.map((v) => JSON.stringify(v)).join('\\') : '(return key)'}`);
  }
  return lines;
}
