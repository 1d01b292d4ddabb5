/**
 * The management API, tokens and the OpenAPI document, on a real bridge with a real HTTP client:
 * tokens are required once configured (read may only read), a bridge without tokens refuses a
 * non-loopback address, and every API answer validates against the schema the served OpenAPI
 * document gives for it.
 */
import { after, before, describe, it } from '../helpers/suites.js';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { addTokens, findscu, ifStarted, mllpSendText, runCli, skipWithout, startBridge, tempDir, type RunningBridge } from '../helpers/peers.js';
import { order } from '../helpers/orders.js';

const skip = skipWithout('mllp_send', 'findscu');

interface OpenApiOperation {
  summary?: string;
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
  requestBody?: { content?: Record<string, { schema: object }> };
}

interface OpenApi {
  openapi: string;
  paths: Record<string, { get: { responses: Record<string, { content?: Record<string, { schema: object }> }> } }>;
}

describe('management API with tokens', { skip }, () => {
  let bridge: RunningBridge;
  let base: string;
  let readToken: string;
  let writeToken: string;
  let openApi: OpenApi;
  const dir = tempDir('mwl-api-');
  const tokens = join(dir, 'tokens');

  before(async () => {
    const added = addTokens(tokens, [
      ['monitor', 'read'],
      ['admin', 'write'],
    ]);
    readToken = added.monitor ?? '';
    writeToken = added.admin ?? '';
    assert.match(readToken, /^mwlb_[A-Za-z0-9_-]{43}$/);
    bridge = await startBridge(['--http-tokens-file', tokens], { dir });
    base = `http://127.0.0.1:${bridge.httpPort}`;
    const acks = mllpSendText(bridge.mllpPort, order({ controlId: 'API1', accession: 'ACC-API', patientId: 'PAT-API' }));
    assert.equal(acks[0]?.[1], 'MSA|AA|API1');
    openApi = (await (await get('/api/openapi.json', readToken)).json()) as OpenApi;
  });
  after(async () => {
    await ifStarted(bridge)?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (path: string, token?: string): Promise<Response> => fetch(`${base}${path}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });

  /** The response's body, checked against the schema the OpenAPI document gives for that path and status. */
  async function checked(path: string, template: string, status: number): Promise<unknown> {
    const response = await get(path, readToken);
    assert.equal(response.status, status, path);
    const body: unknown = await response.json();
    const schema = openApi.paths[template]?.get.responses[String(status)]?.content?.['application/json']?.schema;
    assert.ok(schema, `the OpenAPI document has a schema for ${template} ${status}`);
    const ajv = new Ajv2020({ strict: false });
    const validate = ajv.compile(schema);
    assert.ok(validate(body), `${path}: ${ajv.errorsText(validate.errors)}`);
    return body;
  }

  it('leaves /health and /ready open, and asks for a token everywhere else', async () => {
    assert.equal((await get('/health')).status, 200);
    assert.equal((await get('/ready')).status, 200);
    for (const path of ['/dicom-web/modality-scheduled-procedure-steps', '/metrics', '/api/v1/items', '/api/openapi.json']) {
      const none = await get(path);
      assert.equal(none.status, 401, path);
      assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="mwl-bridge"');
      assert.equal((await get(path, 'mwlb_not-a-token')).status, 401, path);
      assert.equal((await get(path, readToken)).status, 200, path);
    }
  });

  it('lets a read token only read', async () => {
    const post = (token: string): Promise<Response> => fetch(`${base}/api/v1/items`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
    assert.equal((await post(readToken)).status, 403);
    // A write token gets past the check, to the route's own answer (no data set sent: 400).
    assert.equal((await post(writeToken)).status, 400);
  });

  it('lists and shows items, validated against the OpenAPI document', async () => {
    const items = (await checked('/api/v1/items?patientId=PAT-API', '/api/v1/items', 200)) as Array<{
      id: number;
      dataset: Record<string, { Value?: unknown[] }>;
    }>;
    assert.equal(items.length, 1);
    const [item] = items;
    assert.ok(item);
    assert.deepEqual(item.dataset['00080050']?.Value, ['ACC-API']);
    const one = (await checked(`/api/v1/items/${item.id}`, '/api/v1/items/{id}', 200)) as { id: number };
    assert.equal(one.id, item.id);
    await checked('/api/v1/items/999999', '/api/v1/items/{id}', 404);
    await checked('/api/v1/items/abc', '/api/v1/items/{id}', 400);
    await checked('/api/v1/items?nope=1', '/api/v1/items', 400);
    await checked('/api/v1/items?limit=100000', '/api/v1/items', 400);
    assert.deepEqual(await checked(`/api/v1/items?before=${item.id}`, '/api/v1/items', 200), []);
  });

  it('lists and shows logged messages with their raw text and ACK', async () => {
    const messages = (await checked('/api/v1/messages?controlId=API1', '/api/v1/messages', 200)) as Array<{ id: number; outcome: string; ackCode: string }>;
    assert.equal(messages.length, 1);
    const [message] = messages;
    assert.ok(message);
    assert.equal(message.ackCode, 'AA');
    const detail = (await checked(`/api/v1/messages/${message.id}`, '/api/v1/messages/{id}', 200)) as { raw: string; rawBase64: string; ack: string };
    assert.match(detail.raw, /^MSH\|\^~\\&\|RIS\|/);
    assert.equal(Buffer.from(detail.rawBase64, 'base64').toString('utf8'), detail.raw);
    assert.match(detail.ack, /MSA\|AA\|API1/);
    await checked('/api/v1/messages?outcome=nonsense', '/api/v1/messages', 400);
  });

  it('lists and shows logged C-FIND queries', async () => {
    assert.equal(findscu(bridge.dicomPort, bridge.aeTitle, ['PatientID=PAT-API'], { extra: ['-aet', 'API_CT'] }).answers.length, 1);
    // The query log is written in batches off the query path: wait (bounded) until the query is there.
    let queries: Array<{ id: number; keys: string; answers: number }> = [];
    for (const until = Date.now() + 10000; queries.length === 0 && Date.now() < until;) {
      queries = (await checked('/api/v1/queries?callingAeTitle=API_CT', '/api/v1/queries', 200)) as typeof queries;
      if (queries.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const [query] = queries;
    assert.ok(query, 'the C-FIND is in the query log');
    assert.equal(query.keys, 'PatientID=PAT-API');
    assert.equal(query.answers, 1);
    const one = (await checked(`/api/v1/queries/${query.id}`, '/api/v1/queries/{id}', 200)) as { identifier: Record<string, unknown> };
    assert.ok(one.identifier['00100020']);
    await checked('/api/v1/queries/999999', '/api/v1/queries/{id}', 404);
  });

  it('explains a logged query that did not answer an order (read only)', async () => {
    const keys = ['PatientID=PAT-API', 'ScheduledProcedureStepSequence[0].Modality=CT'];
    assert.equal(findscu(bridge.dicomPort, bridge.aeTitle, keys, { extra: ['-aet', 'API_WHY'] }).answers.length, 0);
    let queries: Array<{ id: number }> = [];
    for (const until = Date.now() + 10000; queries.length === 0 && Date.now() < until;) {
      queries = (await checked('/api/v1/queries?callingAeTitle=API_WHY', '/api/v1/queries', 200)) as typeof queries;
      if (queries.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const id = queries[0]?.id ?? 0;
    const template = '/api/v1/queries/{id}/explain';
    const report = (await checked(`/api/v1/queries/${id}/explain?accessionNumber=ACC-API`, template, 200)) as {
      items: Array<{ answered: boolean; reasons: string[] }>;
    };
    assert.equal(report.items[0]?.answered, false);
    assert.match(report.items[0].reasons.join(' '), /Modality: query "CT", item "MR"/);
    await checked(`/api/v1/queries/${id}/explain`, template, 200);
    await checked('/api/v1/queries/999999/explain', template, 404);
    await checked(`/api/v1/queries/${id}/explain?accession=ACC-API`, template, 400);
  });

  it('serves an OpenAPI 3.1 document naming every endpoint', () => {
    assert.equal(openApi.openapi, '3.1.0');
    // Every operation has a summary and answers, and every schema in it compiles.
    const ajv = new Ajv2020({ strict: false });
    for (const [path, operations] of Object.entries(openApi.paths as Record<string, Record<string, OpenApiOperation>>)) {
      for (const [method, op] of Object.entries(operations)) {
        assert.ok(op.summary && Object.keys(op.responses).length > 0, `${method} ${path}`);
        const bodies = [...Object.values(op.responses), op.requestBody ?? {}].flatMap((r) => Object.values(r.content ?? {}));
        for (const { schema } of bodies) assert.doesNotThrow(() => ajv.compile(schema), `${method} ${path}`);
      }
    }
    for (const path of [
      '/api/v1/items',
      '/api/v1/items/{id}',
      '/api/v1/messages',
      '/api/v1/messages/{id}',
      '/api/v1/queries',
      '/api/v1/queries/{id}',
      '/api/v1/items/{id}/cancel',
      '/api/v1/messages/{id}/reprocess',
      '/api/v1/mapping/dry-run',
      '/api/v1/mirror',
      '/api/v1/mirror/check',
      '/api/v1/mirror/rebuild',
      '/api/v1/config',
      '/api/v1/queries/{id}/explain',
      '/dicom-web/modality-scheduled-procedure-steps',
      '/dicom-web/modality-performed-procedure-steps/{uid}',
      '/health',
      '/ready',
      '/metrics',
      '/api/openapi.json',
    ]) {
      assert.ok(openApi.paths[path], path);
    }
  });
});

describe('HTTP server without tokens', { skip }, () => {
  it('refuses to listen on a non-loopback address, saying why', () => {
    const dir = tempDir('mwl-api-');
    const r = runCli(['start', '--db', join(dir, 'w.db'), '--mllp-port', 'off', '--dicom-port', '0', '--http-port', '0', '--http-host', '0.0.0.0']);
    rmSync(dir, { recursive: true, force: true });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /CONFIG_INVALID: http\.host 0\.0\.0\.0 is not a loopback address, and no access tokens are configured \(http\.tokensFile\)/);
  });
});
