/**
 * Evaluates a compiled mapping against a parsed message: Hl7Message -> MappedOrder, one worklist
 * item (DICOM JSON) per order group (per ORC, or per IPC), each with its order control code, a
 * trace of where every value came from (derived values marked, with why: evaluate-chain.ts), and
 * whether the mapping's nonImaging rule holds for it. Pure: no I/O, so the listener and
 * `mwl-bridge map` share it.
 */
import type { MappedOrder, MappedProcedure, MessagePolicies, NonImaging, TraceEntry, ValueAdjustment } from '../model/order.js';
import type { BridgeError } from '../errors.js';
import { Hl7Error } from '../model/hl7-error.js';
import { elementStrings, type DicomJson, type DicomJsonElement } from '../model/item.js';
import type { AttributeRule, Condition, Generator, Mapping, TemplatePart, ValueRule } from './model.js';
import { messageHeader, unescapeHl7, type Hl7Message } from './message.js';
import { resolveRepetition, type FieldPath, type GroupScope } from './path.js';
import { converters, type ConverterName } from './transforms.js';
import { deterministicUid, generatedId, nowAs, shorten, type1Problem } from './evaluate-values.js';
import { isResolved, resolveChain, type ChainReader, type Chosen, type Resolved } from './evaluate-chain.js';
import { effectivePolicies } from './policies.js';
import type { Table } from './tables.js';

export interface EvaluationContext {
  uidRoot: string;
  /** The policies the settings give every sender; the mapping's `policies:` override them. */
  policies?: Partial<MessagePolicies>;
  /** Tables the bridge builds at run time, e.g. $callingAeTitles (modality -> AE titles). */
  runtimeTables?: ReadonlyMap<string, Table>;
  /** The time of processing, for `generate: now` (default: the current time). */
  now?: Date;
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
  const policies = effectivePolicies(ctx.policies, mapping.policies);
  const scopes = orderGroups(message, mapping.itemPer);
  if (scopes.length === 0) {
    throw new Hl7Error('HL7_REQUIRED_FIELD_MISSING', `the message has no ${mapping.itemPer === 'IPC' ? 'ORC, OBR or IPC' : mapping.itemPer} segment`, {
      location: mapping.itemPer,
      hint: `mapping "${mapping.name}" makes one worklist item per ${mapping.itemPer}`,
    });
  }
  const procedures = scopes.map((scope, i) => {
    const ev = new Evaluator(message, scope, ctx, mapping, policies, scopes.length > 1 ? i : undefined);
    const item = ev.rules(mapping.attributes, '');
    const nonImaging = ev.nonImaging();
    const procedure: MappedProcedure = {
      orderControl: ev.read(mapping.orderControl, 'text').toUpperCase(),
      orderStatus: mapping.orderStatus ? ev.read(mapping.orderStatus, 'text').toUpperCase() : '',
      mergedPatientId: mapping.mergePatientId ? ev.read(mapping.mergePatientId, 'text') : '',
      item,
      trace: ev.trace,
      adjustments: ev.adjustments,
      ...(ev.valueProblem ? { valueProblem: ev.valueProblem } : {}),
      ...(nonImaging ? { nonImaging } : {}),
    };
    const problem = policies.type1 === 'reject' ? type1Problem(mapping, procedure.item, i, scopes.length) : undefined;
    return problem ? { ...procedure, type1Problem: problem } : procedure;
  });
  return { mapping: mapping.name, messageType, procedures, policies };
}

/**
 * The order groups of a message: one scope per anchor segment (ORC or IPC), spanning the segments
 * from the ORC at or before it to the next ORC. With IPC anchors, an order group without any IPC
 * (an OMI^O23 as many RIS send it) is one item anchored at its ORC. A message without ORC (some
 * v2.2 / v2.3 senders) groups by OBR. Patient messages (anchor PID) group by PID: each PID with
 * the MRG and other segments after it.
 */
export function orderGroups(message: Hl7Message, anchor: string): GroupScope[] {
  const names = message.segments.map((s) => s.name);
  const boundary = anchor === 'PID' ? 'PID' : names.includes('ORC') || !names.includes('OBR') ? 'ORC' : 'OBR';
  const orcs = names.flatMap((n, i) => (n === boundary ? [i] : []));
  const groupOf = (i: number): GroupScope => ({
    anchor: i,
    start: [...orcs].reverse().find((o) => o <= i) ?? 0,
    end: orcs.find((o) => o > i) ?? names.length,
  });
  const anchors = names.flatMap((n, i) => (n === anchor || (anchor === 'ORC' && boundary === 'OBR' && n === 'OBR') ? [i] : []));
  if (anchor === 'ORC' && boundary === 'ORC') return anchors.flatMap((i) => perObr(names, groupOf(i)));
  if (anchor !== 'IPC') return anchors.map(groupOf);
  // IPC: each IPC, and each order group (ORC, or OBR without ORC) that has none.
  const withIpc = new Set(anchors.map((i) => groupOf(i).start));
  const bare = orcs.filter((o) => !withIpc.has(o) && names.slice(o, orcs.find((x) => x > o) ?? names.length).includes('OBR'));
  return [...anchors, ...bare].sort((a, b) => a - b).map(groupOf);
}

/**
 * An ORC group with several OBR (ORC OBR OBR, as some v2.2 / v2.3 senders write one order with
 * several procedures): one item per OBR, each reading its own OBR and the segments after it, and
 * the group's ORC. A group with one OBR (or none) is one item.
 */
function perObr(names: readonly string[], group: GroupScope): GroupScope[] {
  const obrs = names.slice(group.start, group.end).flatMap((n, k) => (n === 'OBR' ? [group.start + k] : []));
  if (obrs.length < 2) return [group];
  return obrs.map((o, k) => ({ anchor: o, start: o, end: obrs[k + 1] ?? group.end, context: group.start }));
}

class Evaluator implements ChainReader {
  readonly trace: TraceEntry[] = [];
  readonly adjustments: ValueAdjustment[] = [];
  valueProblem: BridgeError | undefined;
  /** Values mapped so far in this item ({=Keyword} references) and how each was found (pairedWith). */
  private readonly values = new Map<string, { value: string; chosen: Chosen }>();
  /** Why an attribute got no value, for the nonImaging reason. */
  private readonly missing = new Map<string, { reasons: string[]; location: string | undefined }>();
  readonly invalid: Mapping['policies']['invalid'];

  constructor(
    private readonly message: Hl7Message,
    private readonly scope: GroupScope,
    private readonly ctx: EvaluationContext,
    private readonly mapping: Mapping,
    readonly policies: MessagePolicies,
    private readonly groupIndex: number | undefined,
  ) {
    this.invalid = mapping.policies.invalid;
  }

  rules(rules: AttributeRule[], prefix: string): DicomJson {
    const dataset: DicomJson = {};
    for (const rule of rules) {
      if (!this.holds(rule.when)) continue;
      const name = prefix + rule.keyword;
      if (rule.kind === 'sequence') {
        dataset[rule.tag] = { vr: 'SQ', Value: rule.items.map((itemRules, i) => this.rules(itemRules, `${name}[${i + 1}].`)) };
        continue;
      }
      const found = this.resolve(rule);
      if (!found) {
        if (rule.required) {
          const from = rule.from.map((s) => s.label).join(', ');
          throw new Hl7Error('HL7_REQUIRED_FIELD_MISSING', `${name} is required but ${from || 'its source'} is empty${this.groupLabel()}`, {
            location: rule.from[0]?.location,
            hint: 'send the field, or give the mapping entry a default',
          });
        }
        continue;
      }
      const element = this.accepted(rule, name, found);
      if (!element) continue;
      dataset[rule.tag] = element;
      const value = elementStrings(element).join('\\');
      this.values.set(rule.keyword, { value, chosen: found.chosen });
      // The trace shows the value as stored (after DICOM value rules), not as read.
      this.trace.push({ attribute: name, source: found.source, value, ...(found.derived ? { derived: found.derived } : {}) });
    }
    return dataset;
  }

  /** The rule's value: the first of its cases that yields one, else its own chain. */
  private resolve(rule: ValueRule): Resolved | undefined {
    if (!this.holds(rule.when)) return undefined;
    for (const c of rule.cases) {
      const found = this.resolve(c);
      if (found) return found;
    }
    const result = resolveChain(rule, this);
    if (isResolved(result)) return result;
    if (result.unknownCode && !this.valueProblem) {
      const { table, code, location } = result.unknownCode;
      this.valueProblem = new Hl7Error(
        'HL7_UNKNOWN_CODE',
        `${location ?? 'code'} "${shorten(code)}" is not in table ${table} (${rule.keyword}${this.groupLabel()})`,
        {
          location,
          hint: `add "${code}" to table ${table} in ${this.mapping.file}, or give the lookup otherwise: skip and a default`,
        },
      );
    }
    if (!this.missing.has(rule.keyword)) this.missing.set(rule.keyword, { reasons: result.reasons, location: rule.from[0]?.location });
    return undefined;
  }

  /**
   * The element to store: as found (fixes by the invalid: policy logged as adjustments), left out
   * when no source gave a valid value and the policy omits it, else kept with the problem recorded
   * (the message is rejected if the item is to be stored).
   */
  private accepted(rule: ValueRule, name: string, found: Resolved): DicomJsonElement | undefined {
    const adjust = (action: ValueAdjustment['action'], value: string, why: string): void => {
      this.adjustments.push({ attribute: name, source: found.source, action, value, rule: why });
    };
    if (found.fixed) for (const action of found.fixed.actions) adjust(action, found.fixed.value, found.fixed.rule);
    const problem = found.problem;
    if (!problem) return found.element;
    if ((rule.invalid ?? this.invalid)?.omit) {
      adjust('omitted', problem.value, problem.rule);
      return undefined;
    }
    // Field, value and rule first: MSA-3 of an ACK shows 80 characters (ERR-8 of v2.5 ACKs and the log, all).
    const where = problem.location ?? rule.from[0]?.location;
    this.valueProblem ??= new Hl7Error(
      'HL7_INVALID_VALUE',
      `${where ?? problem.source} ${JSON.stringify(shorten(problem.value))}: ${problem.rule} (${rule.keyword}${this.groupLabel()})`,
      {
        location: where,
        hint: `correct the value in the sender, give ${rule.keyword} a later source, or an invalid: policy (clean, truncate, omit) in the mapping`,
      },
    );
    return found.element;
  }

  /** Set when the mapping's nonImaging rule holds: an attribute it needs has no value, or one of its conditions holds. */
  nonImaging(): NonImaging | undefined {
    const rule = this.mapping.nonImaging;
    if (!rule) return undefined;
    if (rule.ifPresent.length > 0 && rule.ifPresent.every((p) => this.read(p, 'text') === '')) return undefined;
    for (const keyword of rule.ifMissing) {
      if (this.values.has(keyword)) continue;
      const why = this.missing.get(keyword);
      return { reason: `no ${keyword} could be derived${why?.reasons.length ? ` (${why.reasons.join('; ')})` : ''}`, location: why?.location };
    }
    const hit = rule.anyOf.find((c) => this.holds([c]));
    return hit ? { reason: `${hit.path.text} is ${JSON.stringify(shorten(this.read(hit.path, 'text')))}`, location: hit.path.text } : undefined;
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

  /** Renders a template; '' when it has placeholders and all of them are empty. */
  render(parts: readonly TemplatePart[]): string {
    let anyPlaceholder = false;
    let anyValue = false;
    let text = '';
    for (const p of parts) {
      if (typeof p === 'string') {
        text += p;
        continue;
      }
      anyPlaceholder = true;
      const v = 'ref' in p ? (this.values.get(p.ref)?.value ?? '') : 'variable' in p ? String((this.groupIndex ?? 0) + 1) : this.read(p, 'text');
      if (v !== '') anyValue = true;
      text += v;
    }
    return anyPlaceholder && !anyValue ? '' : text;
  }

  holds(conditions: readonly Condition[]): boolean {
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

  table(name: string): Table | undefined {
    return this.mapping.tables.get(name) ?? this.ctx.runtimeTables?.get(name);
  }

  chosen(keyword: string): Chosen | undefined {
    return this.values.get(keyword)?.chosen;
  }

  generate(generator: Generator, rule: ValueRule): string {
    switch (generator) {
      case 'uid':
        return deterministicUid(this.message, this.scope, this.ctx.uidRoot);
      case 'id':
        return generatedId(this.message, this.scope, (this.groupIndex ?? 0) + 1, rule.vr);
      case 'now':
        return nowAs(this.ctx.now ?? new Date(), rule.vr);
    }
  }

  private groupLabel(): string {
    return this.groupIndex === undefined ? '' : ` (order group ${this.groupIndex + 1})`;
  }
}
