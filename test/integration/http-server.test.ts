/**
 * The HTTP server of a real bridge, with a real HTTP client (fetch): health and readiness, the
 * DICOMweb search's statuses, headers, paging and includefield, and metrics that move as orders
 * and queries arrive.
 */
import { after, before, describe, it } from '../helpers/suites.js';
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { connect, type Socket } from 'node:net';
import { findscu, ifStarted, mllpSendText, skipWithout, startBridge, type RunningBridge } from '../helpers/peers.js';
import { order } from '../helpers/orders.js';
import { dicomwebSearch } from '../helpers/dicomweb.js';

const skip = skipWithout('mllp_send', 'findscu');

/** The value of one sample of a Prometheus text exposition, or undefined. */
function sample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('HTTP server', { skip }, () => {
  let bridge: RunningBridge;
  let base: string;
  before(async () => {
    bridge = await startBridge();
    base = `http://127.0.0.1:${bridge.httpPort}`;
    const acks = mllpSendText(
      bridge.mllpPort,
      ['ACC1', 'ACC2', 'ACC3'].map((accession, i) => order({ controlId: `C${i}`, accession, patientId: 'PAT-WEB' })).join('\r\n'),
    );
    assert.deepEqual(
      acks.map((a) => a[1]?.split('|')[1]),
      ['AA', 'AA', 'AA'],
    );
  });
  after(async () => {
    await ifStarted(bridge)?.stop();
  });

  it('sends /console and /console/ to the Today page of the console', async () => {
    for (const path of ['/console', '/console/']) {
      const response = await fetch(`http://127.0.0.1:${bridge.httpPort}${path}`, { redirect: 'manual' });
      assert.equal(response.status, 302, path);
      assert.equal(response.headers.get('location'), '/', path);
    }
    const today = await fetch(`http://127.0.0.1:${bridge.httpPort}/console/`);
    assert.equal(today.status, 200);
    assert.match(await today.text(), /<h1[^>]*>Today<\/h1>/);
  });

  it('answers /health and /ready with every check passing', async () => {
    const health = await fetch(`${base}/health`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const ready = await fetch(`${base}/ready`);
    assert.equal(ready.status, 200);
    const body = (await ready.json()) as { status: string; checks: Record<string, { ok: boolean }> };
    assert.equal(body.status, 'ready');
    assert.deepEqual(Object.keys(body.checks).sort(), ['dicom', 'mllp', 'store']);
  });

  it('finds items by keyword, tag and sequence path, in DICOM JSON', async () => {
    const byId = await dicomwebSearch(bridge.httpPort, 'PatientID=PAT-WEB&AccessionNumber=ACC2');
    assert.equal(byId.status, 200);
    assert.equal(byId.headers.get('content-type'), 'application/dicom+json');
    assert.equal(byId.results.length, 1);
    const [item] = byId.results;
    assert.ok(item);
    assert.deepEqual(item['00100020'], { vr: 'LO', Value: ['PAT-WEB'] });
    assert.deepEqual(item['00080050'], { vr: 'SH', Value: ['ACC2'] });
    const steps = item['00400100']?.Value as Array<Record<string, { Value?: unknown[] }>>;
    assert.deepEqual(steps[0]?.['00080060']?.Value, ['MR']);
    assert.equal((await dicomwebSearch(bridge.httpPort, 'PatientID=PAT-WEB&ScheduledProcedureStepSequence.Modality=MR')).results.length, 3);
    assert.equal((await dicomwebSearch(bridge.httpPort, '00100020=PAT-WEB&00400100.00080060=MR')).results.length, 3);
    const none = await dicomwebSearch(bridge.httpPort, 'PatientID=PAT-WEB&00400100.00080060=CT');
    assert.equal(none.status, 204);
  });

  it('returns whole items with includefield=all, and named fields with includefield', async () => {
    const all = await dicomwebSearch(bridge.httpPort, 'AccessionNumber=ACC1&includefield=all');
    const some = await dicomwebSearch(bridge.httpPort, 'AccessionNumber=ACC1&includefield=PatientAge,00321064');
    const [whole] = all.results;
    const [named] = some.results;
    assert.ok(whole && named);
    assert.ok(Object.keys(whole).length > Object.keys(named).length);
    assert.deepEqual(named['00101010'], { vr: 'AS' }, 'a field the item lacks comes back without a value');
    assert.ok(named['00321064'], 'RequestedProcedureCodeSequence');
  });

  it('pages with limit and offset, saying when more results remain', async () => {
    const first = await dicomwebSearch(bridge.httpPort, 'PatientID=PAT-WEB&limit=2');
    assert.equal(first.results.length, 2);
    assert.match(first.headers.get('warning') ?? '', /^299 mwl-bridge "There are additional results that can be requested \(offset=2\)"$/);
    const rest = await dicomwebSearch(bridge.httpPort, 'PatientID=PAT-WEB&limit=2&offset=2');
    assert.equal(rest.results.length, 1);
    assert.equal(rest.headers.get('warning'), null);
    const accessions = [...first.results, ...rest.results].map((r) => r['00080050']?.Value?.[0]).sort();
    assert.deepEqual(accessions, ['ACC1', 'ACC2', 'ACC3']);
    const fuzzy = await dicomwebSearch(bridge.httpPort, 'PatientID=PAT-WEB&fuzzymatching=true');
    assert.match(fuzzy.headers.get('warning') ?? '', /fuzzymatching parameter is not supported/);
  });

  it('refuses bad parameters with 400 and a Warning, and other media types with 406', async () => {
    const bad = [
      'Foo=1',
      'PatientID.PatientName=x',
      'PatientID=1&PatientID=2',
      'limit=0',
      'offset=-1',
      'offset=99999999999',
      'fuzzymatching=maybe',
      'includefield=NotAKeyword',
      `PatientID=${'x'.repeat(2000)}`,
      Array.from({ length: 65 }, () => 'includefield=PatientID').join('&'),
      '00100020.00100010=1',
      'ScheduledProcedureStepSequence=MR',
      'constructor=1',
      'includefield=toString',
    ];
    for (const query of bad) {
      const response = await dicomwebSearch(bridge.httpPort, query);
      assert.equal(response.status, 400, query.slice(0, 60));
      assert.match(response.headers.get('warning') ?? '', /^299 mwl-bridge "/, query.slice(0, 60));
    }
    const xml = await fetch(`${base}/dicom-web/modality-scheduled-procedure-steps`, { headers: { Accept: 'application/dicom+xml' } });
    assert.equal(xml.status, 406);
    const missing = await fetch(`${base}/no-such-thing`);
    assert.equal(missing.status, 404);
  });

  it('keeps answering while 300 connections send half a request header and wait (they cannot fill the connection bound)', async () => {
    const sockets: Socket[] = [];
    try {
      await Promise.all(
        Array.from(
          { length: 300 },
          () =>
            new Promise<void>((resolve) => {
              const socket = connect(bridge.httpPort, '127.0.0.1', () => {
                socket.write('GET /health HTTP/1.1\r\nHost: x\r\n');
                resolve();
              });
              socket.on('error', () => {
                resolve();
              });
              sockets.push(socket);
            }),
        ),
      );
      const started = Date.now();
      // A new connection, as a new client's (a pooled keep-alive one may be among those evicted).
      const status = await new Promise<number | undefined>((resolve, reject) => {
        get(`${base}/health`, { agent: false, timeout: 5000 }, (response) => {
          response.resume();
          resolve(response.statusCode);
        }).on('error', reject);
      });
      assert.equal(status, 200);
      assert.ok(Date.now() - started < 2000, `answered in ${Date.now() - started} ms`);
      await bridge.waitForLog(/http\.connection_evicted .*the oldest without a request being answered makes room/);
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });

  it('counts orders, searches by protocol and calling AE, and items by status in /metrics', async () => {
    const before = await (await fetch(`${base}/metrics`)).text();
    assert.equal(sample(before, 'mwl_bridge_hl7_messages_total{type="ORM^O01",ack="AA",outcome="stored"}'), 3);
    assert.equal(sample(before, 'mwl_bridge_hl7_ack_seconds_count'), 3);
    assert.equal(sample(before, 'mwl_bridge_worklist_items{status="SCHEDULED"}'), 3);
    assert.ok((sample(before, 'mwl_bridge_nodejs_eventloop_lag_seconds') ?? -1) >= 0, 'event-loop lag');
    const webBefore = sample(before, 'mwl_bridge_worklist_searches_total{protocol="dicomweb",calling_ae="http"}') ?? 0;
    const found = findscu(bridge.dicomPort, bridge.aeTitle, ['PatientID=PAT-WEB'], { extra: ['-aet', 'METRICS_CT'] });
    assert.equal(found.answers.length, 3);
    await dicomwebSearch(bridge.httpPort, 'PatientID=PAT-WEB');
    const after = await (await fetch(`${base}/metrics`)).text();
    assert.equal(sample(after, 'mwl_bridge_worklist_searches_total{protocol="dimse",calling_ae="METRICS_CT"}'), 1);
    assert.equal(sample(after, 'mwl_bridge_worklist_searches_total{protocol="dicomweb",calling_ae="http"}'), webBefore + 1);
    assert.equal(sample(after, 'mwl_bridge_dicom_associations_open'), 0);
    assert.equal(sample(after, 'mwl_bridge_mllp_connections_refused_total'), 0);
    assert.equal(sample(after, 'mwl_bridge_mirror_failures_total'), 0);
    assert.ok((sample(after, 'mwl_bridge_mllp_connections_open') ?? -1) >= 0);
  });
});

describe('HTTP server turned off', { skip }, () => {
  it('starts without it when http.port is off', async () => {
    const bridge = await startBridge([], { http: false, mllp: false });
    try {
      assert.match(bridge.log(), /http\.disabled reason="http\.port is off"/);
    } finally {
      await bridge.stop();
    }
  });
});
