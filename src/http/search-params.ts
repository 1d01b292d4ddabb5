/**
 * The query parameters of a DICOMweb worklist search (PS3.18 8.3.4, 14.4.1.2) turned into the
 * C-FIND identifier the DIMSE service would get for the same query: each match parameter a key with
 * its value, each includefield a key without one (a return key), sequence paths
 * (`00400100.00080060`, `ScheduledProcedureStepSequence.Modality`) as keys inside one sequence item.
 * A search with the same matching keys as a C-FIND thus matches exactly the same items.
 */
import { lookupKeyword, lookupTag } from '../model/dictionary.js';
import type { DicomJson, DicomJsonValue } from '../model/item.js';
import { DEFAULT_RETURN_KEYS } from './default-return-keys.js';

/** Most parameters in one search (no modality query needs more than a few dozen keys). */
export const MAX_PARAMETERS = 64;
/** Longest parameter value, in characters (as a C-FIND key value, dicom/identifier.ts). */
export const MAX_VALUE_LENGTH = 1024;
/** Deepest sequence path (the worklist's deepest keys are codes in the SPS's protocol code sequence). */
const MAX_PATH_DEPTH = 4;
/** Largest offset: skipping costs the matching of every skipped item. */
export const MAX_OFFSET = 1_000_000;

export interface SearchRequest {
  identifier: DicomJson;
  /** includefield=all: each result is the whole item. */
  includeAll: boolean;
  fuzzymatching: boolean;
  offset: number;
  /** Undefined: as many as the server allows. */
  limit: number | undefined;
}

export class SearchParameterError extends Error {}

/** Parameters that are not attributes (accept picks the media type, mwl-search-route.ts; charset: answers are UTF-8 whatever is asked). */
const CONTROL_PARAMETERS = new Set(['includefield', 'fuzzymatching', 'offset', 'limit', 'accept', 'charset']);

/** The search, from the parsed query string (a repeated parameter arrives as an array). */
export function parseSearchParameters(query: Record<string, string | string[] | undefined>): SearchRequest {
  const entries = Object.entries(query).flatMap(([name, value]) =>
    value === undefined ? [] : (Array.isArray(value) ? value : [value]).map((v) => [name, v] as const),
  );
  if (entries.length > MAX_PARAMETERS) throw new SearchParameterError(`${entries.length} query parameters (at most ${MAX_PARAMETERS})`);
  const identifier: DicomJson = {};
  for (const key of DEFAULT_RETURN_KEYS) addKey(identifier, resolvePath(key), undefined);
  let includeAll = false;
  let fuzzymatching = false;
  let offset = 0;
  let limit: number | undefined;
  const matched = new Set<string>();
  for (const [name, value] of entries) {
    if (value.length > MAX_VALUE_LENGTH) throw new SearchParameterError(`${name}: a value of ${value.length} characters (at most ${MAX_VALUE_LENGTH})`);
    switch (name) {
      case 'includefield':
        for (const field of value.split(',')) {
          if (field === 'all') includeAll = true;
          else addKey(identifier, resolvePath(field), undefined);
        }
        continue;
      case 'fuzzymatching':
        if (value !== 'true' && value !== 'false') throw new SearchParameterError(`fuzzymatching: "${value}" is neither true nor false`);
        fuzzymatching = value === 'true';
        continue;
      case 'offset':
        offset = integerParameter(name, value, 0, MAX_OFFSET);
        continue;
      case 'limit':
        limit = integerParameter(name, value, 1, Number.MAX_SAFE_INTEGER);
        continue;
    }
    if (CONTROL_PARAMETERS.has(name)) continue;
    const path = resolvePath(name);
    const id = path.map((p) => p.tag).join('.');
    if (matched.has(id)) throw new SearchParameterError(`${name} is given more than once`);
    matched.add(id);
    // Strings in a URL are Unicode: the character set of the query says nothing more.
    if (id === '00080005') continue;
    addKey(identifier, path, value);
  }
  return { identifier, includeAll, fuzzymatching, offset, limit };
}

interface PathStep {
  tag: string;
  vr: string;
}

/** An attribute path: keywords or 8-digit tags, joined by dots, every step but the last a sequence. */
export function resolvePath(text: string): PathStep[] {
  const parts = text.split('.');
  if (parts.length > MAX_PATH_DEPTH) throw new SearchParameterError(`${shown(text)}: a path deeper than ${MAX_PATH_DEPTH} attributes`);
  return parts.map((part, i) => {
    const step = resolveAttribute(part);
    if (!step) throw new SearchParameterError(`${shown(text)}: "${shown(part)}" is neither a DICOM keyword nor a tag (8 hexadecimal digits)`);
    if (i < parts.length - 1 && step.vr !== 'SQ') throw new SearchParameterError(`${shown(text)}: ${shown(part)} is not a sequence`);
    return step;
  });
}

function resolveAttribute(part: string): PathStep | undefined {
  if (/^[0-9A-Fa-f]{8}$/.test(part)) {
    const tag = part.toUpperCase();
    const known = lookupTag(tag);
    if (known) return { tag, vr: known.vr };
    // A private attribute (odd group): accepted, and ignored by matching and answers as in a C-FIND.
    return Number.parseInt(tag.slice(0, 4), 16) % 2 === 1 ? { tag, vr: 'UN' } : undefined;
  }
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(part)) return undefined;
  const known = lookupKeyword(part);
  return known ? { tag: known.tag, vr: known.vr } : undefined;
}

/** Adds a key at the path: inside the (one) item of each sequence on the way. */
function addKey(identifier: DicomJson, path: PathStep[], value: string | undefined): void {
  let dataset = identifier;
  for (const [i, step] of path.entries()) {
    const last = i === path.length - 1;
    if (!last || step.vr === 'SQ') {
      const existing = dataset[step.tag];
      const first = existing?.vr === 'SQ' ? existing.Value?.[0] : undefined;
      if (last && value !== undefined && value !== '') throw new SearchParameterError(`${step.tag}: a sequence takes no value; match its attributes by path`);
      const item = first && typeof first === 'object' ? (first as DicomJson) : {};
      dataset[step.tag] = { vr: 'SQ', Value: [item] };
      dataset = item;
      continue;
    }
    if (value === undefined) {
      // A return key never replaces a matching key given for the same attribute.
      dataset[step.tag] ??= { vr: step.vr };
      continue;
    }
    dataset[step.tag] = { vr: step.vr, Value: values(value, step.vr) };
  }
}

/** The values of a match parameter: backslash separates values as in DICOM, and UID lists may use commas (PS3.18 8.3.4.1). */
function values(text: string, vr: string): DicomJsonValue[] {
  if (text === '') return [];
  const parts = vr === 'UI' ? text.split(/[\\,]/) : text.split('\\');
  return vr === 'PN' ? parts.map((p) => ({ Alphabetic: p })) : parts;
}

function integerParameter(name: string, text: string, min: number, max: number): number {
  if (!/^\d{1,16}$/.test(text)) throw new SearchParameterError(`${name}: "${shown(text)}" is not a non-negative integer`);
  const n = Number(text);
  if (n < min || n > max) throw new SearchParameterError(`${name}: ${n} is outside ${min}..${max}`);
  return n;
}

/** Peer text as it may appear in an error message: printable, and short. */
function shown(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 80);
}
