/**
 * Evaluates a compiled mapping against a parsed message: Hl7Message -> MappedOrder (the worklist
 * item as DICOM JSON, the order control code, and a trace of where every value came from).
 * Pure: no I/O, so the same code serves the listener and `mwl-bridge map`.
 */
import { createHash } from 'node:crypto';
import { BridgeError } from '../errors.js';
import type { DicomJson, DicomJsonElement } from '../worklist/item.js';
import type { AttributeRule, Mapping, ValueRule } from './load.js';
import { messageHeader, unescapeHl7, type Hl7Message } from './message.js';
import { resolveRepetition, type FieldPath } from './path.js';
import { converters } from './transforms.js';

export interface TraceEntry {
  /** Keyword path, e.g. "ScheduledProcedureStepSequence[1].Modality". */
  attribute: string;
  /** The HL7 path the value came from, or "default" / "generated". */
  source: string;
  value: string;
}

export interface MappedOrder {
  mapping: string;
  /** ORC-1 as received (e.g. "NW"). */
  orderControl: string;
  item: DicomJson;
  trace: TraceEntry[];
}

export interface EvaluationContext {
  uidRoot: string;
}

export function evaluateMapping(mapping: Mapping, message: Hl7Message, ctx: EvaluationContext): MappedOrder {
  const header = messageHeader(message);
  const type = `${header.messageCode}^${header.triggerEvent}`;
  if (!mapping.messages.includes(type)) {
    throw new BridgeError('HL7_UNSUPPORTED_MESSAGE', `message type ${type || '(empty)'} is not handled`, {
      location: 'MSH-9',
      hint: `mapping "${mapping.name}" handles ${mapping.messages.join(', ')}`,
    });
  }
  const trace: TraceEntry[] = [];
  const orderControl = readPath(message, mapping.orderControl, 'text').toUpperCase();
  const item = evaluateRules(mapping.attributes, message, ctx, '', trace);
  return { mapping: mapping.name, orderControl, item, trace };
}

function evaluateRules(rules: AttributeRule[], message: Hl7Message, ctx: EvaluationContext, prefix: string, trace: TraceEntry[]): DicomJson {
  const dataset: DicomJson = {};
  for (const rule of rules) {
    const name = prefix + rule.keyword;
    if (rule.kind === 'sequence') {
      const items = rule.items.map((itemRules, i) => evaluateRules(itemRules, message, ctx, `${name}[${i + 1}].`, trace));
      dataset[rule.tag] = { vr: 'SQ', Value: items };
      continue;
    }
    const { value, source } = evaluateValue(rule, message, ctx);
    if (value === '') {
      if (rule.required) {
        const where = rule.from[0]?.text;
        throw new BridgeError('HL7_REQUIRED_FIELD_MISSING', `${name} is required but ${rule.from.map((p) => p.text).join(', ') || 'its source'} is empty`, {
          location: where,
          hint: 'send the field, or give the mapping entry a default',
        });
      }
      continue;
    }
    trace.push({ attribute: name, source, value });
    dataset[rule.tag] = dicomElement(rule.vr, value);
  }
  return dataset;
}

function evaluateValue(rule: ValueRule, message: Hl7Message, ctx: EvaluationContext): { value: string; source: string } {
  for (const path of rule.from) {
    const value = readPath(message, path, rule.as);
    if (value !== '') return { value, source: path.text };
  }
  if (rule.default !== undefined && rule.default !== '') return { value: rule.default, source: 'default' };
  if (rule.generateUid) return { value: deterministicUid(message, ctx.uidRoot), source: 'generated' };
  return { value: '', source: '' };
}

function readPath(message: Hl7Message, path: FieldPath, as: ValueRule['as']): string {
  const rep = resolveRepetition(message, path);
  if (!rep) return '';
  const decoded = rep.map((subs) => subs.map((s) => unescapeHl7(s, message.charset)));
  if (path.component !== undefined) {
    // A path to one component (or subcomponent) is a single value: convert it as its own first component.
    const comp = decoded[path.component - 1] ?? [];
    const picked = path.subcomponent !== undefined ? [comp[path.subcomponent - 1] ?? ''] : comp;
    return converters[as]([picked]);
  }
  return converters[as](decoded);
}

function dicomElement(vr: string, value: string): DicomJsonElement {
  if (vr === 'PN') return { vr, Value: [{ Alphabetic: value }] };
  return { vr, Value: [value] };
}

/**
 * A UID derived from the order's identity (sender, order numbers, accession, patient), so that a
 * resent order gets the same Study Instance UID. Under 2.25 it is a UUID-style 128-bit number.
 */
export function deterministicUid(message: Hl7Message, root: string): string {
  const h = messageHeader(message);
  const pick = (seg: string, field: number, comp = 1): string =>
    message.segments.find((s) => s.name === seg)?.fields[field]?.[0]?.[comp - 1]?.[0] ?? '';
  const identity = [h.sendingApplication, h.sendingFacility, pick('ORC', 2), pick('ORC', 3), pick('OBR', 18), pick('PID', 3)].join('|');
  const digest = BigInt('0x' + createHash('sha256').update(identity).digest('hex').slice(0, 32));
  // As many decimal digits of the 128-bit digest as fit in 64 characters after the root.
  const digits = Math.min(39, 64 - root.length - 1);
  const number = (digest % 10n ** BigInt(digits)).toString(10);
  return `${root}.${number}`;
}
