/**
 * Lookup tables of a mapping file. A table maps codes to values:
 *   modality: { NMR: MR, CAT: CT }                         one value per code
 *   procedures:                                            rows of named columns per code
 *     "CTHEAD^LOCAL": { modality: CT, station: [CT_1, CT_2], stationName: CT room 1 }
 *   modalityByText:                                        a list: regular expressions tried in order
 *     - { match: "\\bMRI?\\b", value: MR }
 * Codes are matched as written, then trimmed and upper-cased; patterns ignore case. A list value
 * (several station AE titles) is kept as A\B, the multi-value form of the attribute.
 */
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { errorMessage } from '../errors.js';

/** Column name of a table whose codes map to single values. */
export const VALUE_COLUMN = 'value';

export type Row = ReadonlyMap<string, string>;

export interface Table {
  name: string;
  exact: ReadonlyMap<string, Row>;
  patterns: readonly { pattern: RegExp; row: Row }[];
  columns: ReadonlySet<string>;
}

type Fail = (node: Node | null | undefined, message: string, hint?: string) => void;

export function compileTables(node: Node | undefined, fail: Fail): Map<string, Table> {
  const tables = new Map<string, Table>();
  if (node === undefined) return tables;
  if (!isMap(node)) {
    fail(node, 'tables must map table names to { code: value } maps or to lists of { match: REGEX, value: V }');
    return tables;
  }
  for (const pair of node.items) {
    const name = isScalar(pair.key) ? String(pair.key.value) : '';
    const body = pair.value as Node | null;
    if (name.startsWith('$')) fail(pair.key as Node, `table "${name}": names starting with $ are the bridge's own tables`);
    if (isMap(body)) tables.set(name, exactTable(name, body, fail));
    else if (isSeq(body)) tables.set(name, patternTable(name, body.items as Node[], fail));
    else fail(body ?? (pair.key as Node), `table "${name}" must map codes to values, or list patterns`, 'e.g. modality: { NMR: MR, CAT: CT }');
  }
  return tables;
}

function exactTable(name: string, body: Node & { items: { key: unknown; value: unknown }[] }, fail: Fail): Table {
  const exact = new Map<string, Row>();
  const columns = new Set<string>();
  for (const e of body.items) {
    const code = isScalar(e.key) ? scalarText(e.key) : '';
    const row = rowOf(e.value as Node | null, `table "${name}": "${code}"`, fail, false);
    if (!row) continue;
    for (const c of row.keys()) columns.add(c);
    exact.set(code, row);
    const folded = code.trim().toUpperCase();
    if (!exact.has(folded)) exact.set(folded, row);
  }
  return { name, exact, patterns: [], columns };
}

function patternTable(name: string, items: Node[], fail: Fail): Table {
  const patterns: { pattern: RegExp; row: Row }[] = [];
  const columns = new Set<string>();
  for (const item of items) {
    const match = isMap(item) ? item.get('match', true) : undefined;
    const text = isScalar(match) ? scalarText(match) : undefined;
    if (!isMap(item) || text === undefined) {
      fail(item, `table "${name}": each entry of a pattern list needs match: REGEX and a value`, 'e.g. - { match: "\\\\bMRI?\\\\b", value: MR }');
      continue;
    }
    const row = rowOf(item, `table "${name}" entry ${JSON.stringify(text)}`, fail, true);
    try {
      // Case-insensitive: procedure texts come in any case. Patterns are the integrator's, values are bounded HL7 fields.
      if (row) patterns.push({ pattern: new RegExp(text, 'iu'), row });
      for (const c of row?.keys() ?? []) columns.add(c);
    } catch (err) {
      fail(match, `table "${name}": bad regular expression: ${errorMessage(err)}`);
    }
  }
  return { name, exact: new Map(), patterns, columns };
}

/** A row: a scalar (its value column), or a map of columns (a list value becomes A\B). */
function rowOf(node: Node | null, what: string, fail: Fail, skipMatch: boolean): Row | undefined {
  if (isScalar(node)) {
    const v = scalarText(node);
    return new Map([[VALUE_COLUMN, v]]);
  }
  if (!isMap(node)) {
    fail(node, `${what} needs a value or a map of columns`);
    return undefined;
  }
  const row = new Map<string, string>();
  for (const c of node.items) {
    const column = isScalar(c.key) ? scalarText(c.key) : '';
    if (skipMatch && column === 'match') continue;
    const v = c.value as Node | null;
    if (isScalar(v)) row.set(column, scalarText(v));
    else if (isSeq(v) && (v.items as Node[]).every(isScalar)) row.set(column, (v.items as Node[]).map((n) => (isScalar(n) ? scalarText(n) : '')).join('\\'));
    else fail(v ?? (c.key as Node), `${what}: column "${column}" needs a text or a list of texts`);
  }
  return row;
}

/** The row for a key: exact (as written, then trimmed and upper-cased), else the first pattern that matches. */
export function findRow(table: Table, key: string): Row | undefined {
  const hit = table.exact.get(key) ?? table.exact.get(key.trim().toUpperCase());
  if (hit) return hit;
  return table.patterns.find((p) => p.pattern.test(key))?.row;
}

/** A table the bridge builds at run time (e.g. $callingAeTitles from dicom.callingAeSettings), one value per code. */
export function valueTable(name: string, entries: Iterable<readonly [string, string]>): Table {
  const exact = new Map<string, Row>();
  for (const [code, value] of entries) exact.set(code, new Map([[VALUE_COLUMN, value]]));
  return { name, exact, patterns: [], columns: new Set([VALUE_COLUMN]) };
}

function scalarText(node: Node): string {
  const value = isScalar(node) ? node.value : undefined;
  if (value === null || value === undefined) return '';
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a YAML scalar holds a string, number or boolean, never a plain object
  return String(value);
}
