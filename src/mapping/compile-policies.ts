/**
 * The parts of a mapping that say how its senders are treated (a per-sender profile when the
 * mapping's appliesTo names a sending application or facility): `policies:` (type-1 completeness,
 * unknown orders, empty MSH-10, non-imaging orders, fallbacks, invalid values) and the `nonImaging:`
 * rule that tells an imaging order from the others.
 */
import { isMap, isSeq, type Node, type YAMLMap } from 'yaml';
import { lookupKeyword } from '../model/dictionary.js';
import type { MessagePolicies } from '../model/order.js';
import { checkKeys, compileConditions, compilePath, scalarString, stringList, type CompileContext } from './compile-sources.js';
import { compileInvalid } from './compile-rules.js';
import type { MappingPolicies, NonImagingRule } from './model.js';

/** Each policy and the values it takes; the first is the bridge's default where no setting says otherwise. */
export const POLICY_VALUES: { readonly [K in keyof MessagePolicies]: readonly MessagePolicies[K][] } = {
  type1: ['reject', 'accept'],
  unknownOrder: ['reject', 'apply'],
  emptyControlId: ['accept', 'reject'],
  nonImaging: ['ignore', 'reject'],
  fallbacks: ['all', 'fields', 'none'],
};

/** `policies:` of a mapping (and the older top-level `type1:`, the same as policies.type1). */
export function compilePolicies(root: YAMLMap, ctx: CompileContext): MappingPolicies {
  const policies: MappingPolicies = {};
  const set = (key: keyof MessagePolicies, node: Node | null | undefined): void => {
    const v = scalarString(node) ?? '';
    const allowed = POLICY_VALUES[key] as readonly string[];
    if (allowed.includes(v)) (policies as Record<string, string>)[key] = v;
    else ctx.fail(node, `policies.${key} must be ${allowed.join(' or ')}, not "${v}"`);
  };
  if (root.has('type1')) set('type1', root.get('type1', true));
  const node = root.get('policies', true) as Node | undefined;
  if (node === undefined) return policies;
  if (!isMap(node)) {
    ctx.fail(
      node,
      'policies must be a map',
      `e.g. policies: { type1: accept, fallbacks: fields }; keys: ${[...Object.keys(POLICY_VALUES), 'invalid'].join(', ')}`,
    );
    return policies;
  }
  checkKeys(node, [...Object.keys(POLICY_VALUES), 'invalid'], 'policies key', ctx.fail);
  for (const key of Object.keys(POLICY_VALUES) as (keyof MessagePolicies)[]) if (node.has(key)) set(key, node.get(key, true));
  if (node.has('invalid')) {
    const invalid = compileInvalid(node.get('invalid', true) as Node, ctx, 'policies');
    if (invalid) policies.invalid = invalid;
  }
  return policies;
}

/** `nonImaging: { ifMissing: [Modality], anyOf: [ { field: OBR-24, in: [LAB] } ] }`. */
export function compileNonImaging(node: Node | undefined, ctx: CompileContext): NonImagingRule | undefined {
  if (node === undefined) return undefined;
  if (!isMap(node)) {
    ctx.fail(node, 'nonImaging must be a map', 'e.g. nonImaging: { ifMissing: [Modality] }');
    return undefined;
  }
  checkKeys(node, ['ifMissing', 'anyOf', 'ifPresent'], 'nonImaging key', ctx.fail);
  const presentNode = node.get('ifPresent', true) as Node | undefined;
  const ifPresent = (isSeq(presentNode) ? (presentNode.items as Node[]) : presentNode === undefined ? [] : [presentNode])
    .map((n) => compilePath(n, ctx, 'nonImaging.ifPresent'))
    .filter((p) => p !== undefined);
  const ifMissing = stringList(node.get('ifMissing', true), ctx.fail, 'nonImaging.ifMissing');
  for (const k of ifMissing) if (!lookupKeyword(k)) ctx.fail(node, `nonImaging.ifMissing: "${k}" is not a DICOM keyword`);
  const anyOf = node.has('anyOf') ? compileConditions(node.get('anyOf', true) as Node, ctx, 'nonImaging.anyOf') : [];
  if (ifMissing.length === 0 && anyOf.length === 0) ctx.fail(node, 'nonImaging needs ifMissing or anyOf');
  return { ifMissing, anyOf, ifPresent };
}
