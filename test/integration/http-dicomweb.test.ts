/**
 * DICOMweb worklist search against the C-FIND, on a real bridge with real clients: for every case
 * of the shared conformance suite (../shared/conformance), the search with the same keys as
 * parameters returns the same items as findscu, with the same values for the keys asked.
 */
import { after, before, describe, it } from '../helpers/suites.js';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { dump2dcmOnce, findscuAsync, findscuBatchAsync, ifStarted, projectDir, skipWithout, tempDir, type FindscuResult } from '../helpers/peers.js';
import { importInProcess, startInProcessBridge, type InProcessBridge } from '../helpers/in-process-bridge.js';
import { answerPathsForKeys, dicomwebSearch, flattenDicomJson, searchParamsForKeys } from '../helpers/dicomweb.js';

interface ConformanceCase {
  id: string;
  db: string[];
  /** The query as findscu keys; query_file, when given, is the same query as a file (findscu cannot send every key with -k). */
  query: { keys: string[]; aet?: string; query_file?: string };
}

const conformanceDir = join(projectDir, '..', 'shared', 'conformance');
const casesFile = join(conformanceDir, 'mwl_cases.json');
const skip = skipWithout('findscu', 'dump2dcm') || (existsSync(casesFile) ? false : `needs the shared conformance suite at ${conformanceDir} (absent here)`);

/** The cases grouped by worklist database, as the suite's runner groups them (one bridge per group). */
function caseGroups(): Map<string, ConformanceCase[]> {
  const groups = new Map<string, ConformanceCase[]>();
  for (const c of JSON.parse(readFileSync(casesFile, 'utf8')) as ConformanceCase[]) {
    const key = JSON.stringify(c.db);
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  return groups;
}

/** The values of the asked keys in each answer, one sorted list of fingerprints per protocol. */
function fingerprints(answers: Array<Record<string, string>>, paths: string[]): string[] {
  const shown = paths.filter((p) => !p.startsWith('(0008,0005)') && !/^\([0-9a-f]{3}[13579bdf],/.test(p));
  return answers.map((a) => JSON.stringify(shown.map((p) => [p, a[p] ?? '(absent)']))).sort();
}

// The cases mostly wait on findscu and on the bridges' answers: three worklist databases (one bridge
// each) side by side, and three cases at a time against each bridge.
describe('DICOMweb search finds what the C-FIND finds (shared conformance cases)', { skip, concurrency: 3 }, () => {
  const groups = skip ? new Map<string, ConformanceCase[]>() : caseGroups();
  // Each dump converted once for the whole file (many cases share a query file or a worklist).
  const dumps = tempDir('mwl-dicomweb-dumps-');
  after(() => {
    rmSync(dumps, { recursive: true, force: true });
  });
  for (const [db, cases] of groups) {
    describe(`worklists ${db.slice(0, 120)}`, { concurrency: 3 }, () => {
      let bridge: InProcessBridge;
      const dir = tempDir('mwl-dicomweb-');
      before(async () => {
        const files = await Promise.all(
          (JSON.parse(db) as string[]).map(async (f, i) => {
            const source = join(conformanceDir, 'worklists', f);
            const target = join(dir, `item${String(i).padStart(3, '0')}.wl`);
            copyFileSync(f.endsWith('.dump') ? await dump2dcmOnce(source, dumps) : source, target);
            return target;
          }),
        );
        const report = await importInProcess(join(dir, 'worklist.db'), files);
        assert.deepEqual(report.failed, []);
        assert.equal(report.imported.length, files.length);
        bridge = await startInProcessBridge(join(dir, 'worklist.db'));
      });
      /**
       * The C-FIND of each case with a query file, asked together with the group's other cases of
       * the same calling AE title over one association (one findscu run per AE title, not per case).
       */
      const batches = new Map<string, Promise<Map<string, FindscuResult>>>();
      const batchedFind = (c: ConformanceCase): Promise<FindscuResult | undefined> => {
        const aet = c.query.aet ?? 'FINDSCU';
        let batch = batches.get(aet);
        if (!batch) {
          const asked = cases.filter((other) => other.query.query_file && (other.query.aet ?? 'FINDSCU') === aet);
          batch = (async () => {
            const files = await Promise.all(asked.map((other) => dump2dcmOnce(join(conformanceDir, other.query.query_file!), dumps)));
            const results = await findscuBatchAsync(bridge.dicomPort, bridge.aeTitle, files, { extra: ['-aet', aet] });
            return new Map(asked.map((other, i) => [other.id, results[i]!]));
          })();
          batches.set(aet, batch);
        }
        return batch.then((results) => results.get(c.id));
      };
      after(async () => {
        await ifStarted(bridge)?.stop();
        rmSync(dir, { recursive: true, force: true });
      });
      for (const c of cases) {
        it(c.id, async () => {
          // As the suite's runner asks: the query file when there is one (.dump and .query files
          // are DCMTK text dumps alike), else the keys.
          const dimse = c.query.query_file
            ? await batchedFind(c)
            : await findscuAsync(bridge.dicomPort, bridge.aeTitle, c.query.keys, { extra: ['-aet', c.query.aet ?? 'FINDSCU'] });
          assert.ok(dimse, 'findscu answered the case');
          assert.equal(dimse.status, 0, dimse.stderr);
          const web = await dicomwebSearch(bridge.httpPort, searchParamsForKeys(c.query.keys));
          assert.equal(web.status, web.results.length ? 200 : 204);
          assert.equal(web.results.length, dimse.answers.length, 'number of items');
          const paths = answerPathsForKeys(c.query.keys);
          assert.deepEqual(
            fingerprints(
              web.results.map((r) => flattenDicomJson(r)),
              paths,
            ),
            fingerprints(
              dimse.answers.map((a) => a.values),
              paths,
            ),
          );
        });
      }
    });
  }
});
