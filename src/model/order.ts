/**
 * An order as a mapping makes it from an HL7 message, and as the order lifecycle (worklist/)
 * applies it: one worklist item per requested procedure / scheduled step, each with its order
 * control code and a trace of where every value came from, values not taken from their first
 * source marked as derived (with why), and the policies in force for the message's sender.
 */
import type { BridgeError } from '../errors.js';
import type { DicomJson } from './item.js';

export interface TraceEntry {
  /** Keyword path, e.g. "ScheduledProcedureStepSequence[1].Modality". */
  attribute: string;
  /**
   * Where the value came from: an HL7 path, "table NAME[KEY]", "template", "value", "default",
   * "generated" (a UID or ID derived from the order), "now" (the time the message was processed).
   */
  source: string;
  value: string;
  /** Set when the value is not from the attribute's first source: never an invented value in silence. */
  derived?: Derivation;
}

export interface Derivation {
  /** fallback: a later source of the list gave it; lastResort: a default, a generated value or the time of processing. */
  kind: 'fallback' | 'lastResort';
  /** Why the sources before it gave nothing, e.g. 'ORC-7.4 empty; OBR-27.4 "2013-08-24": DA is YYYYMMDD'. */
  reason: string;
}

/** What the sender's mapping (its profile) and the settings say for this message; computed in one place (mapping/policies.ts). */
export interface MessagePolicies {
  /** A DICOM type-1 attribute without a value: reject the order (AE) or store it anyway. */
  type1: 'reject' | 'accept';
  /** XO, CA, DC, SC, HD or RL for an order the bridge does not know: AE, or apply (XO creates, others ignored). */
  unknownOrder: 'reject' | 'apply';
  /** An empty MSH-10: accept (ACK with an empty MSA-2, never a duplicate) or reject (AE at MSH-10). */
  emptyControlId: 'accept' | 'reject';
  /** An order group that is not an imaging order (the mapping's nonImaging rule): ignore it (AA, logged) or reject it (AR). */
  nonImaging: 'ignore' | 'reject';
  /** all: later sources and last resorts; fields: later HL7 fields only (no defaults, generated values, "now"); none: first sources only. */
  fallbacks: 'all' | 'fields' | 'none';
}

/** One requested procedure / scheduled step: what becomes one worklist item. */
export interface MappedProcedure {
  /** ORC-1 of its group as received (e.g. "NW"). */
  orderControl: string;
  /** ORC-5 (or the mapping's orderStatus path), often empty. */
  orderStatus: string;
  /** ADT^A40: the merged (old) patient ID, from the mapping's mergePatientId path. */
  mergedPatientId: string;
  item: DicomJson;
  trace: TraceEntry[];
  /**
   * Set when the item lacks a DICOM type-1 attribute and the policy says type1: reject. The order
   * lifecycle raises it when the item is to be stored (NW, XO), not for cancels or status changes.
   */
  type1Problem?: BridgeError;
  /**
   * The first value its VR does not allow (and the mapping's `invalid:` policy did not fix), or a
   * code a lookup with `otherwise: reject` did not know. Raised, like type1Problem, only when the
   * item is to be stored.
   */
  valueProblem?: BridgeError;
  /** Values the mapping's `invalid:` policy cleaned, truncated or left out (to be logged). */
  adjustments: ValueAdjustment[];
  /** Set when the mapping's nonImaging rule holds for this group: why it is not an imaging order. */
  nonImaging?: NonImaging;
}

export interface NonImaging {
  reason: string;
  /** The HL7 field the decision rests on, for the ERR segment when such orders are rejected. */
  location: string | undefined;
}

export interface ValueAdjustment {
  attribute: string;
  source: string;
  action: 'cleaned' | 'truncated' | 'omitted';
  /** The value as read, and the rule it broke. */
  value: string;
  rule: string;
}

export interface MappedOrder {
  mapping: string;
  messageType: string;
  procedures: MappedProcedure[];
  policies: MessagePolicies;
}

/** A derived value as logged and kept with the message log entry. */
export interface DerivedValue {
  /** 1-based number of the worklist item (order group) in the message. */
  item: number;
  attribute: string;
  source: string;
  value: string;
  kind: Derivation['kind'];
  reason: string;
}

/** Most derived values kept per message, and longest text of each; beyond, the list says how many were left out. */
export const MAX_DERIVED_VALUES = 100;
const MAX_DERIVED_TEXT = 240;

/** The derived values of an order, bounded (MAX_DERIVED_VALUES entries, texts cut to 240 characters). */
export function derivedValues(order: Pick<MappedOrder, 'procedures'>): DerivedValue[] {
  const all = order.procedures.flatMap((p, i) =>
    p.trace.flatMap((t) =>
      t.derived
        ? [{ item: i + 1, attribute: cut(t.attribute), source: cut(t.source), value: cut(t.value), kind: t.derived.kind, reason: cut(t.derived.reason) }]
        : [],
    ),
  );
  return all.slice(0, MAX_DERIVED_VALUES);
}

/** What the message log keeps of a message besides its outcome: derived values, ignored order groups. */
export interface MessageNotes {
  derived: DerivedValue[];
  /** Derived values beyond MAX_DERIVED_VALUES, not kept. */
  derivedLeftOut: number;
  /** Order groups that are not imaging orders (ignored), 1-based, with why. */
  ignored: { item: number; reason: string }[];
}

/** The notes of a mapped order; undefined when there is nothing to note. */
export function messageNotes(order: Pick<MappedOrder, 'procedures'>): MessageNotes | undefined {
  const derived = derivedValues(order);
  const total = order.procedures.reduce((n, p) => n + p.trace.filter((t) => t.derived).length, 0);
  const ignored = order.procedures.flatMap((p, i) => (p.nonImaging ? [{ item: i + 1, reason: cut(p.nonImaging.reason) }] : []));
  return derived.length || ignored.length ? { derived, derivedLeftOut: total - derived.length, ignored } : undefined;
}

/** One line per derived value, as `map`, `messages show` and the log print them. */
export function describeDerived(d: Pick<DerivedValue, 'attribute' | 'source' | 'value' | 'kind' | 'reason'>): string {
  return `${d.attribute} = ${JSON.stringify(d.value)} from ${d.source}${d.kind === 'lastResort' ? ' (last resort)' : ''}: ${d.reason}`;
}

function cut(text: string): string {
  const chars = Array.from(text);
  return chars.length > MAX_DERIVED_TEXT ? chars.slice(0, MAX_DERIVED_TEXT - 3).join('') + '...' : text;
}
