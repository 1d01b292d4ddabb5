/**
 * The parts of a rule that read the message, compiled: field paths, templates, the sources of a
 * fallback chain (`from:` items), transform steps and conditions. Every problem goes to ctx.fail
 * with the node it is about, so that the line is reported.
 */
import { isMap, isSeq, isScalar, type Node, type YAMLMap } from 'yaml';
import { errorMessage, type BridgeError } from '../errors.js';
import { lookupKeyword } from '../model/dictionary.js';
import { parseFieldPath, type FieldPath } from './path.js';
import { checkSegmentField } from './segments.js';
import { VALUE_COLUMN, type Table } from './tables.js';
import { isConverterName, type TransformStep } from './transforms.js';
import type { Condition, Source, TemplatePart } from './model.js';

export type Fail = (node: Node | null | undefined, message: string, hint?: string) => void;

export interface CompileContext {
  fail: Fail;
  lineOf: (node: Node | null | undefined) => number;
  tables: ReadonlyMap<string, Table>;
}

/** Tables the bridge fills at run time: $callingAeTitles maps a modality to the AE titles dicom.callingAeSettings gives it. */
export const RUNTIME_TABLES: ReadonlySet<string> = new Set(['$callingAeTitles']);

const CONDITION_KEYS = ['field', 'equals', 'in', 'matches', 'present'];
const SOURCE_KEYS = ['field', 'template', 'lookup', 'key', 'column', 'otherwise', 'as', 'transform', 'when'];

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

/** "{OBR-4.2} ({OBR-4.1})", "{=Modality}", "{ORC-2.1}-{$step}" -> literal text, fields, attribute references, variables. */
export function compileTemplate(node: Node | null | undefined, ctx: CompileContext, keyword: string): TemplatePart[] | undefined {
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
    const inner = m[0].slice(1, -1).trim();
    if (inner === '$step') parts.push({ variable: 'step' });
    else if (inner.startsWith('=')) {
      const ref = inner.slice(1);
      if (lookupKeyword(ref)) parts.push({ ref });
      else ctx.fail(node, `${keyword}: {=${ref}} does not name a DICOM keyword`, 'write {=Modality} for the value mapped for Modality');
    } else {
      const path = compilePathText(inner, node, ctx, keyword);
      if (path) parts.push(path);
    }
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

/** The first HL7 field a template reads, for ERR locations. */
export function firstField(parts: readonly TemplatePart[]): FieldPath | undefined {
  return parts.find((p): p is FieldPath => typeof p !== 'string' && 'segment' in p);
}

/**
 * One item of a `from:` list: a field path, or { field | template | lookup, ... } with its own
 * converter (as), transform steps and conditions.
 */
export function compileSource(node: Node | null, ctx: CompileContext, keyword: string): Source | undefined {
  if (isScalar(node)) {
    const path = compilePath(node, ctx, keyword);
    return path && { kind: 'field', path, as: undefined, label: path.text, location: path.text, transform: [], when: [] };
  }
  if (!isMap(node)) {
    ctx.fail(node, `${keyword}: each item of from must be a field path or { field | template | lookup: ... }`);
    return undefined;
  }
  checkKeys(node, SOURCE_KEYS, `${keyword} source option`, ctx.fail);
  const get = (k: string): Node | null => node.get(k, true) as Node | null;
  const base = {
    transform: node.has('transform') ? compileSteps(get('transform'), ctx, keyword) : [],
    when: node.has('when') ? compileConditions(get('when'), ctx, keyword) : [],
  };
  const kinds = ['field', 'template', 'lookup'].filter((k) => node.has(k));
  if (kinds.length !== 1) {
    ctx.fail(node, `${keyword}: a source needs exactly one of field, template and lookup`);
    return undefined;
  }
  if (node.has('field')) {
    const path = compilePath(get('field'), ctx, keyword);
    const as = scalarString(get('as'));
    if (as !== undefined && !isConverterName(as)) ctx.fail(get('as'), `${keyword}: unknown converter "${as}"`, 'use text, pn, xcn, date, time or datetime');
    const converter = as !== undefined && isConverterName(as) ? as : undefined;
    return path && { ...base, kind: 'field', path, as: converter, label: path.text, location: path.text };
  }
  if (node.has('template')) {
    const parts = compileTemplate(get('template'), ctx, keyword);
    const text = scalarString(get('template')) ?? '';
    return parts && { ...base, kind: 'template', parts, label: `template ${text}`, location: firstField(parts)?.text };
  }
  return compileLookupSource(node, ctx, keyword, base);
}

function compileLookupSource(node: YAMLMap, ctx: CompileContext, keyword: string, base: Pick<Source, 'transform' | 'when'>): Source | undefined {
  const get = (k: string): Node | null => node.get(k, true) as Node | null;
  const table = scalarString(get('lookup')) ?? '';
  const known = ctx.tables.get(table);
  if (!known && !RUNTIME_TABLES.has(table)) {
    ctx.fail(get('lookup'), `${keyword}: no table "${table}"`, `define it under tables:, known: ${[...ctx.tables.keys(), ...RUNTIME_TABLES].join(', ')}`);
    return undefined;
  }
  const column = scalarString(get('column')) ?? VALUE_COLUMN;
  if (known && !known.columns.has(column) && known.columns.size > 0)
    ctx.fail(get('column') ?? get('lookup'), `${keyword}: table "${table}" has no column "${column}"`, `its columns: ${[...known.columns].join(', ')}`);
  const otherwise = scalarString(get('otherwise')) ?? 'skip';
  if (otherwise !== 'skip' && otherwise !== 'reject') ctx.fail(get('otherwise'), `${keyword}: otherwise must be skip or reject`);
  const keyNode = get('key');
  if (!keyNode) {
    ctx.fail(node, `${keyword}: a lookup needs key: the field(s) to look up`, 'e.g. key: ["{OBR-4.1}^{OBR-4.3}", "{OBR-4.1}"]');
    return undefined;
  }
  const keys = (isSeq(keyNode) ? (keyNode.items as Node[]) : [keyNode]).map((k) => compileTemplate(k, ctx, keyword)).filter((k) => k !== undefined);
  const first = keys.map(firstField).find(Boolean);
  return {
    ...base,
    kind: 'lookup',
    table,
    keys,
    column,
    otherwise: otherwise === 'reject' ? 'reject' : 'skip',
    label: `table ${table}${column === VALUE_COLUMN ? '' : `.${column}`}`,
    location: first?.text,
  };
}

export function compileSteps(node: Node | null, ctx: CompileContext, keyword: string): TransformStep[] {
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
        const step = compileLookupStep(arg, ctx, keyword);
        if (step) steps.push(step);
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

function compileLookupStep(arg: Node | null, ctx: CompileContext, keyword: string): TransformStep | undefined {
  const tableName = scalarString(arg) ?? (isMap(arg) ? scalarString(arg.get('table', true)) : undefined) ?? '';
  const otherwise = isMap(arg) ? (scalarString(arg.get('otherwise', true)) ?? 'keep') : 'keep';
  const column = (isMap(arg) ? scalarString(arg.get('column', true)) : undefined) ?? VALUE_COLUMN;
  const table = ctx.tables.get(tableName);
  if (!table) {
    ctx.fail(arg, `${keyword}: no table "${tableName}"`, `define it under tables:, known: ${[...ctx.tables.keys()].join(', ') || 'none'}`);
    return undefined;
  }
  if (otherwise !== 'keep' && otherwise !== 'empty') {
    ctx.fail(arg, `${keyword}: otherwise must be keep or empty`);
    return undefined;
  }
  if (!table.columns.has(column) && table.columns.size > 0) ctx.fail(arg, `${keyword}: table "${tableName}" has no column "${column}"`);
  const entries = new Map<string, string>();
  for (const [code, row] of table.exact) {
    const v = row.get(column);
    if (v !== undefined) entries.set(code, v);
  }
  const patterns = table.patterns.flatMap((p) => {
    const v = p.row.get(column);
    return v === undefined ? [] : [{ pattern: p.pattern, value: v }];
  });
  return { kind: 'lookup', table: tableName, entries, ...(patterns.length ? { patterns } : {}), otherwise };
}

export function compileConditions(node: Node | null, ctx: CompileContext, keyword: string): Condition[] {
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
