/**
 * Evaluates a compiled mapping against a parsed message: Hl7Message -> MappedOrder, one worklist
 * item (DICOM JSON) per order group (per ORC, or per IPC), each with its order control code and a
 * trace of where every value came from. Pure: no I/O, so the listener and `mwl-bridge map` share it.
 */
import type { MappedOrder, MappedProcedure, TraceEntry, ValueAdjustment } from '../model/order.js';
import { BridgeError } from '../errors.js';
import { Hl7Error } from '../model/hl7-error.js';
import { elementStrings, type DicomJson, type DicomJsonElement } from '../model/item.js';
import { checkElement, maxChars } from '../model/vr.js';
import type { AttributeRule, Condition, Mapping, TemplatePart, ValueRule } from './model.js';
import { messageHeader, unescapeHl7, type Hl7Message } from './message.js';
import { resolveRepetition, type FieldPath, type GroupScope } from './path.js';
import { applySteps, converters, type ConverterName } from './transforms.js';
import { deterministicUid, dicomElement, mapText, shorten, type1Problem } from './evaluate-values.js';

export interface EvaluationContext {
  uidRoot: string;
}

export function evaluateMapping(mapping: Mapping, message: Hl7Message, ctx: EvaluationContext): MappedOrder {
  const header = messageHeader(message);
  const messageType = `${header.messageCode}^${header.triggerEvent}`;
  if (!mapping.appliesTo.messages.includes(messageType)) {
    throw new Hl7Error('HL7_UNSUPPORTED_MESSAGE', `message type ${messageType} is not handled`, {
      location: 'MSH-9',
      hint: `mapping "${mapping.name}" handles ${mapping.appliesTo.messages.join(', ')}`,
    });
  }
  const scopes = orderGroups(message, mapping.itemPer);
  if (scopes.length === 0) {
    throw new Hl7Error('HL7_REQUIRED_FIELD_MISSING', `the message has no ${mapping.itemPer} segment`, {
      location: mapping.itemPer,
      hint: `mapping "${mapping.name}" makes one worklist item per ${mapping.itemPer}`,
    });
  }
  const procedures = scopes.map((scope, i) => {
    const ev = new Evaluator(message, scope, ctx, scopes.length > 1 ? i : undefined);
    const procedure: MappedProcedure = {
      orderControl: ev.read(mapping.orderControl, 'text').toUpperCase(),
      orderStatus: mapping.orderStatus ? ev.read(mapping.orderStatus, 'text').toUpperCase() : '',
      mergedPatientId: mapping.mergePatientId ? ev.read(mapping.mergePatientId, 'text') : '',
      item: ev.rules(mapping.attributes, ''),
      trace: ev.trace,
      adjustments: ev.adjustments,
      ...(ev.valueProblem ? { valueProblem: ev.valueProblem } : {}),
    };
    const problem = mapping.type1 === 'reject' ? type1Problem(mapping, procedure.item, i, scopes.length) : undefined;
    return problem ? { ...procedure, type1Problem: problem } : procedure;
  });
  return { mapping: mapping.name, messageType, procedures };
}

/**
 * The order groups of a message: one scope per anchor segment (ORC or IPC), spanning the segments
 * from the ORC at or before it to the next ORC. Patient messages (anchor PID) group by PID: each
 * PID with the MRG and other segments after it.
 */
export function orderGroups(message: Hl7Message, anchor: string): GroupScope[] {
  const boundary = anchor === 'PID' ? 'PID' : 'ORC';
  const orcs = message.segments.flatMap((s, i) => (s.name === boundary ? [i] : []));
  return message.segments.flatMap((s, i) => {
    if (s.name !== anchor) return [];
    const start = [...orcs].reverse().find((o) => o <= i) ?? 0;
    const end = orcs.find((o) => o > i) ?? message.segments.length;
    return [{ anchor: i, start, end }];
  });
}

class Evaluator {
  readonly trace: TraceEntry[] = [];
  readonly adjustments: ValueAdjustment[] = [];
  valueProblem: BridgeError | undefined;

  constructor(
    private readonly message: Hl7Message,
    private readonly scope: GroupScope,
    private readonly ctx: EvaluationContext,
    private readonly groupIndex: number | undefined,
  ) {}

  rules(rules: AttributeRule[], prefix: string): DicomJson {
    const dataset: DicomJson = {};
    for (const rule of rules) {
      if (!this.holds(rule.when)) continue;
      const name = prefix + rule.keyword;
      if (rule.kind === 'sequence') {
        dataset[rule.tag] = { vr: 'SQ', Value: rule.items.map((itemRules, i) => this.rules(itemRules, `${name}[${i + 1}].`)) };
        continue;
      }
      const { value, source } = this.value(rule);
      if (value === '') {
        if (rule.required) {
          const from = rule.from.map((p) => p.text).join(', ');
          throw new Hl7Error('HL7_REQUIRED_FIELD_MISSING', `${name} is required but ${from || 'its source'} is empty${this.groupLabel()}`, {
            location: rule.from[0]?.text,
            hint: 'send the field, or give the mapping entry a default',
          });
        }
        continue;
      }
      const element = this.checked(rule, name, source, dicomElement(rule.vr, rule.vm, value));
      if (!element) continue;
      dataset[rule.tag] = element;
      // The trace shows the value as stored (after DICOM value rules), not as read.
      this.trace.push({ attribute: name, source, value: elementStrings(element).join('\\') });
    }
    return dataset;
  }

  /**
   * The element as its VR allows it: valid as it is, or fixed by the rule's `invalid:` policy (clean,
   * truncate), or undefined when the policy omits it. Otherwise the first such problem is kept (the
   * message is rejected if the item is to be stored) and the element returned as it is.
   */
  private checked(rule: ValueRule, name: string, source: string, element: DicomJsonElement): DicomJsonElement | undefined {
    const problem = checkElement(rule.vr, rule.vm, element);
    if (!problem) return element;
    const adjust = (action: ValueAdjustment['action']): void => {
      this.adjustments.push({ attribute: name, source, action, value: problem.value, rule: problem.rule });
    };
    let fixed = element;
    const actions: ValueAdjustment['action'][] = [];
    if (rule.invalid.clean) {
      fixed = mapText(fixed, (v) => v.replace(/\p{Cc}+/gu, ' ').trim());
      actions.push('cleaned');
    }
    const max = maxChars(rule.vr);
    if (rule.invalid.truncate && max !== undefined) {
      // By characters (code points): a surrogate pair is not cut in half.
      fixed = mapText(fixed, (v) => Array.from(v).slice(0, max).join('').trimEnd());
      actions.push('truncated');
    }
    if (actions.length > 0 && !checkElement(rule.vr, rule.vm, fixed)) {
      actions.forEach(adjust);
      return fixed;
    }
    if (rule.invalid.omit) {
      adjust('omitted');
      return undefined;
    }
    // Field, value and rule first: MSA-3 of an ACK shows 80 characters (ERR-8 of v2.5 ACKs and the log, all).
    const where = /^[A-Z][A-Z0-9]{2}-/.test(source) ? source : rule.from[0]?.text;
    this.valueProblem ??= new Hl7Error(
      'HL7_INVALID_VALUE',
      `${where ?? source} ${JSON.stringify(shorten(problem.value))}: ${problem.rule} (${rule.keyword}${this.groupLabel()})`,
      {
        location: where,
        hint: `correct the value in the sender, or give ${rule.keyword} an invalid: policy (clean, truncate, omit) in the mapping`,
      },
    );
    return element;
  }

  read(path: FieldPath, as: ConverterName): string {
    const rep = resolveRepetition(this.message, path, this.scope);
    if (!rep) return '';
    let decoded: string[][];
    try {
      decoded = rep.map((subs) => subs.map((s) => unescapeHl7(s, this.message.charset)));
    } catch (err) {
      if (err instanceof Hl7Error && !err.location) throw new Hl7Error(err.code, err.message, { location: path.text, ...(err.hint ? { hint: err.hint } : {}) });
      throw err;
    }
    if (path.component !== undefined) {
      // A path to one component (or subcomponent) is one value: convert it as its own first component.
      const comp = decoded[path.component - 1] ?? [];
      return converters[as]([path.subcomponent !== undefined ? [comp[path.subcomponent - 1] ?? ''] : comp]);
    }
    return converters[as](decoded);
  }

  private value(rule: ValueRule): { value: string; source: string } {
    if (!this.holds(rule.when)) return { value: '', source: '' };
    let found = { value: '', source: '' };
    for (const path of rule.from) {
      const v = this.read(path, rule.as);
      if (v !== '') {
        found = { value: v, source: path.text };
        break;
      }
    }
    if (rule.template) found = { value: this.render(rule.template), source: 'template' };
    if (rule.value !== undefined) found = { value: rule.value, source: 'value' };
    for (const c of rule.cases) {
      if (found.value !== '') break;
      found = this.value(c);
    }
    if (found.value !== '' && rule.transform.length > 0) found = { ...found, value: applySteps(found.value, rule.transform) };
    if (found.value === '' && rule.default) found = { value: this.render(rule.default), source: 'default' };
    if (found.value === '' && rule.generateUid) found = { value: deterministicUid(this.message, this.scope, this.ctx.uidRoot), source: 'generated' };
    return found;
  }

  /** Renders a template; '' when it has field placeholders and all of them are empty. */
  private render(parts: TemplatePart[]): string {
    let anyField = false;
    let anyValue = false;
    let text = '';
    for (const p of parts) {
      if (typeof p === 'string') {
        text += p;
        continue;
      }
      anyField = true;
      const v = this.read(p, 'text');
      if (v !== '') anyValue = true;
      text += v;
    }
    return anyField && !anyValue ? '' : text;
  }

  private holds(conditions: Condition[]): boolean {
    return conditions.every((c) => {
      const v = this.read(c.path, 'text');
      switch (c.test.kind) {
        case 'equals':
          return c.test.values.includes(v);
        case 'matches':
          return c.test.pattern.test(v);
        case 'present':
          return (v !== '') === c.test.present;
      }
    });
  }

  private groupLabel(): string {
    return this.groupIndex === undefined ? '' : ` (order group ${this.groupIndex + 1})`;
  }
}
