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
  const read = rule?.kind === 'value' ? rule.from.find((s) => s.location !== undefined) : undefined;
  const source = read?.location;
  const described = read && read.kind !== 'field' ? `${read.label} (key ${source ?? ''})` : source;
  const names = missing.map((m) => m.keyword).join(', ');
  return new Hl7Error(
    'HL7_REQUIRED_FIELD_MISSING',
    `${names} (DICOM type 1) ${missing.length > 1 ? 'have' : 'has'} no value${groups > 1 ? ` in order group ${group + 1}` : ''}` +
      (described ? `; ${first.keyword} is read from ${described}` : `; mapping "${mapping.name}" has no entry for ${first.keyword}`),
    {
      location: source,
      hint: `send the field, or give ${first.keyword} a later source or a default in ${mapping.file} (or set policies.type1: accept)`,
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

/** A path to the first component of a field of the order group (or the whole message). */
function componentPath(segment: string, field: number): FieldPath {
  return { text: `${segment}-${field}.1`, segment, occurrence: undefined, field, repetition: { index: 1 }, component: 1, subcomponent: undefined };
}

/**
 * `generate: id`: an ID from the order's number and the item's step index in the message (placer
 * order number, else filler, else accession; "PLC1001-1"), so that a resent order gets the same ID.
 * Longer than the VR allows (SH: 16): a digest of it, as readable as fits. '' without any number.
 */
export function generatedId(message: Hl7Message, scope: GroupScope, step: number, vr: string): string {
  const at = (path: FieldPath): string => resolveRepetition(message, path, scope)?.[0]?.[0]?.trim() ?? '';
  const sources = [componentPath('ORC', 2), componentPath('OBR', 2), componentPath('ORC', 3), componentPath('OBR', 3), componentPath('OBR', 18)];
  const base = sources.map(at).find((v) => v !== '' && !/[\\\p{Cc}]/u.test(v));
  if (base === undefined) return '';
  const id = `${base}-${step}`;
  const max = vr === 'LO' ? 64 : 16;
  if (id.length <= max) return id;
  const digest = createHash('sha256')
    .update(base)
    .digest('hex')
    .slice(0, max - String(step).length - 1)
    .toUpperCase();
  return `${digest}-${step}`;
}

/** `generate: now`: the time of processing as DA (YYYYMMDD), TM (HHMMSS) or DT, in the bridge's local time. */
export function nowAs(now: Date, vr: string): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  const date = `${now.getFullYear()}${two(now.getMonth() + 1)}${two(now.getDate())}`;
  const time = `${two(now.getHours())}${two(now.getMinutes())}${two(now.getSeconds())}`;
  return vr === 'DA' ? date : vr === 'TM' ? time : date + time;
}
