/**
 * Times a DICOMweb worklist search (PS3.18 14.4) against the bridge's HTTP server, for the same
 * query as a findscu run: one keep-alive connection (Node's fetch), a first request, then enough
 * repeats to last about 1.5 s (at most 500), so the time per query excludes connection set-up.
 */
import { searchParamsForKeys } from '../test/helpers/dicomweb.js';
import type { QueryTiming } from './servers.js';

/**
 * One search. A keep-alive connection left idle while the peers were timed is closed by the
 * server (its keep-alive timeout) and fetch may still pick it: "fetch failed" on the first request
 * after the pause (seen in a bench run, twice in a row once). A network error is retried, twice.
 */
async function search(url: string, retries = 2): Promise<number> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { Accept: 'application/dicom+json' } });
  } catch (err) {
    if (retries === 0 || !(err instanceof TypeError)) throw new Error(`DICOMweb search failed: ${String(err)} (${String((err as { cause?: unknown }).cause)})`);
    return search(url, retries - 1);
  }
  const text = await response.text();
  if (response.status === 204) return 0;
  if (response.status !== 200) throw new Error(`DICOMweb search failed: ${response.status} ${text.slice(0, 300)}`);
  return (JSON.parse(text) as unknown[]).length;
}

export async function timeDicomwebQuery(port: number, keys: string[]): Promise<QueryTiming> {
  const url = `http://127.0.0.1:${port}/dicom-web/modality-scheduled-procedure-steps?${searchParamsForKeys(keys).toString()}`;
  let started = performance.now();
  const answers = await search(url);
  const firstMs = performance.now() - started;
  started = performance.now();
  for (let i = 0; i < 10; i++) await search(url);
  const estimate = Math.max(0.2, (performance.now() - started) / 10);
  const repeats = estimate > 1000 ? 3 : Math.max(10, Math.min(500, Math.ceil(1500 / estimate)));
  started = performance.now();
  for (let i = 0; i < repeats; i++) await search(url);
  return { answers, firstMs, msPerQuery: (performance.now() - started) / repeats, repeats };
}
