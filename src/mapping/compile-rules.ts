/**
 * Attribute rules compiled one by one (compile.ts runs them over a whole text): each target
 * attribute with its fallback chain (`from:`), converters, conditions, cases, last resorts and
 * `invalid:` policy. The parts that read the message (paths, templates, sources, transforms,
 * conditions) are compiled by compile-sources.ts. Every problem goes to ctx.fail with its node.
 */
import { isMap, isSeq, isScalar, type Node, type YAMLMap } from 'yaml';
import { lookupKeyword } from '../model/dictionary.js';
import { checkValue } from '../model/vr.js';
import { isConverterName } from './transforms.js';
import type { AttributeRule, Generator, InvalidValuePolicy, ValueRule } from './model.js';
import {
  checkKeys,
  compileConditions,
  compileSource,
  compileSteps,
  compileTemplate,
  firstField,
  stringList,
  scalarString,
  type CompileContext,
} from './compile-sources.js';

export { checkKeys, compilePath, scalarString, stringList, type CompileContext, type Fail } from './compile-sources.js';

const RULE_KEYS = ['from', 'as', 'transform', 'template', 'value', 'when', 'cases', 'default', 'generate', 'pairedWith', 'required', 'invalid'];
const INVALID_POLICIES = ['reject', 'clean', 'truncate', 'omit'];

/** The VRs each generator can fill: a UID, an ID (SH/LO/CS), the time of processing (DA/TM/DT). */
const GENERATOR_VRS: Record<Generator, readonly string[]> = { uid: ['UI'], id: ['SH', 'LO'], now: ['DA', 'TM', 'DT'] };

/** An `invalid:` list compiled; undefined when the entry has none (the sender's policy applies). */
export function compileInvalid(value: Node | null, ctx: CompileContext, what: string): InvalidValuePolicy | undefined {
  const policy: InvalidValuePolicy = { clean: false, truncate: false, omit: false };
  for (const p of stringList(value, ctx.fail, `${what} invalid`)) {
    if (!INVALID_POLICIES.includes(p)) ctx.fail(value, `${what}: invalid must be ${INVALID_POLICIES.join(', ')} (or a list of clean, truncate, omit)`);
    else if (p !== 'reject') policy[p as keyof InvalidValuePolicy] = true;
  }
  return policy;
}

export function compileAttributes(map: YAMLMap, ctx: CompileContext): AttributeRule[] {
  const rules: AttributeRule[] = [];
  for (const pair of map.items) {
    const keyNode = pair.key as Node;
    const keyword = isScalar(keyNode) ? String(keyNode.value) : '';
    const def = lookupKeyword(keyword);
    if (!def) {
      ctx.fail(keyNode, `"${keyword}" is not a DICOM keyword`, 'use the keyword from PS3.6, e.g. PatientID, AccessionNumber');
      continue;
    }
    const valueNode = pair.value as Node | null;
    if (def.vr === 'SQ') {
      const itemsNode = isMap(valueNode) && valueNode.has('items') ? (valueNode.get('items', true) as Node) : valueNode;
      const when = isMap(valueNode) && valueNode.has('when') ? compileConditions(valueNode.get('when', true) as Node, ctx, keyword) : [];
      if (isMap(valueNode)) checkKeys(valueNode, ['items', 'when'], `${keyword} option`, ctx.fail);
      if (!isSeq(itemsNode)) {
        ctx.fail(valueNode ?? keyNode, `${keyword} is a sequence: give a list of items`, `e.g. ${keyword}: [ { Modality: OBR-24 } ]`);
        continue;
      }
      const items: AttributeRule[][] = [];
      for (const item of itemsNode.items) {
        if (isMap(item)) items.push(compileAttributes(item, ctx));
        else ctx.fail(item as Node, `each item of ${keyword} must map keywords to fields`);
      }
      rules.push({ kind: 'sequence', keyword, tag: def.tag, line: ctx.lineOf(keyNode), when, items });
      continue;
    }
    const rule = compileValueRule(keyword, def.tag, def.vr, def.vm, valueNode, ctx, ctx.lineOf(keyNode));
    if (rule) rules.push(rule);
  }
  return rules;
}

function compileValueRule(keyword: string, tag: string, vr: string, vm: string, node: Node | null, ctx: CompileContext, line: number): ValueRule | undefined {
  const rule: ValueRule = {
    kind: 'value',
    keyword,
    tag,
    vr,
    vm,
    line,
    when: [],
    from: [],
    template: undefined,
    value: undefined,
    as: vr === 'PN' ? 'pn' : 'text',
    transform: [],
    cases: [],
    default: undefined,
    generate: undefined,
    pairedWith: undefined,
    required: false,
    invalid: undefined,
  };
  if (isScalar(node)) {
    const source = compileSource(node, ctx, keyword);
    if (source) rule.from.push(source);
    return rule;
  }
  if (!isMap(node)) {
    ctx.fail(node, `${keyword}: give a field path or a map of options (${RULE_KEYS.join(', ')})`);
    return undefined;
  }
  checkKeys(node, RULE_KEYS, `${keyword} option`, ctx.fail);
  for (const pair of node.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    const value = pair.value as Node | null;
    switch (key) {
      case 'from':
        for (const n of isSeq(value) ? (value.items as Node[]) : [value]) {
          const source = compileSource(n, ctx, keyword);
          if (source) rule.from.push(source);
        }
        break;
      case 'as': {
        const name = scalarString(value) ?? '';
        if (isConverterName(name)) rule.as = name;
        else ctx.fail(value, `${keyword}: unknown converter "${name}"`, 'use text, pn, xcn, date, time or datetime');
        break;
      }
      case 'transform':
        rule.transform = compileSteps(value, ctx, keyword);
        break;
      case 'template':
        rule.template = compileTemplate(value, ctx, keyword);
        break;
      case 'value':
        rule.value = scalarString(value) ?? '';
        break;
      case 'when':
        rule.when = compileConditions(value, ctx, keyword);
        break;
      case 'cases':
        if (!isSeq(value)) ctx.fail(value, `${keyword}: cases must be a list of rules, each with a "when"`);
        else {
          for (const c of value.items as Node[]) {
            const sub = compileValueRule(keyword, tag, vr, vm, c, ctx, ctx.lineOf(c));
            if (sub) rule.cases.push(sub);
          }
        }
        break;
      case 'default':
        rule.default = compileTemplate(value, ctx, keyword);
        break;
      case 'generate': {
        const g = scalarString(value) ?? '';
        if (g in GENERATOR_VRS && GENERATOR_VRS[g as Generator].includes(vr)) rule.generate = g as Generator;
        else
          ctx.fail(value, `${keyword}: generate "${g}" does not fit a ${vr} attribute`, 'uid for UI, id for SH/LO (order number and step), now for DA/TM/DT');
        break;
      }
      case 'pairedWith': {
        const other = scalarString(value) ?? '';
        if (lookupKeyword(other)) rule.pairedWith = other;
        else ctx.fail(value, `${keyword}: pairedWith "${other}" is not a DICOM keyword`, 'e.g. pairedWith: ScheduledProcedureStepStartDate');
        break;
      }
      case 'required':
        if (isScalar(value) && typeof value.value === 'boolean') rule.required = value.value;
        else ctx.fail(value, `${keyword}: required must be true or false`);
        break;
      case 'invalid':
        rule.invalid = compileInvalid(value, ctx, keyword);
        break;
    }
  }
  if (rule.value !== undefined && rule.value !== '') {
    // As the mapping stores it: a backslash separates values, or becomes / where only one is allowed.
    const values = vm === '1' || vr === 'PN' ? [rule.value.replace(/\\/g, '/')] : rule.value.split('\\');
    const broken = values.map((v) => checkValue(vr, v)).find(Boolean);
    if (broken) ctx.fail(node, `${keyword}: value "${rule.value}" is not a valid ${vr}: ${broken}`);
  }
  const sources = [rule.from.length > 0, rule.template !== undefined, rule.value !== undefined, rule.cases.length > 0].filter(Boolean).length;
  // A template or a fixed value is the rule's one source (its chain of one).
  if (rule.template && rule.from.length === 0)
    rule.from.push({ kind: 'template', parts: rule.template, label: 'template', location: firstField(rule.template)?.text, transform: [], when: [] });
  if (rule.value !== undefined && rule.from.length === 0)
    rule.from.push({ kind: 'template', parts: [rule.value], label: 'value', location: undefined, transform: [], when: [] });
  if (sources > 1) ctx.fail(node, `${keyword}: give only one of from, template, value and cases`);
  // (A from: whose sources were refused has been reported already.)
  if (sources === 0 && !node.has('from') && rule.default === undefined && !rule.generate)
    ctx.fail(node, `${keyword}: needs from, template, value, cases, default or generate`);
  if (rule.pairedWith && rule.from.length === 0) ctx.fail(node, `${keyword}: pairedWith needs a from list (the same sources as ${rule.pairedWith})`);
  return rule;
}
