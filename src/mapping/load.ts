/**
 * Loads and validates a mapping file (YAML) into a compiled Mapping. Every problem is reported at
 * once with the file, line and a fix hint; a mapping with any problem is refused.
 *
 * Format (see mappings/README.md):
 *   name: default
 *   messages: [ORM^O01]            # MSH-9 message code^trigger this mapping applies to
 *   orderControl: ORC-1            # where the order control code is
 *   attributes:                     # DICOM keyword -> where its value comes from
 *     PatientID: { from: PID-3.1, required: true }
 *     PatientName: { from: PID-5, as: pn }
 *     ScheduledProcedureStepSequence:
 *       - Modality: OBR-24
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Node, type YAMLMap } from 'yaml';
import { BridgeError } from '../errors.js';
import { lookupKeyword } from '../worklist/dictionary.js';
import { parseFieldPath, type FieldPath } from './path.js';
import { isConverterName, type ConverterName } from './transforms.js';

export interface ValueRule {
  kind: 'value';
  keyword: string;
  tag: string;
  vr: string;
  /** Tried in order; the first non-empty value wins. */
  from: FieldPath[];
  as: ConverterName;
  default: string | undefined;
  generateUid: boolean;
  required: boolean;
}

export interface SequenceRule {
  kind: 'sequence';
  keyword: string;
  tag: string;
  items: AttributeRule[][];
}

export type AttributeRule = ValueRule | SequenceRule;

export interface Mapping {
  name: string;
  file: string;
  description: string;
  /** "ORM^O01" style message code^trigger event pairs. */
  messages: string[];
  orderControl: FieldPath;
  attributes: AttributeRule[];
}

const TOP_KEYS = new Set(['name', 'description', 'messages', 'orderControl', 'attributes']);
const RULE_KEYS = new Set(['from', 'as', 'default', 'generate', 'required']);

export function loadMappingFile(file: string): Mapping {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new BridgeError('MAPPING_INVALID', `mapping file ${file} cannot be read: ${(err as Error).message}`, {
      hint: 'check mapping.file / --mapping',
    });
  }
  return parseMapping(text, file);
}

export function parseMapping(text: string, file: string): Mapping {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const problems: string[] = [];
  const at = (node: Node | null | undefined): string => {
    const offset = node?.range?.[0];
    return offset === undefined ? file : `${file}:${lineCounter.linePos(offset).line}`;
  };
  const fail = (node: Node | null | undefined, message: string, hint?: string): void => {
    problems.push(`${at(node)}: ${message}${hint ? ` (${hint})` : ''}`);
  };
  for (const e of doc.errors) problems.push(`${file}:${e.linePos?.[0].line ?? '?'}: ${e.message}`);
  if (problems.length) throw mappingError(file, problems);

  const root = doc.contents;
  if (!isMap(root)) throw mappingError(file, [`${file}: expected a mapping with name, messages, orderControl and attributes`]);
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if (!TOP_KEYS.has(key)) fail(pair.key as Node, `unknown key "${key}"`, `known keys: ${[...TOP_KEYS].join(', ')}`);
  }
  const name = scalarString(root.get('name', true) as Node | undefined) ?? file;
  const description = scalarString(root.get('description', true) as Node | undefined) ?? '';

  const messagesNode = root.get('messages', true) as Node | undefined;
  const messages: string[] = [];
  if (isSeq(messagesNode)) {
    for (const item of messagesNode.items) {
      const value = scalarString(item as Node);
      if (value && /^[A-Z0-9]{3}\^[A-Z0-9]{3}$/.test(value)) messages.push(value);
      else fail(item as Node, `"${value ?? ''}" is not a message type`, 'write CODE^EVENT, e.g. ORM^O01');
    }
  } else fail(messagesNode ?? root, 'messages must list the message types this mapping applies to', 'e.g. messages: [ORM^O01]');

  const orderControlNode = root.get('orderControl', true) as Node | undefined;
  let orderControl: FieldPath | undefined;
  try {
    orderControl = parseFieldPath(scalarString(orderControlNode) ?? 'ORC-1');
  } catch (err) {
    fail(orderControlNode, (err as BridgeError).message, (err as BridgeError).hint);
  }

  const attributesNode = root.get('attributes', true) as Node | undefined;
  let attributes: AttributeRule[] = [];
  if (isMap(attributesNode)) attributes = compileAttributes(attributesNode, fail);
  else fail(attributesNode ?? root, 'attributes must map DICOM keywords to HL7 fields', 'e.g. attributes: { PatientID: PID-3.1 }');

  if (problems.length || !orderControl) throw mappingError(file, problems);
  return { name, file, description, messages, orderControl, attributes };
}

type Fail = (node: Node | null | undefined, message: string, hint?: string) => void;

function compileAttributes(map: YAMLMap, fail: Fail): AttributeRule[] {
  const rules: AttributeRule[] = [];
  for (const pair of map.items) {
    const keyNode = pair.key as Node;
    const keyword = isScalar(keyNode) ? String(keyNode.value) : '';
    const def = lookupKeyword(keyword);
    if (!def) {
      fail(keyNode, `"${keyword}" is not a DICOM keyword`, 'use the keyword from PS3.6, e.g. PatientID, AccessionNumber');
      continue;
    }
    const valueNode = pair.value as Node | null;
    if (def.vr === 'SQ') {
      if (!isSeq(valueNode)) {
        fail(valueNode ?? keyNode, `${keyword} is a sequence: give a list of items`, `e.g. ${keyword}: [ { Modality: OBR-24 } ]`);
        continue;
      }
      const items: AttributeRule[][] = [];
      for (const item of valueNode.items) {
        if (isMap(item)) items.push(compileAttributes(item, fail));
        else fail(item as Node, `each item of ${keyword} must map keywords to fields`);
      }
      rules.push({ kind: 'sequence', keyword, tag: def.tag, items });
      continue;
    }
    const rule = compileValueRule(keyword, def.tag, def.vr, valueNode, fail);
    if (rule) rules.push(rule);
  }
  return rules;
}

function compileValueRule(keyword: string, tag: string, vr: string, node: Node | null, fail: Fail): ValueRule | undefined {
  const rule: ValueRule = { kind: 'value', keyword, tag, vr, from: [], as: vr === 'PN' ? 'pn' : 'text', default: undefined, generateUid: false, required: false };
  const addPath = (n: Node | null | undefined): void => {
    const text = scalarString(n);
    if (text === undefined) return fail(n, `${keyword}: a field path is expected`);
    try {
      rule.from.push(parseFieldPath(text));
    } catch (err) {
      fail(n, `${keyword}: ${(err as BridgeError).message}`, (err as BridgeError).hint);
    }
  };
  if (isScalar(node)) {
    addPath(node);
    return rule;
  }
  if (!isMap(node)) {
    fail(node, `${keyword}: give a field path or { from, as, default, required }`);
    return undefined;
  }
  for (const pair of node.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    const value = pair.value as Node | null;
    if (!RULE_KEYS.has(key)) {
      fail(pair.key as Node, `${keyword}: unknown option "${key}"`, `options: ${[...RULE_KEYS].join(', ')}`);
      continue;
    }
    if (key === 'from') {
      if (isSeq(value)) value.items.forEach((i) => addPath(i as Node));
      else addPath(value);
    } else if (key === 'as') {
      const name = scalarString(value) ?? '';
      if (isConverterName(name)) rule.as = name;
      else fail(value, `${keyword}: unknown converter "${name}"`, 'use text, pn, xcn, date or time');
    } else if (key === 'default') {
      rule.default = scalarString(value) ?? '';
    } else if (key === 'generate') {
      if (scalarString(value) === 'uid' && vr === 'UI') rule.generateUid = true;
      else fail(value, `${keyword}: generate only supports "uid", for UI attributes`);
    } else if (key === 'required') {
      rule.required = isScalar(value) && value.value === true;
    }
  }
  if (rule.from.length === 0 && rule.default === undefined && !rule.generateUid) {
    fail(node, `${keyword}: needs "from", "default" or "generate"`);
  }
  return rule;
}

function scalarString(node: Node | null | undefined): string | undefined {
  if (!isScalar(node) || node.value === null || node.value === undefined) return undefined;
  return String(node.value);
}

function mappingError(file: string, problems: string[]): BridgeError {
  return new BridgeError('MAPPING_INVALID', `mapping ${file} is invalid:\n  - ${problems.join('\n  - ')}`, {
    hint: 'see mappings/README.md for the format',
  });
}
