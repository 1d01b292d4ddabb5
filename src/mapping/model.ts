/**
 * A compiled mapping (compile.ts makes it from a YAML text, evaluate.ts applies it to a message):
 * one rule per target attribute with its sources in order (a fallback chain), converters,
 * conditions, lookup tables, a last resort, and the sender's policies.
 */
import type { MessagePolicies } from '../model/order.js';
import type { FieldPath } from './path.js';
import type { Table } from './tables.js';
import type { ConverterName, TransformStep } from './transforms.js';

export interface Condition {
  path: FieldPath;
  test: { kind: 'equals'; values: string[] } | { kind: 'matches'; pattern: RegExp } | { kind: 'present'; present: boolean };
}

/**
 * Part of a template: literal text, an HL7 field, the value of an attribute mapped before it
 * (`{=Modality}`: in the same item, else the enclosing ones), or `{$step}` (the item's number in the message).
 */
export type TemplatePart = string | FieldPath | { ref: string } | { variable: 'step' };

interface SourceBase {
  /** How the source is shown in traces and derivation reasons: "OBR-24", "table procedures", ... */
  label: string;
  /** The first HL7 field the source reads (for ERR locations), if any. */
  location: string | undefined;
  /** Applied to this source's value before the rule's own transform. */
  transform: TransformStep[];
  /** The source is tried only when these hold. */
  when: Condition[];
}

/** One place a value may come from; a rule tries its sources in order. */
export type Source =
  | (SourceBase & { kind: 'field'; path: FieldPath; as: ConverterName | undefined })
  | (SourceBase & { kind: 'template'; parts: TemplatePart[] })
  | (SourceBase & {
      kind: 'lookup';
      /** A table of the mapping, or a table the bridge provides ($callingAeTitles). */
      table: string;
      /** Keys tried in order (e.g. "{OBR-4.1}^{OBR-4.3}", then "{OBR-4.1}"); the first the table knows wins. */
      keys: TemplatePart[][];
      column: string;
      /** skip: try the next source; reject: the order is refused (AE) naming the code. */
      otherwise: 'skip' | 'reject';
    });

/** Last resorts a rule may generate when no source gave a value. */
export type Generator = 'uid' | 'id' | 'now';

export interface ValueRule {
  kind: 'value';
  keyword: string;
  tag: string;
  vr: string;
  /** Value multiplicity from the dictionary ("1", "1-n"...). */
  vm: string;
  line: number;
  when: Condition[];
  /** Tried in order; the first that gives a valid value wins (an empty or invalid one falls through). */
  from: Source[];
  template: TemplatePart[] | undefined;
  value: string | undefined;
  as: ConverterName;
  transform: TransformStep[];
  /** Alternative rules, each with its own `when`: the first that yields a value wins. */
  cases: ValueRule[];
  default: TemplatePart[] | undefined;
  generate: Generator | undefined;
  /** Read from the source that gave this other attribute of the same item (a start time from the start date's field). */
  pairedWith: string | undefined;
  required: boolean;
  /** What happens to a value its VR does not allow (`invalid:`); undefined: the sender's policy (by default reject). */
  invalid: InvalidValuePolicy | undefined;
}

/**
 * `invalid:` in a mapping entry: clean (control characters become spaces), truncate (a value over
 * its VR's length is cut), omit (a value still invalid is left out); with none of these (or
 * `reject`), an invalid value falls through to the next source, and when none is left rejects the
 * message (AE naming the field, the value and the rule).
 */
export interface InvalidValuePolicy {
  clean: boolean;
  truncate: boolean;
  omit: boolean;
}

export interface SequenceRule {
  kind: 'sequence';
  keyword: string;
  tag: string;
  line: number;
  when: Condition[];
  items: AttributeRule[][];
}

export type AttributeRule = ValueRule | SequenceRule;

export interface AppliesTo {
  /** "ORM^O01" style message code^trigger event pairs. */
  messages: string[];
  sendingApplications: string[];
  sendingFacilities: string[];
  versions: string[];
}

/** What makes an order group a non-imaging order (a HIS that sends every order to every interface). */
export interface NonImagingRule {
  /** Keywords (top level or in the scheduled step) that an imaging order has a value for, e.g. Modality. */
  ifMissing: string[];
  /** Any one of these conditions makes the group non-imaging, e.g. OBR-24 in [LAB, HM, CH]. */
  anyOf: Condition[];
  /** The rule applies only when one of these fields has a value (an order that names no procedure at all is a broken order, not another kind). */
  ifPresent: FieldPath[];
}

/** The policies a mapping sets for its senders (its `policies:`), and the default `invalid:` for its entries. */
export interface MappingPolicies extends Partial<MessagePolicies> {
  invalid?: InvalidValuePolicy;
}

export interface Mapping {
  name: string;
  file: string;
  description: string;
  appliesTo: AppliesTo;
  orderControl: FieldPath;
  orderStatus: FieldPath | undefined;
  /** For patient merges (ADT^A40): where the merged (old) patient ID is, e.g. MRG-1.1. */
  mergePatientId: FieldPath | undefined;
  /** The segment each worklist item is made for: one item per ORC (default) or per IPC (an order group without one gives one item). */
  itemPer: string;
  policies: MappingPolicies;
  nonImaging: NonImagingRule | undefined;
  tables: ReadonlyMap<string, Table>;
  attributes: AttributeRule[];
  /** A profile: the mapping whose rules it uses (its own appliesTo, policies, nonImaging and tables over them). */
  extends?: string;
}
