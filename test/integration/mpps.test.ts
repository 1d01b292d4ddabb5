/**
 * MPPS (IHE SWF RAD-6/7) with dcmjs-dimse's client as the modality: N-CREATE IN PROGRESS keeps the
 * step on the worklist as STARTED, N-SET COMPLETED takes it off; findscu sees the change.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import dimse from 'dcmjs-dimse';
import { findscu, mllpSend, projectDir, skipWithout, startBridge, type RunningBridge } from '../helpers/peers.js';

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
    client.on('networkError', (e: Error) => reject(e));
    client.on('associationRejected', () => reject(new Error('association rejected')));
    client.on('closed', () => resolve(status));
    client.send('127.0.0.1', port, 'MODALITY1', calledAe);
  });
}

function create(status: string): InstanceType<typeof NCreateRequest> {
  const request = new NCreateRequest(SopClass.ModalityPerformedProcedureStep, MPPS_UID);
  request.setDataset(
    new Dataset({
      PerformedProcedureStepStatus: status,
      PerformedProcedureStepID: 'PPS1',
      ScheduledStepAttributesSequence: [{ AccessionNumber: 'ACC1002', ScheduledProcedureStepID: 'SPS1002', StudyInstanceUID: '', RequestedProcedureID: 'RP1002' }],
    }),
  );
  return request;
}

function set(status: string): InstanceType<typeof NSetRequest> {
  const request = new NSetRequest(SopClass.ModalityPerformedProcedureStep, MPPS_UID);
  request.setDataset(new Dataset({ PerformedProcedureStepStatus: status }));
  return request;
}

describe('MPPS', { skip: skipWithout('mllp_send', 'findscu', 'dcmdump') }, () => {
  let bridge: RunningBridge;
  before(async () => {
    bridge = await startBridge();
    mllpSend(bridge.mllpPort, join(projectDir, 'samples', 'orm-mr-knee.hl7'));
  });
  after(async () => {
    await bridge?.stop();
  });
  const stepStatus = () =>
    findscu(bridge.dicomPort, bridge.aeTitle, ['AccessionNumber=ACC1002', 'ScheduledProcedureStepSequence[0].ScheduledProcedureStepStatus']).answers.map(
      (a) => a.values['(0040,0100)>(0040,0020)'],
    );

  it('N-CREATE IN PROGRESS marks the scheduled step STARTED (still on the worklist)', async () => {
    assert.deepEqual(stepStatus(), ['SCHEDULED']);
    assert.equal(await sendRequest(bridge.dicomPort, bridge.aeTitle, create('IN PROGRESS')), 0x0000);
    assert.deepEqual(stepStatus(), ['STARTED']);
  });

  it('a second N-CREATE of the same instance is refused (duplicate SOP instance)', async () => {
    assert.equal(await sendRequest(bridge.dicomPort, bridge.aeTitle, create('IN PROGRESS')), 0x0111);
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
