/**
 * A DICOM JSON data set received over HTTP (PS3.18 F.2), checked for its shape before anything
 * reads it: tags of 8 hexadecimal digits, a VR of two capitals, values of the JSON types the model
 * allows, sequences nested at most a few levels, and a bounded number of attributes in all.
 * The payload may be the data set itself or an array holding exactly one (PS3.18 8.6).
 */
import type { DicomJson, DicomJsonValue } from '../model/item.js';

/** Most attributes in one received data set, all sequence items included. */
const MAX_ATTRIBUTES = 10_000;
/** Deepest sequence nesting (MPPS data sets nest three levels at most). */
const MAX_DEPTH = 8;

export class DicomJsonInputError extends Error {}

export function readDicomJsonPayload(payload: unknown): DicomJson {
  const dataset = Array.isArray(payload) ? (payload.length === 1 ? (payload[0] as unknown) : undefined) : payload;
  if (dataset === undefined) throw new DicomJsonInputError('the payload must be one DICOM JSON data set (an object, or an array of exactly one)');
  const counter = { attributes: 0 };
  return readDataset(dataset, '', 0, counter);
}

function readDataset(value: unknown, where: string, depth: number, counter: { attributes: number }): DicomJson {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DicomJsonInputError(`${where || 'the data set'} is not a JSON object`);
  if (depth > MAX_DEPTH) throw new DicomJsonInputError(`${where}: sequences nested deeper than ${MAX_DEPTH} levels`);
  const out: DicomJson = {};
  for (const [tag, element] of Object.entries(value)) {
    const at = `${where}${tag}`;
    if (++counter.attributes > MAX_ATTRIBUTES) throw new DicomJsonInputError(`more than ${MAX_ATTRIBUTES} attributes`);
    if (!/^[0-9A-Fa-f]{8}$/.test(tag)) throw new DicomJsonInputError(`"${tag.slice(0, 40)}" is not a tag (8 hexadecimal digits)`);
    if (typeof element !== 'object' || element === null) throw new DicomJsonInputError(`${at} is not an attribute object`);
    const { vr, Value: values } = element as { vr?: unknown; Value?: unknown };
    if (typeof vr !== 'string' || !/^[A-Z]{2}$/.test(vr)) throw new DicomJsonInputError(`${at} has no valid "vr"`);
    if (values !== undefined && !Array.isArray(values)) throw new DicomJsonInputError(`${at}: "Value" is not an array`);
    const read: DicomJsonValue[] = (values ?? []).map((v: unknown, i: number) => {
      if (vr === 'SQ') return readDataset(v, `${at}[${i}].`, depth + 1, counter);
      if (v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))) return v;
      if (vr === 'PN' && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((g) => typeof g === 'string')) return v;
      throw new DicomJsonInputError(`${at}: value ${i + 1} is not a ${vr} value`);
    });
    out[tag.toUpperCase()] = values === undefined ? { vr } : { vr, Value: read };
  }
  return out;
}
