/**
 * Compiles and validates mapping texts (YAML) into Mappings. Every problem in a text is reported at
 * once with its name (the file), line and a fix hint; a mapping with any problem is refused. The
 * format is documented in mappings/README.md and mappings/mapping.schema.json. Pure: the files are
 * read by the application (app/mappings.ts).
 */
import { LineCounter, parseDocument, isMap, type Node, type YAMLMap } from 'yaml';
import { BridgeError } from '../errors.js';
import { MappingSet } from './select.js';
import type { AppliesTo, AttributeRule, Mapping } from './model.js';
import { parseFieldPath } from './path.js';
import { checkSegmentField } from './segments.js';
import { checkKeys, compileAttributes, compilePath, scalarString, stringList, type CompileContext, type Fail } from './compile-rules.js';
import { compileNonImaging, compilePolicies } from './compile-policies.js';
import { compileTables } from './tables.js';

const TOP_KEYS = [
  'name',
  'description',
  'appliesTo',
  'orderControl',
  'orderStatus',
  'mergePatientId',
  'itemPer',
  'type1',
  'policies',
  'nonImaging',
  'tables',
  'attributes',
  'extends',
];
/** A profile (extends: another mapping) gives its senders, policies, rules and tables; the rest is its base's. */
const PROFILE_KEYS = ['name', 'description', 'extends', 'appliesTo', 'type1', 'policies', 'nonImaging', 'tables'];
const APPLIES_KEYS = ['messages', 'sendingApplication', 'sendingFacility', 'versions'];

/** Compiles one mapping text (YAML); every problem is reported at once, with its line. Pure: no I/O. */
export function compileMapping(text: string, file: string): Mapping {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  const problems: string[] = [];
  const lineOf = (node: Node | null | undefined): number => {
    const offset = node?.range?.[0];
    return offset === undefined ? 0 : lineCounter.linePos(offset).line;
  };
  const fail: Fail = (node, message, hint) => {
    const line = lineOf(node);
    problems.push(`${file}${line ? `:${line}` : ''}: ${message}${hint ? ` (${hint})` : ''}`);
  };
  for (const e of doc.errors) problems.push(`${file}:${e.linePos?.[0].line ?? '?'}: ${e.message}`);
  if (problems.length) throw mappingError(file, problems);

  const root = doc.contents;
  if (!isMap(root)) throw mappingError(file, [`${file}: expected a mapping with name, appliesTo, orderControl and attributes`]);
  const base = scalarString(root.get('extends', true));
  checkKeys(root, base === undefined ? TOP_KEYS : PROFILE_KEYS, base === undefined ? 'key' : 'key in a profile (it extends another mapping)', fail);
  const get = (map: YAMLMap, key: string): Node | undefined => map.get(key, true);
  const ctx: CompileContext = { fail, lineOf, tables: compileTables(get(root, 'tables'), fail) };

  const name = scalarString(get(root, 'name')) ?? file;
  const description = scalarString(get(root, 'description')) ?? '';

  const appliesNode = get(root, 'appliesTo');
  const appliesTo: AppliesTo = { messages: [], sendingApplications: [], sendingFacilities: [], versions: [] };
  if (isMap(appliesNode)) {
    checkKeys(appliesNode, APPLIES_KEYS, 'appliesTo key', fail);
    appliesTo.messages = stringList(get(appliesNode, 'messages'), fail, 'appliesTo.messages');
    for (const m of appliesTo.messages) {
      if (!/^[A-Z0-9]{3}\^[A-Z0-9]{3}$/.test(m)) fail(get(appliesNode, 'messages'), `"${m}" is not a message type`, 'write CODE^EVENT, e.g. ORM^O01');
    }
    if (appliesTo.messages.length === 0) fail(appliesNode, 'appliesTo.messages must list at least one message type', 'e.g. messages: [ORM^O01]');
    appliesTo.sendingApplications = stringList(get(appliesNode, 'sendingApplication'), fail, 'appliesTo.sendingApplication');
    appliesTo.sendingFacilities = stringList(get(appliesNode, 'sendingFacility'), fail, 'appliesTo.sendingFacility');
    appliesTo.versions = stringList(get(appliesNode, 'versions'), fail, 'appliesTo.versions');
  } else fail(appliesNode ?? root, 'appliesTo must say which messages this mapping handles', 'e.g. appliesTo: { messages: [ORM^O01] }');

  const orderControlNode = get(root, 'orderControl');
  const orderControl = (orderControlNode ? compilePath(orderControlNode, ctx, 'orderControl') : undefined) ?? parseFieldPath('ORC-1');
  const orderStatusNode = get(root, 'orderStatus');
  const orderStatus = orderStatusNode ? compilePath(orderStatusNode, ctx, 'orderStatus') : undefined;

  const mergeNode = get(root, 'mergePatientId');
  const mergePatientId = mergeNode ? compilePath(mergeNode, ctx, 'mergePatientId') : undefined;

  const itemPerNode = get(root, 'itemPer');
  const itemPer = scalarString(itemPerNode) ?? 'ORC';
  if (!/^[A-Z][A-Z0-9]{2}$/.test(itemPer) || checkSegmentField(itemPer, 1))
    fail(itemPerNode, `itemPer "${itemPer}" is not a segment name`, 'use ORC (one item per order), IPC (one per imaging procedure) or PID (patient messages)');

  const policies = compilePolicies(root, ctx);
  const nonImaging = compileNonImaging(get(root, 'nonImaging'), ctx);

  const attributesNode = get(root, 'attributes');
  let attributes: AttributeRule[] = [];
  if (isMap(attributesNode)) attributes = compileAttributes(attributesNode, ctx);
  else if (base === undefined) fail(attributesNode ?? root, 'attributes must map DICOM keywords to HL7 fields', 'e.g. attributes: { PatientID: PID-3.1 }');

  if (problems.length) throw mappingError(file, problems);
  return {
    name,
    file,
    description,
    appliesTo,
    orderControl,
    orderStatus,
    mergePatientId,
    itemPer,
    policies,
    nonImaging,
    tables: ctx.tables,
    attributes,
    ...(base !== undefined ? { extends: base } : {}),
  };
}

/**
 * A profile made whole: its base's rules, with the profile's senders, policies (over the base's),
 * nonImaging rule (if it has one) and tables (over the base's, for lookup sources).
 */
function resolveProfile(profile: Mapping, mappings: readonly Mapping[]): Mapping {
  const base = mappings.find((m) => m.name === profile.extends && m.extends === undefined);
  if (!base) {
    const names = mappings.filter((m) => m.extends === undefined).map((m) => m.name);
    throw mappingError(profile.file, [`${profile.file}: extends "${profile.extends ?? ''}", which is not an active mapping (active: ${names.join(', ')})`]);
  }
  const unhandled = profile.appliesTo.messages.filter((t) => !base.appliesTo.messages.includes(t));
  if (unhandled.length) throw mappingError(profile.file, [`${profile.file}: ${unhandled.join(', ')} not handled by "${base.name}", which it extends`]);
  return {
    ...base,
    name: profile.name,
    file: profile.file,
    description: profile.description || base.description,
    appliesTo: profile.appliesTo,
    policies: { ...base.policies, ...profile.policies },
    nonImaging: profile.nonImaging ?? base.nonImaging,
    tables: new Map([...base.tables, ...profile.tables]),
    extends: base.name,
  };
}

function mappingError(file: string, problems: string[]): BridgeError {
  return new BridgeError('MAPPING_INVALID', `mapping ${file} is invalid:\n  - ${problems.join('\n  - ')}`, {
    hint: 'see mappings/README.md for the format',
  });
}

/** A mapping file's text and the name it is reported by (its path). */
export interface MappingSource {
  name: string;
  text: string;
}

/** Compiles mapping texts into a set; every text's problems are reported together. */
export function compileMappingSet(sources: readonly MappingSource[]): MappingSet {
  const problems: string[] = [];
  const mappings: Mapping[] = [];
  for (const { name, text } of sources) {
    try {
      mappings.push(compileMapping(text, name));
    } catch (err) {
      problems.push(err instanceof BridgeError ? err.message : String(err));
    }
  }
  const resolved: Mapping[] = [];
  for (const m of mappings) {
    try {
      resolved.push(m.extends === undefined ? m : resolveProfile(m, mappings));
    } catch (err) {
      problems.push(err instanceof BridgeError ? err.message : String(err));
    }
  }
  if (problems.length) {
    throw new BridgeError('MAPPING_INVALID', problems.join('\n'), { hint: 'see mappings/README.md for the format' });
  }
  return new MappingSet(resolved);
}
