/**
 * Per-client policies over DICOMweb: a token with an AE title (mwl-bridge token --ae) searches as a
 * C-FIND from that AE title, so dicom.callingAeSettings (onlyOwnStation, maxAnswers) give the same
 * answers to findscu -aet X and to a DICOMweb search with X's token; http.callingAeTitle is the AE
 * title of a token that names none. The query log and the metrics name the AE title.
 */
import { after, before, describe, it } from '../helpers/suites.js';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DicomJson } from '../../src/model/item.js';
import { findscu, ifStarted, mllpSendFramed, projectDir, runCli, skipWithout, startBridge, tempDir, type RunningBridge } from '../helpers/peers.js';

const skip = skipWithout('mllp_send', 'findscu');
const sample = (name: string) => readFileSync(join(projectDir, 'samples', name));
const settings = { CT_SCANNER_1: { onlyOwnStation: true, maxAnswers: 5 }, CAPPED: { maxAnswers: 2 } };
const SEARCH = '/dicom-web/modality-scheduled-procedure-steps';

/** A string value of a DICOM JSON element ("" for none). */
const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** The patient and step IDs of answers, sorted: what both protocols must agree on. */
function stepsOfJson(results: DicomJson[]): string[] {
  return results
    .map((r) => {
      const sps = (r['00400100']?.Value?.[0] ?? {}) as DicomJson;
      return `${text(r['00100020']?.Value?.[0])}/${text(sps['00400009']?.Value?.[0])}`;
    })
    .sort();
}

describe('DICOMweb search with a calling AE title', { skip }, () => {
  let bridge: RunningBridge;
  const tokens: Record<string, string> = {};
  let tokensFile: string;

  before(async () => {
    tokensFile = join(tempDir(), 'tokens');
    for (const [name, ae] of [
      ['ct', 'CT_SCANNER_1'],
      ['capped', 'CAPPED'],
      ['plain', undefined],
    ] as const) {
      const r = runCli(['token', name, '--role', 'read', ...(ae ? ['--ae', ae] : []), '--http-tokens-file', tokensFile]);
      assert.equal(r.status, 0, r.stderr);
      tokens[name] = r.stdout.trim();
    }
    assert.match(readFileSync(tokensFile, 'utf8'), /^ct read sha256:[0-9a-f]{64} ae=CT_SCANNER_1$/m);
    // A token without an AE title searches as http.callingAeTitle (here FRONT_DESK, which has no settings).
    bridge = await startBridge(['--calling-ae-settings', JSON.stringify(settings), '--http-tokens-file', tokensFile, '--http-calling-ae-title', 'FRONT_DESK']);
    mllpSendFramed(bridge.mllpPort, [
      sample('orm-latin1.hl7'),
      sample('omi-o23-ct-chest-abdomen.hl7'),
      sample('orm-ct-head.hl7'),
      sample('orm-us-abdomen-utf8.hl7'),
    ]);
  });
  after(async () => {
    await ifStarted(bridge)?.stop();
  });

  const search = async (token: string, query = 'includefield=00400100.00400009'): Promise<{ status: number; headers: Headers; results: DicomJson[] }> => {
    const response = await fetch(`http://127.0.0.1:${bridge.httpPort}${SEARCH}?${query}`, {
      headers: { Accept: 'application/dicom+json', Authorization: `Bearer ${token}` },
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, results: response.status === 200 ? (JSON.parse(text) as DicomJson[]) : [] };
  };
  const findSteps = (aeTitle: string): string[] =>
    findscu(bridge.dicomPort, bridge.aeTitle, ['PatientID', 'ScheduledProcedureStepSequence[0].ScheduledProcedureStepID'], { extra: ['-aet', aeTitle] })
      .answers.map((a) => `${a.values['(0010,0020)'] ?? ''}/${a.values['(0040,0100)>(0040,0009)'] ?? ''}`)
      .sort();

  it('onlyOwnStation: findscu -aet CT_SCANNER_1 and the token for CT_SCANNER_1 get the same steps', async () => {
    const dimse = findscu(bridge.dicomPort, bridge.aeTitle, ['PatientID', 'ScheduledProcedureStepSequence[0].ScheduledProcedureStepID'], {
      extra: ['-aet', 'CT_SCANNER_1'],
    });
    assert.deepEqual(dimse.answers.map((a) => a.values['(0010,0020)']).sort(), ['PAT1005', 'PAT1005']);
    const web = await search(tokens.ct!);
    assert.equal(web.status, 200);
    assert.deepEqual(
      web.results.map((r) => r['00100020']?.Value?.[0]),
      ['PAT1005', 'PAT1005'],
    );
    assert.equal(web.headers.get('warning'), null);
    // The same steps, not only the same patients.
    assert.equal(new Set(stepsOfJson(web.results)).size, 2);
  });

  it('maxAnswers: findscu -aet CAPPED and the token for CAPPED get the same 2 answers; no further page is offered', async () => {
    const dimse = findSteps('CAPPED');
    const web = await search(tokens.capped!);
    assert.equal(web.results.length, 2);
    assert.deepEqual(stepsOfJson(web.results), dimse);
    assert.match(
      web.headers.get('warning') ?? '',
      /^299 mwl-bridge "The number of results exceeded the answer limit of calling AE title CAPPED \(2\); narrow the query"$/,
    );
    // A page past the AE title's limit is empty, as the C-FIND has no third answer.
    assert.equal((await search(tokens.capped!, 'offset=2')).status, 204);
    // Within the limit, limit and offset page as usual.
    const first = await search(tokens.capped!, 'limit=1&includefield=00400100.00400009');
    assert.match(first.headers.get('warning') ?? '', /additional results that can be requested \(offset=1\)/);
    const second = await search(tokens.capped!, 'limit=1&offset=1&includefield=00400100.00400009');
    assert.deepEqual([...stepsOfJson(first.results), ...stepsOfJson(second.results)].sort(), dimse);
  });

  it('a token without an AE title searches as http.callingAeTitle, which has no settings: every step, as findscu -aet FRONT_DESK', async () => {
    const web = await search(tokens.plain!);
    assert.deepEqual(stepsOfJson(web.results), findSteps('FRONT_DESK'));
    assert.equal(web.results.length, 5);
  });

  it('the query log and the metrics name the calling AE title', async () => {
    const auth = { Authorization: `Bearer ${tokens.ct!}` };
    const logged = (await (await fetch(`http://127.0.0.1:${bridge.httpPort}/api/v1/queries?callingAeTitle=CT_SCANNER_1`, { headers: auth })).json()) as Array<{
      kind: string;
      callingAeTitle: string;
      aeSetting: unknown;
      remote: string;
    }>;
    const web = logged.filter((q) => q.kind === 'dicomweb');
    assert.ok(web.length >= 1, JSON.stringify(logged));
    assert.deepEqual(web[0]!.aeSetting, settings.CT_SCANNER_1);
    assert.match(web[0]!.remote, /\(token ct\)/);
    assert.ok(
      logged.some((q) => q.kind === 'find'),
      'the C-FIND from the same AE title is beside it',
    );
    const metrics = await (await fetch(`http://127.0.0.1:${bridge.httpPort}/metrics`, { headers: auth })).text();
    assert.match(metrics, /^mwl_bridge_worklist_searches_total\{protocol="dicomweb",calling_ae="CT_SCANNER_1"\} [1-9]\d*$/m);
    assert.match(metrics, /^mwl_bridge_worklist_searches_total\{protocol="dimse",calling_ae="CT_SCANNER_1"\} [1-9]\d*$/m);
    assert.match(metrics, /^mwl_bridge_worklist_searches_total\{protocol="dicomweb",calling_ae="FRONT_DESK"\} [1-9]\d*$/m);
  });
});

describe('AE titles of tokens and dicom.allowedCallingAeTitles', { skip: skipWithout('findscu') }, () => {
  it('start refuses a token whose AE title may not associate', async () => {
    const file = join(tempDir(), 'tokens');
    assert.equal(runCli(['token', 'ward', '--ae', 'WARD_PC', '--http-tokens-file', file]).status, 0);
    await assert.rejects(
      startBridge(['--http-tokens-file', file, '--allowed-calling-ae-titles', 'CT_1,MR_1']),
      /token ward searches as AE title WARD_PC, which is not in dicom\.allowedCallingAeTitles/,
    );
  });

  it('the token command refuses what is not an AE title', () => {
    const r = runCli(['token', 'bad', '--ae', 'A\\B', '--http-tokens-file', join(tempDir(), 'tokens')]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /not an AE title/);
  });
});
