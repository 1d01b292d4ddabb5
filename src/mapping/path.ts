/**
 * HL7 field paths: SEG[occurrence]-field[repetition].component.subcomponent, 1-based, e.g.
 *   PID-3.1        first component of the first repetition of PID-3
 *   PID-3[2].1     second repetition
 *   PID-3[5=MR].1  the repetition whose component 5 is "MR" (e.g. the medical record number)
 *   OBR[2]-18      the second OBR of the message (without [n]: the OBR of the current order group)
 *   PID-5          the whole first repetition (all components, for converters such as pn)
 */
import { BridgeError } from '../errors.js';
import { unescapeHl7, type Hl7Message, type Hl7Segment } from './message.js';

export type RepetitionSelector = { index: number } | { component: number; equals: string };

export interface FieldPath {
  text: string;
  segment: string;
  /** Set when the path names an occurrence ([n]) explicitly: then it is counted in the whole message. */
  occurrence: number | undefined;
  field: number;
  repetition: RepetitionSelector;
  component: number | undefined;
  subcomponent: number | undefined;
}

const PATH = /^([A-Z][A-Z0-9]{2})(?:\[(\d+)\])?-(\d+)(?:\[(?:(\d+)|(\d+)=([^\]]*))\])?(?:\.(\d+))?(?:\.(\d+))?$/;

export function parseFieldPath(text: string): FieldPath {
  const t = text.trim();
  const m = PATH.exec(t);
  const positive = (s: string | undefined): boolean => s === undefined || Number(s) >= 1;
  const segment = m?.[1];
  if (!m || segment === undefined || ![m[2], m[3], m[4], m[5], m[7], m[8]].every(positive)) {
    throw new BridgeError('MAPPING_INVALID', `"${text}" is not an HL7 field path`, {
      hint: 'write SEG-field[.component[.subcomponent]] with 1-based numbers, e.g. PID-3.1, PID-3[2].1, PID-3[5=MR].1, OBR[2]-18',
    });
  }
  return {
    text: t,
    segment,
    occurrence: m[2] ? Number(m[2]) : undefined,
    field: Number(m[3]),
    // Group 6 (the value after "=", possibly empty) takes part whenever group 5 does.
    repetition: m[5] ? { component: Number(m[5]), equals: m[6] ?? '' } : { index: m[4] ? Number(m[4]) : 1 },
    component: m[7] ? Number(m[7]) : undefined,
    subcomponent: m[8] ? Number(m[8]) : undefined,
  };
}

/**
 * Where paths without an explicit occurrence look for their segment: an order group (the segments
 * from one ORC to the next) with an anchor segment (the one each worklist item is made for).
 */
export interface GroupScope {
  /** Index in message.segments of the segment this item is made for (e.g. its ORC or IPC). */
  anchor: number | undefined;
  /** [start, end) indexes of the order group around the anchor. */
  start: number;
  end: number;
  /** An OBR's item in an order group with several OBR: the group's ORC (before start), read for ORC paths. */
  context?: number;
}

export const WHOLE_MESSAGE: GroupScope = { anchor: undefined, start: 0, end: Number.MAX_SAFE_INTEGER };

export function resolveSegment(message: Hl7Message, path: FieldPath, scope: GroupScope): Hl7Segment | undefined {
  const segments = message.segments;
  if (path.occurrence !== undefined) return segments.filter((s) => s.name === path.segment)[path.occurrence - 1];
  if (scope.anchor !== undefined && segments[scope.anchor]?.name === path.segment) return segments[scope.anchor];
  for (let i = scope.start; i < Math.min(scope.end, segments.length); i++) {
    const segment = segments[i];
    if (segment?.name === path.segment) return segment;
  }
  if (scope.context !== undefined && segments[scope.context]?.name === path.segment) return segments[scope.context];
  return segments.find((s) => s.name === path.segment);
}

/** The components (each a list of raw subcomponents) of the repetition a path points at. */
export function resolveRepetition(message: Hl7Message, path: FieldPath, scope: GroupScope = WHOLE_MESSAGE): string[][] | undefined {
  const field = resolveSegment(message, path, scope)?.fields[path.field];
  if (!field) return undefined;
  const selector = path.repetition;
  if ('index' in selector) return field[selector.index - 1];
  return field.find((rep) => unescapeHl7(rep[selector.component - 1]?.[0] ?? '', message.charset).trim() === selector.equals);
}
