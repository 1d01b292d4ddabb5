/**
 * An order as a mapping makes it from an HL7 message, and as the order lifecycle (worklist/)
 * applies it: one worklist item per requested procedure / scheduled step, each with its order
 * control code and a trace of where every value came from.
 */
import type { BridgeError } from '../errors.js';
import type { DicomJson } from './item.js';

export interface TraceEntry {
  /** Keyword path, e.g. "ScheduledProcedureStepSequence[1].Modality". */
  attribute: string;
  /** The HL7 path the value came from, or "template", "value", "default", "generated". */
  source: string;
  value: string;
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
   * Set when the item lacks a DICOM type-1 attribute and the mapping says type1: reject. The order
   * lifecycle raises it when the item is to be stored (NW, XO), not for cancels or status changes.
   */
  type1Problem?: BridgeError;
  /**
   * The first value its VR does not allow (and the mapping's `invalid:` policy did not fix). Raised,
   * like type1Problem, only when the item is to be stored.
   */
  valueProblem?: BridgeError;
  /** Values the mapping's `invalid:` policy cleaned, truncated or left out (to be logged). */
  adjustments: ValueAdjustment[];
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
}
