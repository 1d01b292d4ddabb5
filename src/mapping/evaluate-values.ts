/**
 * What evaluate.ts builds values with: DICOM elements from text, type-1 completeness, and UIDs
 * derived from an order's identity.
 */
import { createHash } from 'node:crypto';
import type { BridgeError } from '../errors.js';
import { Hl7Error } from '../model/hl7-error.js';
import type { DicomJson, DicomJsonElement, PersonNameValue } from '../model/item.js';
import { missingType1 } from '../model/type1.js';
import type { AttributeRule, Mapping } from './model.js';
import { messageHeader, type Hl7Message } from './message.js';
import { resolveRepetition, type FieldPath, type GroupScope } from './path.js';

export function type1Problem(mapping: Mapping, item: DicomJson, group: number, groups: number): BridgeError | undefined {
  const missing = missingType1(item);
  const [first] = missing;
  if (!first) return undefined;
  const rule = findRule(mapping.attributes, first.keyword);
  const source = rule?.kind === 'value' ? (rule.from[0] ?? rule.template?.find((p): p is FieldPath => typeof p !== 'string')) : undefined;
  const names = missing.map((m) => m.keyword).join(', ');
  return new Hl7Error(
    'HL7_REQUIRED_FIELD_MISSING',
    `${names} (DICOM type 1) ${missing.length > 1 ? 'have' : 'has'} no value${groups > 1 ? ` in order group ${group + 1}` : ''}` +
      (source ? `; ${first.keyword} is read from ${source.text}` : `; mapping "${mapping.name}" has no entry for ${first.keyword}`),
    {
      location: source?.text,
      hint: `send the field, or give ${first.keyword} a default in ${mapping.file} (or set type1: accept)`,
    },
  );
}

function findRule(rules: AttributeRule[], keyword: string): AttributeRule | undefined {
  for (const rule of rules) {
    if (rule.keyword === keyword) return rule;
    if (rule.kind === 'sequence') {
      for (const item of rule.items) {
        const found = findRule(item, keyword);
        if (found) return found;
      }
    }
  }
  return undefined;
}

/** The element with each text value (PN: each component group) passed through f. */
export function mapText(element: DicomJsonElement, f: (v: string) => string): DicomJsonElement {
  const values = (element.Value ?? []).map((v) => {
    if (typeof v === 'string') return f(v);
    if (element.vr === 'PN' && v && typeof v === 'object') {
      const pn = v as PersonNameValue;
      return Object.fromEntries(Object.entries(pn).map(([group, text]) => [group, f(text as string)]));
    }
    return v;
  });
  return { ...element, Value: values };
}

export function shorten(value: string): string {
  return value.length > 24 ? value.slice(0, 21) + '...' : value;
}

/** Text VRs in which a backslash is an ordinary character. */
const BACKSLASH_TEXT_VRS = new Set(['ST', 'LT', 'UT', 'UR']);

export function dicomElement(vr: string, vm: string, value: string): DicomJsonElement {
  if (vr === 'PN') return { vr, Value: [{ Alphabetic: value.replace(/\\/g, '/') }] };
  if (BACKSLASH_TEXT_VRS.has(vr)) return { vr, Value: [value] };
  // A backslash separates values (e.g. several station AE titles, written A\B); in a
  // single-valued attribute it cannot be stored and becomes "/".
  return { vr, Value: vm === '1' ? [value.replace(/\\/g, '/')] : value.split('\\') };
}

/**
 * A UID derived from the order's identity (sender, order numbers, accession, patient), so that a
 * resent order gets the same UID. Under 2.25 it is a UUID-sized number (PS3.5 B.2).
 */
export function deterministicUid(message: Hl7Message, scope: GroupScope, root: string): string {
  const h = messageHeader(message);
  const at = (path: FieldPath): string => resolveRepetition(message, path, scope)?.[(path.component ?? 1) - 1]?.[0] ?? '';
  const p = (segment: string, field: number, component?: number): FieldPath => ({
    text: '',
    segment,
    occurrence: undefined,
    field,
    repetition: { index: 1 },
    component,
    subcomponent: undefined,
  });
  const identity = [
    h.sendingApplication,
    h.sendingFacility,
    at(p('ORC', 2, 1)),
    at(p('ORC', 3, 1)),
    at(p('OBR', 18, 1)),
    at(p('IPC', 1, 1)),
    at(p('IPC', 4, 1)),
    at(p('PID', 3, 1)),
  ].join('|');
  const digest = BigInt('0x' + createHash('sha256').update(identity).digest('hex').slice(0, 32));
  // As many decimal digits of the 128-bit digest as fit in 64 characters after the root.
  const digits = Math.min(39, 64 - root.length - 1);
  const number = (digest % 10n ** BigInt(digits)).toString(10);
  return `${root}.${number}`;
}
