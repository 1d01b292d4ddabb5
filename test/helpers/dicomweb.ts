/**
 * DICOMweb helpers for tests: findscu keys (`(0010,0010)=`, `(0040,0100)[0].(0008,0060)=CT`,
 * `ScheduledProcedureStepSequence[0].Modality=CT`) as search parameters, and DICOM JSON results
 * flattened the way readDicomFile (peers.ts) flattens a findscu answer, to compare the two.
 */
import { get } from 'node:http';
import type { DicomJson, DicomJsonElement } from '../../src/model/item.js';
import { lookupKeyword } from '../../src/model/dictionary.js';

/** The search parameters for the same query as findscu's -k keys: values as match parameters, empty keys as includefield. */
export function searchParamsForKeys(keys: string[]): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of keys) {
    const at = key.indexOf('=');
    const path = (at < 0 ? key : key.slice(0, at))
      .replace(/\[\d+\]/g, '')
      .replace(/\(([0-9A-Fa-f]{4}),([0-9A-Fa-f]{4})\)/g, (_all, group: string, element: string) => (group + element).toUpperCase());
    const value = at < 0 ? '' : key.slice(at + 1);
    if (value === '') params.append('includefield', path);
    else params.append(path, value);
  }
  return params;
}

/** The dcmdump-style paths of findscu keys: "(0040,0100)>(0008,0060)", lower-case hex (keywords resolved). */
export function answerPathsForKeys(keys: string[]): string[] {
  return keys.map((key) =>
    (key.split('=')[0] ?? '')
      .split('.')
      .map((part) => {
        const name = part.replace(/\[\d+\]$/, '');
        if (name.startsWith('(')) return name.toLowerCase();
        const tag = lookupKeyword(name)?.tag ?? '????????';
        return `(${tag.slice(0, 4)},${tag.slice(4)})`.toLowerCase();
      })
      .join('>'),
  );
}

/** tag path -> text value, as readDicomFile gives for a findscu answer (the last item of a sequence wins). */
export function flattenDicomJson(dataset: DicomJson, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [tag, element] of Object.entries(dataset)) {
    const key = `${prefix}(${tag.slice(0, 4).toLowerCase()},${tag.slice(4).toLowerCase()})`;
    if (element.vr === 'SQ') {
      out[key] = '<SQ>';
      for (const item of element.Value ?? []) Object.assign(out, flattenDicomJson(item as DicomJson, `${key}>`));
      continue;
    }
    out[key] = textOf(element);
  }
  return out;
}

function textOf(element: DicomJsonElement): string {
  return (element.Value ?? [])
    .map((v) => {
      if (v === null) return '';
      if (typeof v === 'object') {
        const pn = v as { Alphabetic?: string; Ideographic?: string; Phonetic?: string };
        return [pn.Alphabetic ?? '', pn.Ideographic ?? '', pn.Phonetic ?? ''].join('=').replace(/=+$/, '');
      }
      return String(v);
    })
    .join('\\')
    .replace(/\s+$/, '');
}

/**
 * GET on a connection of its own (closed after the answer), as curl asks. fetch would reuse idle
 * keep-alive connections, and when the test process is busy (many peers spawned side by side) it
 * may pick one the server has just closed at its keep-alive timeout: "fetch failed".
 */
export function httpGetOnce(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; text: string }> {
  return new Promise((resolveGet, rejectGet) => {
    const request = get(url, { agent: false, headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('error', rejectGet);
      response.on('end', () => {
        const received = new Headers();
        for (const [name, value] of Object.entries(response.headers)) {
          for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) received.append(name, v);
        }
        resolveGet({ status: response.statusCode ?? 0, headers: received, text });
      });
    });
    request.on('error', rejectGet);
  });
}

/** A search's results (an empty list for 204) and its response. */
export async function dicomwebSearch(port: number, params: URLSearchParams | string): Promise<{ status: number; headers: Headers; results: DicomJson[] }> {
  const response = await httpGetOnce(`http://127.0.0.1:${port}/dicom-web/modality-scheduled-procedure-steps?${params.toString()}`, {
    Accept: 'application/dicom+json',
  });
  const results = response.status === 200 ? (JSON.parse(response.text) as DicomJson[]) : [];
  return { status: response.status, headers: response.headers, results };
}

/**
 * An MPPS instance as the DICOMweb create takes it (DICOM JSON, PS3.4 F.7.2): the status, the
 * performing station, the start, and the scheduled step it performs (its accession, step ID,
 * study, and requested procedure when given).
 */
export function mppsCreateJson(step: {
  status?: string;
  station: string;
  accession: string;
  stepId: string;
  studyUid: unknown;
  requestedProcedureId?: string;
}): DicomJson {
  return {
    '00400252': { vr: 'CS', Value: [step.status ?? 'IN PROGRESS'] },
    '00400253': { vr: 'SH', Value: ['PPS1'] },
    '00400241': { vr: 'AE', Value: [step.station] },
    '00400244': { vr: 'DA', Value: ['20261203'] },
    '00400245': { vr: 'TM', Value: ['101500'] },
    '00080060': { vr: 'CS', Value: ['MR'] },
    '00400270': {
      vr: 'SQ',
      Value: [
        {
          '00080050': { vr: 'SH', Value: [step.accession] },
          '00400009': { vr: 'SH', Value: [step.stepId] },
          '0020000D': { vr: 'UI', Value: [step.studyUid] },
          ...(step.requestedProcedureId ? { '00401001': { vr: 'SH', Value: [step.requestedProcedureId] } } : {}),
        },
      ],
    },
  } as DicomJson;
}
