/**
 * HL7 field paths: SEG[occurrence]-field[repetition].component.subcomponent, all 1-based,
 * e.g. "PID-3.1", "PID-3[2].1", "OBR-4.2", "OBR[2]-18", "PID-5" (the whole first repetition).
 */
import { BridgeError } from '../errors.js';
import { findSegments, type Hl7Message } from './message.js';

export interface FieldPath {
  text: string;
  segment: string;
  occurrence: number;
  field: number;
  repetition: number;
  component: number | undefined;
  subcomponent: number | undefined;
}

const PATH = /^([A-Z][A-Z0-9]{2})(?:\[(\d+)\])?-(\d+)(?:\[(\d+)\])?(?:\.(\d+))?(?:\.(\d+))?$/;

export function parseFieldPath(text: string): FieldPath {
  const m = PATH.exec(text.trim());
  const positive = (s: string | undefined): boolean => s === undefined || Number(s) >= 1;
  if (!m || ![m[2], m[3], m[4], m[5], m[6]].every(positive)) {
    throw new BridgeError('MAPPING_INVALID', `"${text}" is not an HL7 field path`, {
      hint: 'write SEG-field[.component[.subcomponent]] with 1-based numbers, e.g. PID-3.1, PID-3[2].1, OBR[2]-18',
    });
  }
  return {
    text: text.trim(),
    segment: m[1]!,
    occurrence: m[2] ? Number(m[2]) : 1,
    field: Number(m[3]),
    repetition: m[4] ? Number(m[4]) : 1,
    component: m[5] ? Number(m[5]) : undefined,
    subcomponent: m[6] ? Number(m[6]) : undefined,
  };
}

/** The components (each a list of raw subcomponents) of the repetition a path points at. */
export function resolveRepetition(message: Hl7Message, path: FieldPath): string[][] | undefined {
  const segment = findSegments(message, path.segment)[path.occurrence - 1];
  return segment?.fields[path.field]?.[path.repetition - 1];
}
