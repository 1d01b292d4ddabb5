/**
 * DICOMweb MPPS (PS3.18 chapter 15) on a real bridge with fetch as the modality: create and update
 * change the worklist item as DIMSE MPPS does, and the RIS gets the same HL7 status messages.
 */
import { after, before, describe, it } from '../helpers/suites.js';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { freePort, ifStarted, mllpSend, projectDir, skipWithout, startBridge, type RunningBridge } from '../helpers/peers.js';
import { dicomwebSearch, mppsCreateJson } from '../helpers/dicomweb.js';
import { MllpListener } from '../../src/hl7/mllp.js';
import { silentLogger } from '../../src/log.js';

const MPPS_UID = '1.2.826.0.1.3680043.10.543.9.77';

describe('DICOMweb MPPS', { skip: skipWithout('mllp_send') }, () => {
  let bridge: RunningBridge;
  let ris: MllpListener;
  const received: string[] = [];
  let base: string;
  let studyUid: string;

  before(async () => {
    const risPort = await freePort();
    ris = new MllpListener({
      host: '127.0.0.1',
      port: risPort,
      maxFrameBytes: 1024 * 1024,
      logger: silentLogger,
      onMessage: (bytes) => {
        const text = bytes.toString('utf8');
        received.push(text);
        const id = text.split('\r')[0]?.split('|')[9] ?? '';
        return Promise.resolve(Buffer.from(`MSH|^~\\&|RIS|H|MWL|H|20261123||ACK^O01|R${id}|P|2.3.1\rMSA|AA|${id}\r`));
      },
    });
    await ris.start();
    bridge = await startBridge(['--mpps-hl7-destination', `127.0.0.1:${risPort}`, '--mpps-hl7-retry-seconds', '1']);
    base = `http://127.0.0.1:${bridge.httpPort}/dicom-web/modality-performed-procedure-steps`;
    mllpSend(bridge.mllpPort, join(projectDir, 'samples', 'orm-mr-knee.hl7'));
    const found = await dicomwebSearch(bridge.httpPort, 'AccessionNumber=ACC1002');
    const uid = found.results[0]?.['0020000D']?.Value?.[0];
    assert.equal(typeof uid, 'string');
    studyUid = uid as string;
  });
  after(async () => {
    await ifStarted(bridge)?.stop();
    await ifStarted(ris)?.stop();
  });

  const post = (path: string, body: unknown, contentType = 'application/dicom+json'): Promise<Response> =>
    fetch(`${base}/${path}`, { method: 'POST', headers: { 'Content-Type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const stepStatus = async (): Promise<unknown[]> =>
    (await dicomwebSearch(bridge.httpPort, 'AccessionNumber=ACC1002')).results.map(
      (r) => (r['00400100']?.Value?.[0] as Record<string, { Value?: unknown[] }> | undefined)?.['00400020']?.Value?.[0],
    );
  const created = (status: string): unknown => [
    mppsCreateJson({ status, station: 'WEB_MODALITY', accession: 'ACC1002', stepId: 'SPS1002', studyUid, requestedProcedureId: 'RP1002' }),
  ];

  it('create IN PROGRESS marks the step STARTED; a second create is a conflict', async () => {
    assert.deepEqual(await stepStatus(), ['SCHEDULED']);
    assert.equal((await post(MPPS_UID, created('IN PROGRESS'))).status, 201);
    assert.deepEqual(await stepStatus(), ['STARTED']);
    const again = await post(MPPS_UID, created('IN PROGRESS'));
    assert.equal(again.status, 409);
    assert.match(again.headers.get('warning') ?? '', /exists already/);
  });

  it('update COMPLETED takes the step off the worklist; later updates are conflicts', async () => {
    assert.equal((await post(`${MPPS_UID}?update`, { '00400252': { vr: 'CS', Value: ['COMPLETED'] } })).status, 200);
    assert.deepEqual(await stepStatus(), []);
    assert.equal((await post(`${MPPS_UID}?update`, { '00400252': { vr: 'CS', Value: ['DISCONTINUED'] } })).status, 409);
    const retrieved = await fetch(`${base}/${MPPS_UID}`);
    assert.equal(retrieved.status, 200);
    const [dataset] = (await retrieved.json()) as Array<Record<string, { Value?: unknown[] }>>;
    assert.deepEqual(dataset?.['00400252']?.Value, ['COMPLETED']);
  });

  it('sends the RIS the same HL7 status messages as DIMSE MPPS (ORC-5 IP, then CM)', async () => {
    await bridge.waitForLog(/hl7\.outbound_sent(.|\n)*hl7\.outbound_sent/);
    const orc = received.map((m) =>
      m
        .split('\r')
        .find((s) => s.startsWith('ORC|'))
        ?.split('|'),
    );
    assert.deepEqual(
      orc.map((f) => [f?.[1], f?.[5]]),
      [
        ['SC', 'IP'],
        ['SC', 'CM'],
      ],
    );
  });

  it('refuses unknown instances, bad payloads and bad UIDs', async () => {
    assert.equal((await post('1.2.3.999?update', { '00400252': { vr: 'CS', Value: ['COMPLETED'] } })).status, 404);
    assert.equal((await fetch(`${base}/1.2.3.999`)).status, 404);
    assert.equal((await post('1.2.3.5', '{"not json')).status, 400);
    assert.equal((await post('1.2.3.5', [{}, {}])).status, 400);
    assert.equal((await post('1.2.3.5', { nope: { vr: 'CS' } })).status, 400);
    assert.equal((await post('1.2.3.5', { '00400252': { vr: 'CS', Value: [{ a: 1 }] } })).status, 400);
    assert.equal((await post('1.2.3.5', created('COMPLETED'))).status, 400, 'only IN PROGRESS may be created');
    assert.equal((await post('not-a-uid', created('IN PROGRESS'))).status, 400);
    assert.equal((await post('1.2.3.5', 'x', 'text/plain')).status, 415);
    assert.equal((await post('1.2.3.5', '{"__proto__": {"x": 1}}')).status, 400);
  });
});
