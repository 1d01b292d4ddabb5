/**
 * The management API's tools on a real bridge with a real HTTP client: a message rejected under one
 * mapping is stored once the mapping is fixed and it is run again (a new message log entry naming
 * the old one; findscu finds the item); the mapping dry run gives the items, derived values and
 * ACK and stores nothing; the mirror's status, check and rebuild; the settings in force; the
 * metrics move. Every answer validates against the served OpenAPI document.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { addTokens, findscu, ifStarted, mllpSendText, projectDir, skipWithout, startBridgeProcess, tempDir, type BridgeProcess } from '../helpers/peers.js';
import { order } from '../helpers/orders.js';
import { after, before, describe, it } from '../helpers/suites.js';

const skip = skipWithout('mllp_send', 'findscu', 'dcmdump');

type Operation = { responses: Record<string, { content?: Record<string, { schema: object }> }> };
interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
}

/** The default mapping with PatientID read from PID-3 only (no fallback to PID-2), or with its fallbacks. */
function writeMapping(file: string, strict: boolean): void {
  const text = readFileSync(join(projectDir, 'mappings', 'default.yaml'), 'utf8');
  const line = '  PatientID: { from: ["PID-3[5=MR].1", PID-3.1, PID-2.1, PID-4.1] }';
  assert.ok(text.includes(line), 'the default mapping reads PatientID from PID-3, then PID-2');
  writeFileSync(file, strict ? text.replace(line, '  PatientID: { from: ["PID-3[5=MR].1", PID-3.1] }') : text);
}

describe('management API tools', { skip }, () => {
  let bridge: BridgeProcess;
  let base: string;
  let readToken = '';
  let writeToken = '';
  let openApi: OpenApi;
  const dir = tempDir('mwl-api-t-');
  const mapping = join(dir, 'site.yaml');
  const mirrorDir = join(dir, 'wl');
  const tokens = join(dir, 'tokens');
  // The patient ID in PID-2 only, as an old RIS sends it.
  const legacy = order({ controlId: 'OLD1', patientId: '', accession: 'ACC-OLD' }).replace('PID|1||', 'PID|1|PAT-OLD|');

  before(async () => {
    const added = addTokens(tokens, [
      ['monitor', 'read'],
      ['admin', 'write'],
    ]);
    readToken = added.monitor ?? '';
    writeToken = added.admin ?? '';
    writeMapping(mapping, true);
    bridge = await startBridgeProcess(
      ['--http-tokens-file', tokens, '--mapping', mapping, '--mirror-dir', mirrorDir, '--mirror-layout', 'flat', '--mllp-max-frame-bytes', '8192'],
      { dir },
    );
    base = `http://127.0.0.1:${bridge.httpPort}`;
    openApi = (await (await get('/api/openapi.json')).json()) as OpenApi;
  });
  after(async () => {
    await ifStarted(bridge)?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function get(path: string, token = readToken): Promise<Response> {
    return fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${token}` } });
  }

  /** The answer's JSON, checked against the OpenAPI document's schema for its path, method and status. */
  async function checked(response: Response, method: string, template: string, status: number): Promise<Record<string, unknown>> {
    const json = (await response.json()) as Record<string, unknown>;
    assert.equal(response.status, status, `${method} ${template}: ${JSON.stringify(json).slice(0, 500)}`);
    const schema = openApi.paths[template]?.[method]?.responses[String(status)]?.content?.['application/json']?.schema;
    assert.ok(schema, `the OpenAPI document has a schema for ${method} ${template} ${status}`);
    const ajv = new Ajv2020({ strict: false });
    const validate = ajv.compile(schema);
    assert.ok(validate(json), `${template}: ${ajv.errorsText(validate.errors)}`);
    return json;
  }

  const post = (path: string, token = writeToken, init: RequestInit = {}): Promise<Response> =>
    fetch(`${base}${path}`, {
      method: 'POST',
      ...init,
      headers: { Authorization: `Bearer ${token}`, ...(init.headers as Record<string, string> | undefined) },
    });

  it('stores a rejected message run again after a mapping fix, as a new log entry naming the old one', async () => {
    const acks = mllpSendText(bridge.mllpPort, legacy);
    assert.equal(acks[0]?.find((s) => s.startsWith('MSA|'))?.split('|')[1], 'AE', 'rejected: no patient ID under the strict mapping');
    const [rejected] = (await (await get('/api/v1/messages?controlId=OLD1')).json()) as Array<{ id: number; outcome: string }>;
    assert.ok(rejected);
    assert.equal(rejected.outcome, 'rejected');

    // Still the strict mapping: rejected again, logged again.
    const again = await checked(await post(`/api/v1/messages/${rejected.id}/reprocess`), 'post', '/api/v1/messages/{id}/reprocess', 200);
    assert.equal(again.outcome, 'rejected');

    writeMapping(mapping, false);
    bridge.process.kill('SIGHUP');
    await bridge.waitForLog(/mapping\.reloaded/);
    const metricsBefore = await (await get('/metrics')).text();
    const redone = await checked(await post(`/api/v1/messages/${rejected.id}/reprocess`), 'post', '/api/v1/messages/{id}/reprocess', 200);
    assert.equal(redone.outcome, 'stored');
    assert.equal(redone.ackCode, 'AA');
    assert.equal(redone.source, 'reprocess');
    assert.equal(redone.token, 'admin');
    assert.equal(redone.reprocessOf, rejected.id);
    assert.match(redone.ack as string, /MSA\|AA\|OLD1/);
    assert.equal((redone.itemIds as number[]).length, 1);
    const answers = findscu(bridge.dicomPort, bridge.aeTitle, ['PatientID=PAT-OLD', 'AccessionNumber']).answers;
    assert.equal(answers.length, 1);
    assert.equal(answers[0]?.values['(0008,0050)'], 'ACC-OLD');
    // The orders counter moved by the reprocessed message.
    const count = (text: string): number => Number(/mwl_bridge_hl7_messages_total\{type="ORM\^O01",ack="AA",outcome="stored"\} (\d+)/.exec(text)?.[1] ?? 0);
    assert.equal(count(await (await get('/metrics')).text()), count(metricsBefore) + 1);

    // A stored message is not run again; an unknown one is not found; a read token may not.
    const stored = await checked(await post(`/api/v1/messages/${String(redone.id)}/reprocess`), 'post', '/api/v1/messages/{id}/reprocess', 409);
    assert.match(stored.error as string, /was stored, not rejected/);
    await checked(await post('/api/v1/messages/999999/reprocess'), 'post', '/api/v1/messages/{id}/reprocess', 404);
    assert.equal((await post(`/api/v1/messages/${rejected.id}/reprocess`, readToken)).status, 403);
  });

  it('does not run again a message of which only the start was kept (over mllp.maxFrameBytes)', async () => {
    const big = order({ controlId: 'BIG1', patientId: 'PAT-BIG', accession: 'ACC-BIG', extra: [`NTE|1||${'x'.repeat(10_000)}`] });
    const acks = mllpSendText(bridge.mllpPort, big);
    assert.equal(acks[0]?.find((s) => s.startsWith('MSA|'))?.split('|')[1], 'AR');
    const [logged] = (await (await get('/api/v1/messages?controlId=BIG1')).json()) as Array<{ id: number }>;
    assert.ok(logged);
    const refused = await checked(await post(`/api/v1/messages/${logged.id}/reprocess`), 'post', '/api/v1/messages/{id}/reprocess', 409);
    assert.match(refused.error as string, /over mllp\.maxFrameBytes: only its first \d+ bytes were kept/);
    assert.equal(findscu(bridge.dicomPort, bridge.aeTitle, ['PatientID=PAT-BIG']).answers.length, 0);
  });

  it('answers a mapping dry run with the items, derived values and ACK, storing nothing', async () => {
    const hl7 = { 'Content-Type': 'x-application/hl7-v2+er7' };
    const message = order({ controlId: 'DRY1', patientId: 'PAT-DRY', accession: 'ACC-DRY' });
    const dry = await checked(await post('/api/v1/mapping/dry-run', writeToken, { body: message, headers: hl7 }), 'post', '/api/v1/mapping/dry-run', 200);
    assert.equal(dry.accepted, true);
    assert.match(dry.ack as string, /MSA\|AA\|DRY1/);
    const [item] = dry.items as Array<{ orderControl: string; dataset: Record<string, { Value?: unknown[] }> }>;
    assert.ok(item);
    assert.equal(item.orderControl, 'NW');
    assert.deepEqual(item.dataset['00100020']?.Value, ['PAT-DRY']);
    // The Study Instance UID is generated (no ZDS): a derived value, with why.
    assert.ok(
      (dry.derived as Array<{ attribute: string }>).some((d) => d.attribute === 'StudyInstanceUID'),
      JSON.stringify(dry.derived),
    );
    assert.equal(findscu(bridge.dicomPort, bridge.aeTitle, ['PatientID=PAT-DRY']).answers.length, 0, 'nothing stored');

    const bad = await checked(
      await post('/api/v1/mapping/dry-run', writeToken, { body: message.replace('ORC|NW|', 'ORC|ZZ|'), headers: { 'Content-Type': 'text/plain' } }),
      'post',
      '/api/v1/mapping/dry-run',
      200,
    );
    assert.equal(bad.accepted, false);
    assert.match(bad.rejection as string, /order control "ZZ" is not supported/);
    assert.match(bad.ack as string, /MSA\|AR\|DRY1|MSA\|AE\|DRY1/);
    const json = await post('/api/v1/mapping/dry-run', writeToken, { body: JSON.stringify({ message }), headers: { 'Content-Type': 'application/json' } });
    assert.equal(
      (await checked(json, 'post', '/api/v1/mapping/dry-run', 415)).error,
      'the message must be sent as x-application/hl7-v2+er7, application/hl7-v2, text/plain',
    );
    const huge = await post('/api/v1/mapping/dry-run', writeToken, { body: message + 'NTE|1||' + 'x'.repeat(70_000) + '\r', headers: hl7 });
    assert.equal(huge.status, 413);
  });

  it('shows the mirror, checks it and rebuilds it', async () => {
    const status = await checked(await get('/api/v1/mirror'), 'get', '/api/v1/mirror', 200);
    assert.equal(status.dir, mirrorDir);
    // Wait (bounded) for the mirror to write the stored item, then lose its file.
    let files: string[] = [];
    for (const until = Date.now() + 10000; files.length === 0 && Date.now() < until;) {
      files = existsSync(mirrorDir) ? readdirSync(mirrorDir).filter((f) => f.endsWith('.wl')) : [];
      if (files.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const [file] = files;
    assert.ok(file, 'the mirror wrote a file');
    unlinkSync(join(mirrorDir, file));
    const check = await checked(await get('/api/v1/mirror/check'), 'get', '/api/v1/mirror/check', 200);
    assert.equal((check.written as number[]).length, 1);
    assert.ok(!existsSync(join(mirrorDir, file)), 'a check changes nothing');
    const rebuilt = await checked(await post('/api/v1/mirror/rebuild'), 'post', '/api/v1/mirror/rebuild', 200);
    assert.deepEqual(rebuilt.written, check.written);
    assert.ok(existsSync(join(mirrorDir, file)), 'the rebuild wrote the file again');
  });

  it('shows the settings in force, the tokens file by its path only', async () => {
    const config = await checked(await get('/api/v1/config'), 'get', '/api/v1/config', 200);
    assert.equal(config['http.tokensFile'], tokens);
    assert.equal(config['mirror.dir'], mirrorDir);
    assert.equal(config['mllp.port'], 0);
    const text = JSON.stringify(config);
    assert.ok(!text.includes(readFileSync(tokens, 'utf8').split('\n')[0]?.split(' ')[2] ?? '(none)'), 'no token hash');
  });
});
