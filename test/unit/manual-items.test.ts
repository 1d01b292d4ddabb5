/**
 * Items made by hand (worklist/manual-items.ts) on a real SQLite store: the checks they pass, the
 * lifecycle they follow, and the message log entry each change writes with its origin.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BridgeError } from '../../src/errors.js';
import { Tags, sequenceItems, type DicomJson } from '../../src/model/item.js';
import { WorklistStore } from '../../src/store/worklist-store.js';
import { ManualItems } from '../../src/worklist/manual-items.js';
import { describe, it } from '../helpers/suites.js';

const who = { remote: '127.0.0.1', token: 'clerk' };
const body = Buffer.from('{}');

function item(accession: string, spsId = 'SPS1'): DicomJson {
  return {
    [Tags.AccessionNumber]: { vr: 'SH', Value: [accession] },
    [Tags.PatientName]: { vr: 'PN', Value: [{ Alphabetic: 'HAND^HENRY' }] },
    [Tags.PatientID]: { vr: 'LO', Value: ['PAT-U'] },
    [Tags.StudyInstanceUID]: { vr: 'UI', Value: ['1.2.3.4'] },
    [Tags.RequestedProcedureID]: { vr: 'SH', Value: ['RP1'] },
    [Tags.ScheduledProcedureStepSequence]: {
      vr: 'SQ',
      Value: [
        {
          [Tags.ScheduledStationAETitle]: { vr: 'AE', Value: ['CT1'] },
          [Tags.ScheduledProcedureStepStartDate]: { vr: 'DA', Value: ['20261203'] },
          [Tags.ScheduledProcedureStepStartTime]: { vr: 'TM', Value: ['0900'] },
          [Tags.Modality]: { vr: 'CS', Value: ['CT'] },
          [Tags.ScheduledProcedureStepID]: { vr: 'SH', Value: [spsId] },
        },
      ],
    },
  };
}

function setup(): { store: WorklistStore; manual: ManualItems } {
  const store = WorklistStore.open(join(mkdtempSync(join(tmpdir(), 'mwl-manual-')), 'wl.db'));
  return { store, manual: new ManualItems(store) };
}

const refusedWith = (code: string, message: RegExp) => (err: unknown) => err instanceof BridgeError && err.code === code && message.test(err.message);

describe('items made by hand', () => {
  it('creates a SCHEDULED item, logged with source http and the token name', async () => {
    const { store, manual } = setup();
    const { item: created, messageId } = await manual.create(item('A1'), who, body);
    assert.equal(created.status, 'SCHEDULED');
    const [step] = sequenceItems(store.items.get(created.id)?.dataset ?? {}, Tags.ScheduledProcedureStepSequence);
    assert.deepEqual(step?.[Tags.ScheduledProcedureStepStatus]?.Value, ['SCHEDULED']);
    const logged = store.messages.get(messageId);
    assert.equal(logged?.origin?.source, 'http');
    assert.equal(logged.origin.token, 'clerk');
    assert.equal(logged.action, 'created');
    assert.equal(logged.notes, null);
    assert.deepEqual(logged.itemIds, [created.id]);
    store.close();
  });

  it('refuses the same order step twice, but takes another step of the order', async () => {
    const { store, manual } = setup();
    const { item: first } = await manual.create(item('A2'), who, body);
    await assert.rejects(manual.create(item('A2'), who, body), refusedWith('ITEM_CONFLICT', new RegExp(`item ${first.id} is this order's scheduled step`)));
    await manual.create(item('A2', 'SPS2'), who, body);
    assert.equal(store.items.withKey('accessionNumber', 'A2', 10).length, 2);
    store.close();
  });

  it('keeps closed items closed, and does not delete a STARTED one', async () => {
    const { store, manual } = setup();
    const { item: made } = await manual.create(item('A3'), who, body);
    store.items.update(made.id, made.dataset, 'STARTED');
    await assert.rejects(manual.delete(made.id, who), refusedWith('ITEM_CONFLICT', /is STARTED/));
    const { item: cancelled } = await manual.cancel(made.id, who);
    assert.equal(cancelled.status, 'CANCELED');
    await assert.rejects(manual.update(made.id, item('A3'), who, body), refusedWith('ITEM_CONFLICT', /is CANCELED: a closed item cannot be changed/));
    await assert.rejects(manual.cancel(made.id, who), refusedWith('ITEM_CONFLICT', /cannot be cancelled/));
    await manual.delete(made.id, who);
    assert.equal(store.items.get(made.id), undefined);
    await assert.rejects(manual.delete(made.id, who), refusedWith('ITEM_NOT_FOUND', /no item/));
    const actions = store.messages.list({ accessionNumber: 'A3' }).map((m) => m.action);
    assert.deepEqual(actions, ['deleted', 'cancelled', 'created']);
    store.close();
  });

  it('refuses values against their VR, declared VRs the dictionary does not give, and missing type-1 values', async () => {
    const { store, manual } = setup();
    const badTime = item('A4');
    const [step] = sequenceItems(badTime, Tags.ScheduledProcedureStepSequence);
    if (step) step[Tags.ScheduledProcedureStepStartTime] = { vr: 'TM', Value: ['25:00'] };
    await assert.rejects(manual.create(badTime, who, body), refusedWith('ITEM_INVALID', /is not a valid TM/));
    await assert.rejects(
      manual.create({ ...item('A4'), [Tags.PatientID]: { vr: 'SH', Value: ['PAT-U'] } }, who, body),
      refusedWith('ITEM_INVALID', /declared "vr": "SH", but its VR is LO/),
    );
    const { [Tags.RequestedProcedureID]: _left, ...noProcedureId } = item('A4');
    await assert.rejects(manual.create(noProcedureId, who, body), refusedWith('ITEM_INVALID', /RequestedProcedureID \(0040,1001\) has no value/));
    assert.equal(store.items.count(), 0);
    assert.equal(store.messages.list({}).length, 0);
    store.close();
  });
});
