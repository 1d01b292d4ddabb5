/**
 * A compiled mapping (compile.ts makes it from a YAML text, evaluate.ts applies it to a message):
 * one rule per target attribute, its sources in order, converters, conditions and defaults.
 */
import type { FieldPath } from './path.js';
import type { ConverterName, TransformStep } from './transforms.js';

export interface Condition {
  path: FieldPath;
  test: { kind: 'equals'; values: string[] } | { kind: 'matches'; pattern: RegExp } | { kind: 'present'; present: boolean };
}

export type TemplatePart = string | FieldPath;

export interface ValueRule {
  kind: 'value';
  keyword: string;
  tag: string;
  vr: string;
  /** Value multiplicity from the dictionary ("1", "1-n"...). */
  vm: string;
  line: number;
  when: Condition[];
  /** Tried in order; the first non-empty value wins. */
  from: FieldPath[];
  template: TemplatePart[] | undefined;
  value: string | undefined;
  as: ConverterName;
  transform: TransformStep[];
  /** Alternative rules, each with its own `when`: the first that yields a value wins. */
  cases: ValueRule[];
  default: TemplatePart[] | undefined;
  generateUid: boolean;
  required: boolean;
  /** What happens to a value its VR does not allow (`invalid:`); by default it is rejected. */
  invalid: InvalidValuePolicy;
}

/**
 * `invalid:` in a mapping entry: clean (control characters become spaces), truncate (a value over
 * its VR's length is cut), omit (a value still invalid is left out); with none of these (or
 * `reject`), an invalid value rejects the message (AE naming the field, the value and the rule).
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

export interface Mapping {
  name: string;
  file: string;
  description: string;
  appliesTo: AppliesTo;
  orderControl: FieldPath;
  orderStatus: FieldPath | undefined;
  /** For patient merges (ADT^A40): where the merged (old) patient ID is, e.g. MRG-1.1. */
  mergePatientId: FieldPath | undefined;
  /** The segment each worklist item is made for: one item per ORC (default) or per IPC. */
  itemPer: string;
  /** What happens when a DICOM type-1 attribute ends up without a value. */
  type1: 'reject' | 'accept';
  attributes: AttributeRule[];
}
