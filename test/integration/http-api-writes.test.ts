/**
 * Items made and changed by hand through the management API, on a real bridge with a real HTTP
 * client: what is created, updated, cancelled and deleted there is what findscu gets; refusals name
 * the attribute and the fix; a read token cannot write; each change is in the message log with the
 * token's name; every answer validates against the served OpenAPI document.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { addTokens, findscu, ifStarted, mllpSendText, skipWithout, startBridge, tempDir, type RunningBridge } from '../helpers/peers.js';
import { order } from '../helpers/orders.js';
import { after, before, describe, it } from '../helpers/suites.js';

const skip = skipWithout('mllp_send', 'findscu', 'dcmdump');

type Operation = { responses: Record<string, { content?: Record<string, { schema: object }> }> };
interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
}

/** A complete worklist item as a RIS-less clerk would enter it (every type-1 attribute of PS3.4 K.6-1). */
function manualItem(over: {
  patientId: string;
  accession: string;
  modality?: string;
  date?: string;
  station?: string;
  placer?: string;
  spsId?: string;
}): Record<string, unknown> {
  return {
    ...(over.placer ? { '00402016': { vr: 'LO', Value: [over.placer] } } : {}),
    '00080050': { vr: 'SH', Value: [over.accession] },
    '00100010': { vr: 'PN', Value: [{ Alphabetic: 'DOWNTIME^DORA' }] },
    '00100020': { vr: 'LO', Value: [over.patientId] },
    '0020000D': { vr: 'UI', Value: ['1.2.826.0.1.3680043.10.543.77.1'] },
    '00401001': { vr: 'SH', Value: ['RP1'] },
    '00400100': {
      vr: 'SQ',
      Value: [
        {
          '00400001': { vr: 'AE', Value: [over.station ?? 'CT1'] },
          '00400002': { vr: 'DA', Value: [over.date ?? '20261203'] },
          '00400003': { vr: 'TM', Value: ['101500'] },
          '00080060': { vr: 'CS', Value: [over.modality ?? 'CT'] },
          '00400009': { vr: 'SH', Value: [over.spsId ?? 'SPS1'] },
        },
      ],
    },
  };
}

describe('management API: items by hand', { skip }, () => {
  let bridge: RunningBridge;
  let base: string;
  let readToken = '';
  let writeToken = '';
  let openApi: OpenApi;
  const dir = tempDir('mwl-api-w-');
  const tokens = join(dir, 'tokens');

  before(async () => {
    const added = addTokens(tokens, [
      ['monitor', 'read'],
      ['clerk', 'write'],
    ]);
    readToken = added.monitor ?? '';
    writeToken = added.clerk ?? '';
    assert.match(writeToken, /^mwlb_/);
    bridge = await startBridge(['--http-tokens-file', tokens], { dir });
    base = `http://127.0.0.1:${bridge.httpPort}`;
    openApi = (await (await fetch(`${base}/api/openapi.json`, { headers: { Authorization: `Bearer ${readToken}` } })).json()) as OpenApi;
  });
  after(async () => {
    await ifStarted(bridge)?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Sends a request and checks the answer against the OpenAPI document's schema for its path, method and status. */
  async function call(method: string, path: string, template: string, status: number, body?: unknown, token = writeToken): Promise<Record<string, unknown>> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/dicom+json' }) },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const json = (await response.json()) as Record<string, unknown>;
    assert.equal(response.status, status, `${method} ${path}: ${JSON.stringify(json)}`);
    const schema = openApi.paths[template]?.[method.toLowerCase()]?.responses[String(status)]?.content?.['application/json']?.schema;
    assert.ok(schema, `the OpenAPI document has a schema for ${method} ${template} ${status}`);
    const ajv = new Ajv2020({ strict: false });
    const validate = ajv.compile(schema);
    assert.ok(validate(json), `${method} ${path}: ${ajv.errorsText(validate.errors)}`);
    return json;
  }

  const find = (patientId: string): Array<Record<string, string>> =>
    findscu(bridge.dicomPort, bridge.aeTitle, [`PatientID=${patientId}`, '(0040,0100)[0].Modality', '(0040,0100)[0].ScheduledStationAETitle']).answers.map(
      (a) => a.values,
    );

  it('creates an item findscu finds, updates and cancels it, and deletes it', async () => {
    const created = await call('POST', '/api/v1/items', '/api/v1/items', 201, manualItem({ patientId: 'PAT-HAND', accession: 'ACC-HAND' }));
    assert.equal(created.status, 'SCHEDULED');
    const id = created.id as number;
    const answers = find('PAT-HAND');
    assert.equal(answers.length, 1);
    assert.equal(answers[0]?.['(0040,0100)>(0008,0060)'], 'CT');

    const updated = await call('PUT', `/api/v1/items/${id}`, '/api/v1/items/{id}', 200, [
      manualItem({ patientId: 'PAT-HAND', accession: 'ACC-HAND', modality: 'MR', station: 'MR1' }),
    ]);
    assert.equal(updated.status, 'SCHEDULED');
    const [changed, ...others] = find('PAT-HAND');
    assert.ok(changed);
    assert.equal(others.length, 0);
    assert.equal(changed['(0040,0100)>(0008,0060)'], 'MR');
    assert.equal(changed['(0040,0100)>(0040,0001)'], 'MR1');

    const cancelled = await call('POST', `/api/v1/items/${id}/cancel`, '/api/v1/items/{id}/cancel', 200);
    assert.equal(cancelled.status, 'CANCELED');
    assert.equal(find('PAT-HAND').length, 0);
    // A closed item stays closed.
    const again = await call('POST', `/api/v1/items/${id}/cancel`, '/api/v1/items/{id}/cancel', 409);
    assert.match(again.error as string, /is CANCELED: a closed item cannot be cancelled/);
    await call('PUT', `/api/v1/items/${id}`, '/api/v1/items/{id}', 409, manualItem({ patientId: 'PAT-HAND', accession: 'ACC-HAND' }));

    await call('DELETE', `/api/v1/items/${id}`, '/api/v1/items/{id}', 200);
    assert.equal((await fetch(`${base}/api/v1/items/${id}`, { headers: { Authorization: `Bearer ${readToken}` } })).status, 404);
    await call('DELETE', `/api/v1/items/${id}`, '/api/v1/items/{id}', 404);
    await call('POST', '/api/v1/items/999999/cancel', '/api/v1/items/{id}/cancel', 404);
  });

  it('records each change in the message log with the token name', async () => {
    const created = await call('POST', '/api/v1/items', '/api/v1/items', 201, manualItem({ patientId: 'PAT-LOG', accession: 'ACC-LOG' }));
    const response = await fetch(`${base}/api/v1/messages?patientId=PAT-LOG`, { headers: { Authorization: `Bearer ${readToken}` } });
    const [entry] = (await response.json()) as Array<Record<string, unknown>>;
    assert.ok(entry);
    assert.equal(entry.id, created.messageId);
    assert.equal(entry.source, 'http');
    assert.equal(entry.token, 'clerk');
    assert.equal(entry.action, 'created');
    assert.deepEqual(entry.itemIds, [created.id]);
    // The same order's step twice is a conflict, naming the stored item.
    const twice = await call('POST', '/api/v1/items', '/api/v1/items', 409, manualItem({ patientId: 'PAT-LOG', accession: 'ACC-LOG' }));
    assert.match(twice.error as string, new RegExp(`item ${String(created.id)} is this order's scheduled step already`));
  });

  it('refuses an invalid item naming the attribute and the fix, and stores nothing', async () => {
    const badDate = await call('POST', '/api/v1/items', '/api/v1/items', 400, manualItem({ patientId: 'PAT-BAD', accession: 'ACC-BAD1', date: '2026-12-03' }));
    assert.equal(badDate.code, 'ITEM_INVALID');
    assert.match(badDate.attribute as string, /\(0040,0002\) ScheduledProcedureStepStartDate/);
    assert.match(badDate.error as string, /"2026-12-03" is not a valid DA/);

    const noStation = manualItem({ patientId: 'PAT-BAD', accession: 'ACC-BAD2' });
    delete (noStation['00400100'] as { Value: Array<Record<string, unknown>> }).Value[0]?.['00400001'];
    const missing = await call('POST', '/api/v1/items', '/api/v1/items', 400, noStation);
    assert.equal(missing.attribute, '(0040,0001)');
    assert.match(missing.error as string, /ScheduledStationAETitle \(0040,0001\) has no value; it is type 1/);
    assert.match(missing.hint as string, /00400100/);

    const stringName = { ...manualItem({ patientId: 'PAT-BAD', accession: 'ACC-BAD3' }), '00100010': { vr: 'PN', Value: ['DOE^JANE'] } };
    assert.match((await call('POST', '/api/v1/items', '/api/v1/items', 400, stringName)).hint as string, /"Alphabetic": "DOE\^JANE"/);
    const wrongVr = { ...manualItem({ patientId: 'PAT-BAD', accession: 'ACC-BAD4' }), '00100020': { vr: 'DA', Value: ['PAT-BAD'] } };
    assert.match((await call('POST', '/api/v1/items', '/api/v1/items', 400, wrongVr)).error as string, /declared "vr": "DA", but its VR is LO/);
    assert.match((await call('POST', '/api/v1/items', '/api/v1/items', 400, { nope: 1 })).error as string, /not a DICOM JSON data set/);
    assert.match((await call('POST', '/api/v1/items', '/api/v1/items', 400, '{"00100020": ')).error as string, /JSON/);
    assert.equal(find('PAT-BAD').length, 0);
  });

  it("applies the RIS's later order to the item made by hand for it, and counts the item in the metrics", async () => {
    const scheduled = async (): Promise<number> => {
      const text = await (await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${readToken}` } })).text();
      return Number(/mwl_bridge_worklist_items\{status="SCHEDULED"\} (\d+)/.exec(text)?.[1] ?? 0);
    };
    const before = await scheduled();
    const made = await call(
      'POST',
      '/api/v1/items',
      '/api/v1/items',
      201,
      manualItem({ patientId: 'PAT-RIS', accession: 'ACC-RIS', placer: 'PLC-ACC-RIS', spsId: 'SPS-ACC-RIS' }),
    );
    assert.equal(await scheduled(), before + 1);
    // The RIS is back and sends the order: same placer order number and step, so it updates the item.
    const acks = mllpSendText(bridge.mllpPort, order({ controlId: 'RIS1', patientId: 'PAT-RIS', accession: 'ACC-RIS' }));
    assert.equal(
      acks[0]?.find((seg) => seg.startsWith('MSA|')),
      'MSA|AA|RIS1',
    );
    const answers = find('PAT-RIS');
    assert.equal(answers.length, 1, 'one item: the one made by hand, updated');
    assert.equal(answers[0]?.['(0040,0100)>(0008,0060)'], 'MR');
    const [entry] = (await (await fetch(`${base}/api/v1/messages?controlId=RIS1`, { headers: { Authorization: `Bearer ${readToken}` } })).json()) as Array<{
      itemIds: number[];
      action: string;
    }>;
    assert.deepEqual(entry?.itemIds, [made.id]);
    assert.equal(entry.action, 'updated');
  });

  it('refuses a change asked by a page of another site (Origin), whatever the token', async () => {
    const { id } = await call('POST', '/api/v1/items', '/api/v1/items', 201, manualItem({ patientId: 'PAT-CSRF', accession: 'ACC-CSRF' }));
    const response = await fetch(`${base}/api/v1/items/${String(id)}/cancel`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${writeToken}`, Origin: 'http://evil.example' },
    });
    assert.equal(response.status, 403);
    assert.match(((await response.json()) as { error: string }).error, /a change from a page of another site is refused/);
    assert.equal(find('PAT-CSRF').length, 1, 'not cancelled');
    const crossSite = await fetch(`${base}/api/v1/items/${String(id)}/cancel`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${writeToken}`, Origin: 'null', 'Sec-Fetch-Site': 'cross-site' },
    });
    assert.equal(crossSite.status, 403);
    // The bridge's own origin (the console's pages) may.
    const own = await fetch(`${base}/api/v1/items/${String(id)}/cancel`, { method: 'POST', headers: { Authorization: `Bearer ${writeToken}`, Origin: base } });
    assert.equal(own.status, 200);
  });

  it('lets a read token not write (403)', async () => {
    for (const [method, path] of [
      ['POST', '/api/v1/items'],
      ['PUT', '/api/v1/items/1'],
      ['POST', '/api/v1/items/1/cancel'],
      ['DELETE', '/api/v1/items/1'],
    ] as const) {
      const response = await fetch(`${base}${path}`, { method, headers: { Authorization: `Bearer ${readToken}` } });
      assert.equal(response.status, 403, `${method} ${path}`);
    }
  });
});
