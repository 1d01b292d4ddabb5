/**
 * The parts of a mapping text compiled one by one (compile.ts runs them over a whole text): value
 * tables, attribute rules with their sources, templates, converters and conditions. Every problem
 * goes to ctx.fail with the node it is about, so that the line is reported.
 */
import { isMap, isSeq, isScalar, type Node, type YAMLMap } from 'yaml';
import { BridgeError, errorMessage } from '../errors.js';
import { lookupKeyword } from '../model/dictionary.js';
import { checkValue } from '../model/vr.js';
import { parseFieldPath, type FieldPath } from './path.js';
import { checkSegmentField } from './segments.js';
import { isConverterName, type TransformStep } from './transforms.js';
import type { AttributeRule, Condition, InvalidValuePolicy, TemplatePart, ValueRule } from './model.js';

export type Fail = (node: Node | null | undefined, message: string, hint?: string) => void;

const RULE_KEYS = ['from', 'as', 'transform', 'template', 'value', 'when', 'cases', 'default', 'generate', 'required', 'invalid'];
const INVALID_POLICIES = ['reject', 'clean', 'truncate', 'omit'];
const CONDITION_KEYS = ['field', 'equals', 'in', 'matches', 'present'];

export interface CompileContext {
  fail: Fail;
  lineOf: (node: Node | null | undefined) => number;
  tables: Map<string, Map<string, string>>;
}

export function compileTables(node: Node | undefined, fail: Fail): Map<string, Map<string, string>> {
  const tables = new Map<string, Map<string, string>>();
  if (node === undefined) return tables;
  if (!isMap(node)) {
    fail(node, 'tables must map table names to { code: value } maps');
    return tables;
  }
  for (const pair of node.items) {
    const tableName = isScalar(pair.key) ? String(pair.key.value) : '';
    const body = pair.value as Node | null;
    if (!isMap(body)) {
      fail(body ?? (pair.key as Node), `table "${tableName}" must map codes to values`, 'e.g. modality: { NMR: MR, CAT: CT }');
      continue;
    }
    const entries = new Map<string, string>();
    for (const e of body.items) {
      const k = isScalar(e.key) ? String(e.key.value) : '';
      const v = scalarString(e.value as Node);
      if (v === undefined) fail(e.value as Node, `table "${tableName}": "${k}" needs a value`);
      else {
        entries.set(k, v);
        if (!entries.has(k.trim().toUpperCase())) entries.set(k.trim().toUpperCase(), v);
      }
    }
    tables.set(tableName, entries);
  }
  return tables;
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
    generateUid: false,
    required: false,
    invalid: { clean: false, truncate: false, omit: false },
  };
  if (isScalar(node)) {
    const path = compilePath(node, ctx, keyword);
    if (path) rule.from.push(path);
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
          const path = compilePath(n, ctx, keyword);
          if (path) rule.from.push(path);
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
      case 'generate':
        if (scalarString(value) === 'uid' && vr === 'UI') rule.generateUid = true;
        else ctx.fail(value, `${keyword}: generate only supports "uid", for UI attributes`);
        break;
      case 'required':
        if (isScalar(value) && typeof value.value === 'boolean') rule.required = value.value;
        else ctx.fail(value, `${keyword}: required must be true or false`);
        break;
      case 'invalid':
        for (const policy of stringList(value, ctx.fail, `${keyword} invalid`)) {
          if (!INVALID_POLICIES.includes(policy))
            ctx.fail(value, `${keyword}: invalid must be ${INVALID_POLICIES.join(', ')} (or a list of clean, truncate, omit)`);
          else if (policy !== 'reject') rule.invalid[policy as keyof InvalidValuePolicy] = true;
        }
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
  if (sources > 1) ctx.fail(node, `${keyword}: give only one of from, template, value and cases`);
  if (sources === 0 && rule.default === undefined && !rule.generateUid) ctx.fail(node, `${keyword}: needs from, template, value, cases, default or generate`);
  return rule;
}

export function compilePath(node: Node | null | undefined, ctx: CompileContext, what: string): FieldPath | undefined {
  const text = scalarString(node);
  if (text === undefined) {
    ctx.fail(node, `${what}: an HL7 field path is expected`, 'e.g. PID-3.1');
    return undefined;
  }
  return compilePathText(text, node, ctx, what);
}

/** A path given as text; node says where it stands in the file. */
function compilePathText(text: string, node: Node | null | undefined, ctx: CompileContext, what: string): FieldPath | undefined {
  try {
    const path = parseFieldPath(text);
    const problem = checkSegmentField(path.segment, path.field);
    if (problem) {
      ctx.fail(node, `${what}: ${problem}`, 'check the segment name and field number in the HL7 standard');
      return undefined;
    }
    return path;
  } catch (err) {
    ctx.fail(node, `${what}: ${(err as BridgeError).message}`, (err as BridgeError).hint);
    return undefined;
  }
}

/** "{OBR-4.2} ({OBR-4.1})" -> literal text and field paths. */
function compileTemplate(node: Node | null, ctx: CompileContext, keyword: string): TemplatePart[] | undefined {
  const text = scalarString(node);
  if (text === undefined) {
    ctx.fail(node, `${keyword}: a text is expected`);
    return undefined;
  }
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const m of text.matchAll(/\{[^{}]+\}/g)) {
    if (m.index > last) parts.push(text.slice(last, m.index));
    // The text between the braces (the match holds none inside).
    const path = compilePathText(m[0].slice(1, -1), node, ctx, keyword);
    if (path) parts.push(path);
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

function compileSteps(node: Node | null, ctx: CompileContext, keyword: string): TransformStep[] {
  const steps: TransformStep[] = [];
  const items = isSeq(node) ? (node.items as Node[]) : [node];
  for (const item of items) {
    const simple = scalarString(item);
    if (simple === 'trim' || simple === 'upper' || simple === 'lower') {
      steps.push({ kind: simple });
      continue;
    }
    const pair = isMap(item) && item.items.length === 1 ? item.items[0] : undefined;
    if (pair) {
      const kind = isScalar(pair.key) ? String(pair.key.value) : '';
      const arg = pair.value as Node | null;
      if (kind === 'lookup') {
        const tableName = scalarString(arg) ?? (isMap(arg) ? scalarString(arg.get('table', true)) : undefined) ?? '';
        const otherwise = isMap(arg) ? (scalarString(arg.get('otherwise', true)) ?? 'keep') : 'keep';
        const entries = ctx.tables.get(tableName);
        if (!entries) ctx.fail(arg, `${keyword}: no table "${tableName}"`, `define it under tables:, known: ${[...ctx.tables.keys()].join(', ') || 'none'}`);
        else if (otherwise !== 'keep' && otherwise !== 'empty') ctx.fail(arg, `${keyword}: otherwise must be keep or empty`);
        else steps.push({ kind: 'lookup', table: tableName, entries, otherwise });
        continue;
      }
      if (kind === 'replace' && isMap(arg)) {
        const pattern = scalarString(arg.get('pattern', true));
        const replacement = scalarString(arg.get('with', true)) ?? '';
        try {
          steps.push({ kind: 'replace', pattern: new RegExp(pattern ?? '', 'gu'), with: replacement });
          if (pattern === undefined) ctx.fail(arg, `${keyword}: replace needs a pattern`);
        } catch (err) {
          ctx.fail(arg, `${keyword}: bad regular expression: ${errorMessage(err)}`);
        }
        continue;
      }
    }
    ctx.fail(
      item,
      `${keyword}: unknown transform ${simple ? `"${simple}"` : ''}`.trim(),
      'use trim, upper, lower, { lookup: TABLE } or { replace: { pattern: REGEX, with: TEXT } }',
    );
  }
  return steps;
}

function compileConditions(node: Node | null, ctx: CompileContext, keyword: string): Condition[] {
  const conditions: Condition[] = [];
  for (const item of isSeq(node) ? (node.items as Node[]) : [node]) {
    if (!isMap(item)) {
      ctx.fail(item, `${keyword}: when needs { field: PATH, equals | in | matches | present: ... }`);
      continue;
    }
    checkKeys(item, CONDITION_KEYS, `${keyword} condition key`, ctx.fail);
    const path = compilePath(item.get('field', true), ctx, `${keyword} when.field`);
    if (!path) continue;
    const get = (k: string): Node | undefined => item.get(k, true);
    if (item.has('equals')) conditions.push({ path, test: { kind: 'equals', values: [scalarString(get('equals')) ?? ''] } });
    else if (item.has('in')) conditions.push({ path, test: { kind: 'equals', values: stringList(get('in'), ctx.fail, `${keyword} when.in`) } });
    else if (item.has('matches')) {
      try {
        conditions.push({ path, test: { kind: 'matches', pattern: new RegExp(scalarString(get('matches')) ?? '', 'u') } });
      } catch (err) {
        ctx.fail(get('matches'), `${keyword}: bad regular expression: ${errorMessage(err)}`);
      }
    } else if (item.has('present')) {
      const v = get('present');
      conditions.push({ path, test: { kind: 'present', present: isScalar(v) && v.value === true } });
    } else ctx.fail(item, `${keyword}: a condition needs equals, in, matches or present`);
  }
  return conditions;
}

export function checkKeys(map: YAMLMap, allowed: readonly string[], what: string, fail: Fail): void {
  for (const pair of map.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if (!allowed.includes(key)) fail(pair.key as Node, `unknown ${what} "${key}"`, `known: ${allowed.join(', ')}`);
  }
}

export function stringList(node: Node | undefined | null, fail: Fail, what: string): string[] {
  if (node === undefined || node === null) return [];
  if (isScalar(node)) return [String(node.value)];
  if (isSeq(node)) return (node.items as Node[]).map((n) => scalarString(n) ?? '');
  fail(node, `${what} must be a text or a list of texts`);
  return [];
}

export function scalarString(node: Node | null | undefined): string | undefined {
  if (!isScalar(node) || node.value === null || node.value === undefined) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a YAML scalar holds a string, number or boolean (a Date or bytes under %YAML 1.1), never a plain object
  return String(node.value);
}
