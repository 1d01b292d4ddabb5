/**
 * One attribute's fallback chain, evaluated: its sources in order (an empty value, a value its VR
 * does not allow, a code no table knows, a source whose condition does not hold: each falls through
 * to the next), then its last resorts (default, generated value, time of processing), as the
 * sender's `fallbacks` policy allows. A value not from the first source says why (a Derivation),
 * so that no value is ever invented in silence.
 */
import type { DicomJsonElement } from '../model/item.js';
import type { Derivation, MessagePolicies } from '../model/order.js';
import { checkElement, maxChars } from '../model/vr.js';
import type { Condition, Generator, InvalidValuePolicy, Source, TemplatePart, ValueRule } from './model.js';
import type { FieldPath } from './path.js';
import { findRow, VALUE_COLUMN, type Table } from './tables.js';
import { applySteps, type ConverterName, type TransformStep } from './transforms.js';
import { dicomElement, mapText, shorten } from './evaluate-values.js';

/** What a chain reads the message and the item made so far with (the Evaluator). */
export interface ChainReader {
  read(path: FieldPath, as: ConverterName): string;
  render(parts: readonly TemplatePart[]): string;
  holds(conditions: readonly Condition[]): boolean;
  table(name: string): Table | undefined;
  /** How an attribute mapped before in this item got its value (for pairedWith). */
  chosen(keyword: string): Chosen | undefined;
  generate(generator: Generator, rule: ValueRule): string;
  readonly policies: MessagePolicies;
  /** The mapping's `policies.invalid`, for entries without their own `invalid:`. */
  readonly invalid: InvalidValuePolicy | undefined;
}

/** Which source gave a value: its index in the rule's from list, a generator, or the default. */
export type Chosen = { index: number; label: string } | { generator: Generator } | { default: true };

export interface Resolved {
  element: DicomJsonElement;
  source: string;
  chosen: Chosen;
  derived?: Derivation;
  /** How the rule's invalid: policy fixed the value (cleaned, truncated), if it did, and what was wrong. */
  fixed: Fixed | undefined;
  /** Set when no source gave a valid value: the first invalid one, as read (the caller omits or rejects it). */
  problem?: { value: string; rule: string; source: string; location: string | undefined };
  /** A code that a lookup with otherwise: reject did not know. */
  unknownCode?: { table: string; code: string; location: string | undefined };
}

/** Why an attribute has no value: each source's reason, for derivations and non-imaging reasons. */
export interface Unresolved {
  reasons: string[];
  unknownCode?: Resolved['unknownCode'];
}

export interface Fixed {
  actions: ('cleaned' | 'truncated')[];
  value: string;
  rule: string;
}

const NO_STEPS: readonly TransformStep[] = [];

export function resolveChain(rule: ValueRule, io: ChainReader): Resolved | Unresolved {
  const reasons: string[] = [];
  let firstInvalid: (NonNullable<Resolved['problem']> & { element: DicomJsonElement; chosen: Chosen }) | undefined;
  let unknownCode: Resolved['unknownCode'];
  const policy = io.policies.fallbacks;
  const candidates = pairedCandidates(rule, io, reasons) ?? rule.from.map((source, index) => ({ source, index }));
  for (const { source, index } of candidates) {
    if (policy === 'none' && index > 0) break;
    if (!io.holds(source.when)) {
      reasons.push(`${source.label} does not apply here`);
      continue;
    }
    const read = readSource(source, rule, io);
    if (read.unknownCode && source.kind === 'lookup' && source.otherwise === 'reject') unknownCode ??= read.unknownCode;
    const value = read.value === '' ? '' : applySteps(applySteps(read.value, source.transform), rule.transform);
    if (value === '') {
      reasons.push(
        read.why ?? (read.value === '' ? `${source.label} empty` : `${source.label} ${JSON.stringify(shorten(read.value))}: ${emptiedBy(source, rule)}`),
      );
      continue;
    }
    const chosen: Chosen = { index, label: source.label };
    const checked = checkedElement(rule, value, io);
    if (checked.ok) {
      const derived: Derivation | undefined = index > 0 || reasons.length > 0 ? { kind: 'fallback', reason: reasons.join('; ') || 'paired' } : undefined;
      return { element: checked.element, source: read.source, chosen, fixed: checked.fixed, ...(derived ? { derived } : {}) };
    }
    reasons.push(`${source.label} ${JSON.stringify(shorten(checked.problem.value))}: ${checked.problem.rule}`);
    firstInvalid ??= { ...checked.problem, source: read.source, location: source.location, element: checked.element, chosen };
  }
  if (policy === 'all') {
    const last = lastResort(rule, io, reasons);
    if (last) return last;
  }
  if (firstInvalid) {
    const { element, chosen, ...problem } = firstInvalid;
    return { element, source: problem.source, chosen, fixed: undefined, problem };
  }
  return { reasons, ...(unknownCode ? { unknownCode } : {}) };
}

/** Why a value read became empty: the table its lookup step did not find it in, or its transform. */
function emptiedBy(source: Source, rule: ValueRule): string {
  const lookup = [...source.transform, ...rule.transform].find((s) => s.kind === 'lookup');
  return lookup ? `not in table ${lookup.table}` : 'empty after its transform';
}

export function isResolved(r: Resolved | Unresolved): r is Resolved {
  return 'element' in r;
}

/**
 * pairedWith: the sources to try are the one that gave the paired attribute (a start time from the
 * field the start date came from), none when it had none; undefined when the rule is not paired.
 */
function pairedCandidates(rule: ValueRule, io: ChainReader, reasons: string[]): { source: Source; index: number }[] | undefined {
  if (!rule.pairedWith) return undefined;
  const chosen = io.chosen(rule.pairedWith);
  if (chosen && 'index' in chosen) {
    const source = rule.from[chosen.index];
    if (chosen.index > 0) reasons.push(`read where ${rule.pairedWith} came from (${chosen.label})`);
    return source ? [{ source, index: chosen.index }] : [];
  }
  reasons.push(`${rule.pairedWith} ${chosen ? 'is not from a field' : 'has no value'}`);
  return [];
}

function readSource(source: Source, rule: ValueRule, io: ChainReader): { value: string; source: string; why?: string; unknownCode?: Resolved['unknownCode'] } {
  switch (source.kind) {
    case 'field':
      return { value: io.read(source.path, source.as ?? rule.as), source: source.label };
    case 'template':
      return { value: io.render(source.parts), source: source.label };
    case 'lookup': {
      const table = io.table(source.table);
      const keys = source.keys.map((k) => io.render(k)).filter((k) => k !== '');
      if (keys.length === 0) return { value: '', source: source.label, why: `${source.label}: no key (its fields are empty)` };
      if (!table) return { value: '', source: source.label, why: `${source.label}: the table is empty` };
      for (const key of keys) {
        const v = findRow(table, key)?.get(source.column);
        if (v !== undefined && v !== '')
          return { value: v, source: `table ${source.table}[${key}]${source.column === VALUE_COLUMN ? '' : `.${source.column}`}` };
      }
      const [code = ''] = keys;
      return {
        value: '',
        source: source.label,
        why: `${source.label}: no entry for ${keys.map((k) => JSON.stringify(shorten(k))).join(' or ')}`,
        unknownCode: { table: source.table, code, location: source.location },
      };
    }
  }
}

function lastResort(rule: ValueRule, io: ChainReader, reasons: string[]): Resolved | undefined {
  const reason = reasons.join('; ') || (rule.from.length === 0 ? 'the mapping gives no source' : 'no source');
  // Paired with an attribute that was generated (a start date of "now"): generated alike, default or not.
  const paired = rule.pairedWith ? io.chosen(rule.pairedWith) : undefined;
  const pairedGenerated = paired && 'generator' in paired && paired.generator === rule.generate;
  if (rule.default && !pairedGenerated) {
    const value = applySteps(io.render(rule.default), NO_STEPS);
    const checked = value === '' ? undefined : checkedElement(rule, value, io);
    if (checked?.ok)
      return { element: checked.element, source: 'default', chosen: { default: true }, fixed: checked.fixed, derived: { kind: 'lastResort', reason } };
  }
  if (rule.generate) {
    const value = io.generate(rule.generate, rule);
    const checked = value === '' ? undefined : checkedElement(rule, value, io);
    const source = rule.generate === 'now' ? 'now' : 'generated';
    if (checked?.ok)
      return { element: checked.element, source, chosen: { generator: rule.generate }, fixed: checked.fixed, derived: { kind: 'lastResort', reason } };
  }
  return undefined;
}

type Checked =
  { ok: true; element: DicomJsonElement; fixed: Fixed | undefined } | { ok: false; element: DicomJsonElement; problem: { value: string; rule: string } };

/** The value as an element its VR allows: valid as it is, or fixed by the invalid: policy (clean, truncate). */
function checkedElement(rule: ValueRule, value: string, io: ChainReader): Checked {
  const element = dicomElement(rule.vr, rule.vm, value);
  const problem = checkElement(rule.vr, rule.vm, element);
  if (!problem) return { ok: true, element, fixed: undefined };
  const policy = rule.invalid ?? io.invalid;
  let fixed = element;
  const actions: ('cleaned' | 'truncated')[] = [];
  if (policy?.clean) {
    fixed = mapText(fixed, (v) => v.replace(/\p{Cc}+/gu, ' ').trim());
    actions.push('cleaned');
  }
  const max = maxChars(rule.vr);
  if (policy?.truncate && max !== undefined) {
    // By characters (code points): a surrogate pair is not cut in half.
    fixed = mapText(fixed, (v) => Array.from(v).slice(0, max).join('').trimEnd());
    actions.push('truncated');
  }
  if (actions.length > 0 && !checkElement(rule.vr, rule.vm, fixed)) return { ok: true, element: fixed, fixed: { actions, ...problem } };
  return { ok: false, element, problem };
}
