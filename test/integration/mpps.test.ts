/**
 * MPPS (IHE SWF RAD-6/7) with dcmjs-dimse's client as the modality: N-CREATE IN PROGRESS keeps the
 * step on the worklist as STARTED, N-SET COMPLETED takes it off; findscu sees the change.
 */
import { after, before, describe, it } from '../helpers/suites.js';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import dimse from 'dcmjs-dimse';
import { findscu, mllpSend, projectDir, skipWithout, startBridge, type RunningBridge, ifStarted } from '../helpers/peers.js';
import { MllpListener } from '../../src/hl7/mllp.js';
import { silentLogger } from '../../src/log.js';

const { Client, Dataset } = dimse;
const { NCreateRequest, NSetRequest } = dimse.requests;
const { SopClass } = dimse.constants;
const MPPS_UID = '1.2.826.0.1.3680043.10.543.9.1';

/** Sends one DIMSE request as AE "MODALITY1"; resolves with the response status. */
function sendRequest(port: number, calledAe: string, request: InstanceType<typeof NCreateRequest> | InstanceType<typeof NSetRequest>): Promise<number> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let status = -1;
    request.on('response', (response: { getStatus(): number }) => (status = response.getStatus()));
    client.addRequest(request);
    client.on('networkError', (e: Error) => {
      reject(e);
    });
    client.on('associationRejected', () => {
      reject(new Error('association rejected'));
    });
    client.on('closed', () => {
      resolve(status);
    });
    client.send('127.0.0.1', port, 'MODALITY1', calledAe);
  });
}

/** An N-CREATE as a modality sends it: the Type 1 attributes of PS3.4 Table F.7.2-1, the step's keys from the worklist. */
function create(status: string, studyInstanceUid: string): InstanceType<typeof NCreateRequest> {
  const request = new NCreateRequest(SopClass.ModalityPerformedProcedureStep, MPPS_UID);
  request.setDataset(
    new Dataset({
      PerformedProcedureStepStatus: status,
      PerformedProcedureStepID: 'PPS1',
      PerformedStationAETitle: 'MODALITY1',
      PerformedProcedureStepStartDate: '20261203',
      PerformedProcedureStepStartTime: '101500',
      Modality: 'MR',
      ScheduledStepAttributesSequence: [
        { AccessionNumber: 'ACC1002', ScheduledProcedureStepID: 'SPS1002', StudyInstanceUID: studyInstanceUid, RequestedProcedureID: 'RP1002' },
      ],
    }),
  );
  return request;
}

/** The Study Instance UID of the worklist item, as the modality takes it from its query. */
function studyUidOf(port: number, aeTitle: string): string {
  const uid = findscu(port, aeTitle, ['AccessionNumber=ACC1002', 'StudyInstanceUID']).answers[0]?.values['(0020,000d)'];
  assert.ok(uid, 'the item has a Study Instance UID');
  return uid;
}

function set(status: string): InstanceType<typeof NSetRequest> {
  const request = new NSetRequest(SopClass.ModalityPerformedProcedureStep, MPPS_UID);
  request.setDataset(new Dataset({ PerformedProcedureStepStatus: status }));
  return request;
}

describe('MPPS', { skip: skipWithout('mllp_send', 'findscu') }, () => {
  let bridge: RunningBridge;
  before(async () => {
    bridge = await startBridge();
    mllpSend(bridge.mllpPort, join(projectDir, 'samples', 'orm-mr-knee.hl7'));
  });
  after(async () => {
    await ifStarted(bridge)?.stop();
  });
  const stepStatus = () =>
    findscu(bridge.dicomPort, bridge.aeTitle, ['AccessionNumber=ACC1002', 'ScheduledProcedureStepSequence[0].ScheduledProcedureStepStatus']).answers.map(
      (a) => a.values['(0040,0100)>(0040,0020)'],
    );

  it('N-CREATE IN PROGRESS marks the scheduled step STARTED (still on the worklist)', async () => {
    assert.deepEqual(stepStatus(), ['SCHEDULED']);
    assert.equal(await sendRequest(bridge.dicomPort, bridge.aeTitle, create('IN PROGRESS', studyUidOf(bridge.dicomPort, bridge.aeTitle))), 0x0000);
    assert.deepEqual(stepStatus(), ['STARTED']);
  });

  it('a second N-CREATE of the same instance is refused (duplicate SOP instance)', async () => {
    assert.equal(await sendRequest(bridge.dicomPort, bridge.aeTitle, create('IN PROGRESS', studyUidOf(bridge.dicomPort, bridge.aeTitle))), 0x0111);
  });

  it('N-SET COMPLETED takes it off the worklist; later changes are refused', async () => {
    assert.equal(await sendRequest(bridge.dicomPort, bridge.aeTitle, set('COMPLETED')), 0x0000);
    assert.deepEqual(stepStatus(), []);
    assert.equal(await sendRequest(bridge.dicomPort, bridge.aeTitle, set('DISCONTINUED')), 0x0110);
    await bridge.waitForLog(/dicom\.mpps_set_refused .*may no longer be changed/);
  });

  it('N-SET of an unknown instance is refused (no such object instance)', async () => {
    const request = new NSetRequest(SopClass.ModalityPerformedProcedureStep, '1.2.3.999');
    request.setDataset(new Dataset({ PerformedProcedureStepStatus: 'COMPLETED' }));
    assert.equal(await sendRequest(bridge.dicomPort, bridge.aeTitle, request), 0x0112);
  });
});

describe('MPPS status messages to the RIS', { skip: skipWithout('mllp_send', 'findscu') }, () => {
  it('sends ORM^O01 SC with ORC-5 IP then CM, retrying until the RIS accepts and acknowledges', async () => {
    const received: string[] = [];
    // The RIS listens on a port the system chooses, but is not ready at first: it answers AE
    // (application error), which the bridge has to retry.
    let risReady = false;
    const ris = new MllpListener({
      host: '127.0.0.1',
      port: 0,
      maxFrameBytes: 1024 * 1024,
      logger: silentLogger,
      onMessage: (bytes) => {
        const text = bytes.toString('utf8');
        const id = text.split('\r')[0]!.split('|')[9];
        if (!risReady) return Promise.resolve(Buffer.from(`MSH|^~\\&|RIS|H|MWL|H|20261123||ACK^O01|R${id}|P|2.3.1\rMSA|AE|${id}|not ready\r`));
        received.push(text);
        return Promise.resolve(Buffer.from(`MSH|^~\\&|RIS|H|MWL|H|20261123||ACK^O01|R${id}|P|2.3.1\rMSA|AA|${id}\r`));
      },
    });
    const risPort = await ris.start();
    const bridge = await startBridge(['--mpps-hl7-destination', `127.0.0.1:${risPort}`, '--mpps-hl7-retry-seconds', '1']).catch(async (err: unknown) => {
      await ris.stop();
      throw err;
    });
    try {
      mllpSend(bridge.mllpPort, join(projectDir, 'samples', 'orm-mr-knee.hl7'));
      assert.equal(await sendRequest(bridge.dicomPort, bridge.aeTitle, create('IN PROGRESS', studyUidOf(bridge.dicomPort, bridge.aeTitle))), 0x0000);
      await bridge.waitForLog(/hl7\.outbound_retry .*attempt=1 error="answered AE"/);
      risReady = true;
      assert.equal(await sendRequest(bridge.dicomPort, bridge.aeTitle, set('COMPLETED')), 0x0000);
      await bridge.waitForLog(/hl7\.outbound_sent(.|\n)*hl7\.outbound_sent/);
      assert.equal(received.length, 2);
      const seg = (text: string, name: string) =>
        text
          .split('\r')
          .find((s) => s.startsWith(name + '|'))!
          .split('|');
      assert.deepEqual(
        received.map((m) => [seg(m, 'ORC')[1], seg(m, 'ORC')[5]]),
        [
          ['SC', 'IP'],
          ['SC', 'CM'],
        ],
      );
      const first = received[0]!;
      assert.equal(seg(first, 'MSH')[8], 'ORM^O01');
      assert.equal(seg(first, 'ORC')[2], 'PLC1002');
      assert.equal(seg(first, 'OBR')[18], 'ACC1002');
      assert.equal(seg(first, 'OBR')[20], 'SPS1002');
      assert.equal(seg(first, 'PID')[3], 'PAT1002^^^HOSP');
      assert.equal(seg(first, 'PID')[5], 'ROE^JANE');
    } finally {
      await ris.stop();
      await bridge.stop();
    }
  });
});
