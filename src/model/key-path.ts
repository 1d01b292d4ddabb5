/**
 * Query keys written as findscu takes them (`-k PatientID=123`, `-k 0010,0020=123`,
 * `-k "ScheduledProcedureStepSequence[0].Modality=CT"`, `-k "(0040,0100)[0].(0008,0060)=CT"`), turned
 * into a C-FIND identifier (DICOM JSON), so that a query can be explained without a modality.
 */
import { BridgeError } from '../errors.js';
import { lookupKeyword, lookupTag } from './dictionary.js';
import type { DicomJson, DicomJsonValue } from './item.js';

/** Highest sequence item index a key may name (a query has one item per sequence, rarely a few). */
const MAX_ITEM_INDEX = 99;
const TAG = /^\(?([0-9a-f]{4}),?([0-9a-f]{4})\)?$/i;
const PART = /^(.+?)(?:\[(\d+)\])?$/;

export function identifierFromKeys(keys: readonly string[]): DicomJson {
  const identifier: DicomJson = {};
  for (const key of keys) addKey(identifier, key);
  return identifier;
}

function addKey(identifier: DicomJson, key: string): void {
  const eq = key.indexOf('=');
  const path = (eq < 0 ? key : key.slice(0, eq)).trim();
  const value = eq < 0 ? undefined : key.slice(eq + 1);
  const parts = path.split('.');
  let dataset = identifier;
  parts.forEach((part, i) => {
    const [, name = '', index] = PART.exec(part.trim()) ?? [];
    const def = attribute(name, key);
    const last = i === parts.length - 1;
    if (!last || def.vr === 'SQ') {
      if (def.vr !== 'SQ') throw new BridgeError('DICOM_QUERY_INVALID', `key "${key}": ${def.keyword} is not a sequence`);
      const at = Number(index ?? 0);
      if (at > MAX_ITEM_INDEX) throw new BridgeError('DICOM_QUERY_INVALID', `key "${key}": item index ${at} (at most ${MAX_ITEM_INDEX})`);
      const element = (dataset[def.tag] ??= { vr: 'SQ', Value: [] });
      const items: DicomJsonValue[] = (element.Value ??= []);
      while (items.length <= at) items.push({});
      if (last) return;
      dataset = items[at] as DicomJson;
      return;
    }
    const values = value === undefined || value === '' ? undefined : value.split('\\');
    dataset[def.tag] = values ? { vr: def.vr, Value: values.map((v) => (def.vr === 'PN' ? { Alphabetic: v } : v)) } : { vr: def.vr };
  });
}

function attribute(name: string, key: string): { keyword: string; tag: string; vr: string } {
  const tag = TAG.exec(name);
  const def = tag ? lookupTag(`${tag[1] ?? ''}${tag[2] ?? ''}`.toUpperCase()) : lookupKeyword(name);
  if (!def) throw new BridgeError('DICOM_QUERY_INVALID', `key "${key}": "${name}" is neither a DICOM keyword nor a tag (gggg,eeee)`);
  return def;
}
