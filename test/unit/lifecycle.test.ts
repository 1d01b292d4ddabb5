/**
 * Order lifecycle rules (worklist/orders.ts) on a real SQLite store, with the shipped mappings and
 * samples: what each order control and patient message does to the worklist.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BridgeError } from '../../src/errors.js';
import { findWorklistItems } from '../../src/worklist/find.js';
import { parseHl7Text } from '../../src/hl7/message.js';
import { evaluateMapping } from '../../src/mapping/evaluate.js';
import type { MappedOrder } from '../../src/model/order.js';
import { messageHeader } from '../../src/mapping/message.js';
import { loadMappingSet } from '../../src/app/mappings.js';
import { WorklistStore } from '../../src/store/worklist-store.js';
import { openDatabase } from '../../src/store/db.js';
import { firstString, sequenceItems, Tags } from '../../src/model/item.js';
import { OrderService, type UnknownOrderPolicy } from '../../src/worklist/orders.js';
import { purgeExpired } from '../../src/worklist/retention.js';
import { projectDir } from '../helpers/project-dir.js';

const mappings = loadMappingSet(['default.yaml', 'omi-o23.yaml', 'adt.yaml'].map((f) => join(projectDir, 'mappings', f)));
const sample = (name: string): string => readFileSync(join(projectDir, 'samples', name), 'utf8');

function setup(opts: { unknownOrder?: UnknownOrderPolicy; showClosedItems?: boolean } = {}) {
  const store = WorklistStore.open(join(mkdtempSync(join(tmpdir(), 'mwl-life-')), 'wl.db'), { showClosedItems: opts.showClosedItems });
  const orders = new OrderService(store);
  const map = (text: string): MappedOrder => {
    const message = parseHl7Text(text);
    return evaluateMapping(mappings.select(messageHeader(message)), message, { uidRoot: '2.25', policies: { unknownOrder: opts.unknownOrder ?? 'reject' } });
  };
  const send = (text: string, controlId = messageHeader(parseHl7Text(text)).controlId) =>
    orders.apply(map(text), {
      receivedAt: new Date().toISOString(),
      remote: 'test',
      sendingApplication: 'RIS',
      sendingFacility: 'RADIOLOGY',
      controlId,
      messageType: 'ORM^O01',
      ackCode: 'AA',
      error: null,
      raw: Buffer.from(text),
      ack: `ACK-FOR-${controlId}`,
    });
  const find = (keys: Record<string, { vr: string; Value?: unknown[] }>) =>
    findWorklistItems(store, keys as never, { personNameCaseInsensitive: true }).answers;
  const byPatient = (id: string) =>
    find({ [Tags.PatientID]: { vr: 'LO', Value: [id] }, [Tags.PatientName]: { vr: 'PN' }, [Tags.ScheduledProcedureStepSequence]: { vr: 'SQ', Value: [{}] } });
  return { store, orders, send, byPatient };
}

const startTime = (answer: Record<string, unknown>) =>
  firstString(sequenceItems(answer as never, Tags.ScheduledProcedureStepSequence)[0]!, Tags.ScheduledProcedureStepStartTime);

describe('order lifecycle', () => {
  it('NW creates; NW again for the same order updates it (no second item)', () => {
    const { send, byPatient } = setup();
    assert.deepEqual(send(sample('orm-mr-knee.hl7')).actions, ['created']);
    const again = sample('orm-mr-knee.hl7').replace('MSG00002', 'MSG00002B').replace('MR knee left', 'MR knee right');
    assert.deepEqual(send(again).actions, ['updated']);
    const answers = byPatient('PAT1002');
    assert.equal(answers.length, 1);
  });

  it('XO changes the existing order, found by its placer order number', () => {
    const { send, byPatient } = setup();
    send(sample('orm-mr-knee.hl7'));
    assert.deepEqual(send(sample('orm-xo-change.hl7')).actions, ['updated']);
    const answers = byPatient('PAT1002');
    assert.equal(answers.length, 1);
    assert.equal(startTime(answers[0]!), '160000');
  });

  it('CA removes the item from the worklist; with showClosedItems it stays as CANCELED', () => {
    for (const showClosedItems of [false, true]) {
      const { send, byPatient } = setup({ showClosedItems });
      send(sample('orm-ct-head.hl7'));
      assert.deepEqual(send(sample('orm-ca-cancel.hl7')).actions, ['cancelled']);
      const answers = byPatient('PAT1001');
      if (!showClosedItems) assert.equal(answers.length, 0);
      else {
        assert.equal(answers.length, 1);
        assert.equal(firstString(sequenceItems(answers[0]!, Tags.ScheduledProcedureStepSequence)[0]!, Tags.ScheduledProcedureStepStatus), 'CANCELED');
      }
    }
  });

  it('SC applies the ORC-5 status (CM completes); a status change needs no type-1 data', () => {
    const { send, byPatient, store } = setup();
    send(sample('orm-us-abdomen-utf8.hl7'));
    const sc = sample('orm-sc-completed.hl7');
    assert.deepEqual(send(sc).actions, ['status']);
    assert.equal(byPatient('PAT1003').length, 0);
    assert.equal(store.items.get(1)?.status, 'COMPLETED');
  });

  it('HD holds (off the worklist) and RL releases', () => {
    const { send, byPatient } = setup();
    send(sample('orm-mr-knee.hl7'));
    const control = (ctrl: string, id: string) => sample('orm-mr-knee.hl7').replace('|NW|', `|${ctrl}|`).replace('MSG00002', id);
    assert.deepEqual(send(control('HD', 'H1')).actions, ['held']);
    assert.equal(byPatient('PAT1002').length, 0);
    assert.deepEqual(send(control('RL', 'R1')).actions, ['released']);
    assert.equal(byPatient('PAT1002').length, 1);
  });

  it('an XO or CA for an unknown order is refused with ERR 204 at ORC-2, or ignored/applied as configured', () => {
    const strict = setup();
    assert.throws(
      () => strict.send(sample('orm-ca-cancel.hl7')),
      (e: unknown) => e instanceof BridgeError && e.code === 'HL7_UNKNOWN_ORDER' && e.location === 'ORC-2' && /placer order number PLC1001/.test(e.message),
    );
    assert.throws(
      () => strict.send(sample('orm-xo-change.hl7')),
      (e: unknown) => e instanceof BridgeError && e.code === 'HL7_UNKNOWN_ORDER',
    );
    const lenient = setup({ unknownOrder: 'apply' });
    assert.deepEqual(lenient.send(sample('orm-ca-cancel.hl7')).actions, ['ignored']);
    assert.deepEqual(lenient.send(sample('orm-xo-change.hl7')).actions, ['created']);
    assert.equal(lenient.byPatient('PAT1002').length, 1);
  });

  it('a duplicate (same sender, MSH-10 and content) has no second effect and gets the original ACK', () => {
    const { send, store, byPatient } = setup();
    const first = send(sample('orm-mr-knee.hl7'));
    const again = send(sample('orm-mr-knee.hl7'));
    assert.equal(again.duplicate, true);
    assert.equal(again.ack, first.ack);
    assert.equal(again.originalMessageId, first.messageId);
    assert.deepEqual(again.itemIds, first.itemIds);
    assert.equal(store.items.count(), 1);
    assert.equal(byPatient('PAT1002').length, 1);
    assert.deepEqual(
      store.messages.list({}).map((m) => m.outcome),
      ['duplicate', 'stored'],
    );
  });

  it('a message logged before content hashes existed is still recognised when resent with the same bytes', () => {
    const { send, store } = setup();
    send(sample('orm-mr-knee.hl7'));
    const db = openDatabase(store.path);
    db.prepare('UPDATE messages SET content_hash = NULL').run();
    db.close();
    assert.equal(send(sample('orm-mr-knee.hl7')).duplicate, true);
    assert.equal(send(sample('orm-mr-knee.hl7').replace('MR knee left', 'MR knee right')).duplicate, false);
  });

  // Issue 16, finding 1: this message was answered AA and dropped as a "duplicate".
  it('another order with a control id already used is stored, and the reuse is reported', () => {
    const { send, store, byPatient } = setup();
    const first = send(sample('orm-mr-knee.hl7'));
    const other = sample('orm-mr-knee.hl7')
      .replace(/PAT1002/g, 'PAT7777')
      .replace(/ACC1002/g, 'ACC7777')
      .replace(/PLC1002/g, 'PLC7777')
      .replace(/FIL1002/g, 'FIL7777');
    const second = send(other);
    assert.equal(second.duplicate, false);
    assert.deepEqual(second.actions, ['created']);
    assert.equal(second.controlIdReusedFrom, first.messageId);
    assert.equal(store.items.count(), 2);
    assert.equal(byPatient('PAT7777').length, 1);
    assert.deepEqual(
      store.messages.list({}).map((m) => m.outcome),
      ['stored', 'stored'],
    );
  });

  it('OMI with two IPC: two items; a CA cancels both', () => {
    const { send, byPatient } = setup();
    const omi = readFileSync(join(projectDir, 'samples', 'omi-o23-ct-chest-abdomen.hl7'), 'utf8');
    assert.deepEqual(send(omi).actions, ['created', 'created']);
    assert.equal(byPatient('PAT1005').length, 2);
    assert.deepEqual(send(omi.replace('MSG00005', 'MSG5X')).actions, ['updated', 'updated'], 'resent NW updates each step by SPS ID');
    const cancel = omi.replace('MSG00005', 'MSG5C').replace('ORC|NW|', 'ORC|CA|');
    assert.deepEqual(send(cancel).actions, ['cancelled', 'cancelled']);
    assert.equal(byPatient('PAT1005').length, 0);
  });

  it('ADT^A08 updates the demographics of the patient’s open items; unknown patients are ignored', () => {
    const { send, byPatient } = setup();
    send(sample('orm-mr-knee.hl7'));
    assert.deepEqual(send(sample('adt-a08-update.hl7')).actions, ['demographics']);
    assert.equal(firstString(byPatient('PAT1002')[0]!, Tags.PatientName), 'ROE-SMITH^JANE^ELIZABETH');
    const other = sample('adt-a08-update.hl7')
      .replace(/PAT1002/g, 'NOBODY')
      .replace('MSG00017', 'X17');
    const r = send(other);
    assert.deepEqual(r.actions, ['ignored']);
  });

  it('ADT^A40 moves the merged patient’s open items to the surviving patient ID', () => {
    const { send, byPatient } = setup();
    send(sample('orm-ct-head.hl7'));
    assert.deepEqual(send(sample('adt-a40-merge.hl7')).actions, ['merged']);
    assert.equal(byPatient('PAT1001').length, 0);
    const moved = byPatient('PAT2001');
    assert.equal(moved.length, 1);
    assert.equal(firstString(moved[0]!, Tags.PatientName), 'DOE^JOHNATHAN^Q');
  });

  it('an NW lacking a type-1 attribute is refused', () => {
    const { send } = setup();
    assert.throws(
      () => send(sample('orm-missing-patient-id.hl7')),
      (e: unknown) => e instanceof BridgeError && e.location === 'PID-3[5=MR].1',
    );
  });
});

describe('retention', () => {
  it('purges closed items N days after closing and stale scheduled items M days after their date', () => {
    const { send, store } = setup();
    // The orders are scheduled today, so the expectations do not depend on the day the test runs.
    const now = new Date();
    const today = `${now.getFullYear()}${String(now.getMonth() + 1).padStart(2, '0')}${String(now.getDate()).padStart(2, '0')}`;
    const scheduledToday = (name: string) => sample(name).replace(/20261123/g, today);
    send(scheduledToday('orm-ct-head.hl7'));
    send(scheduledToday('orm-mr-knee.hl7'));
    send(scheduledToday('orm-ca-cancel.hl7')); // cancels the CT order
    send(scheduledToday('adt-a08-update.hl7'));
    const policy = { closedItemDays: 30, scheduledItemDays: 90, messageDays: 180, queryDays: 30 };
    const day = (n: number) => new Date(now.getTime() + n * 24 * 3600 * 1000);
    assert.deepEqual(purgeExpired(store, policy, day(10)), { closedItems: 0, staleItems: 0, messages: 0, queries: 0 });
    assert.deepEqual(purgeExpired(store, policy, day(31)), { closedItems: 1, staleItems: 0, messages: 0, queries: 0 });
    assert.equal(store.items.count(), 1);
    assert.deepEqual(purgeExpired(store, policy, day(92)), { closedItems: 0, staleItems: 1, messages: 0, queries: 0 });
    assert.equal(store.items.count(), 0);
    assert.equal(purgeExpired(store, policy, day(181)).messages, 4);
  });

  it('never purges a just imported or updated item, even with an old date', () => {
    const { store } = setup();
    store.transaction(() => store.items.insert({ source: 'import', dataset: itemScheduledIn1995() }));
    assert.equal(purgeExpired(store, { closedItemDays: 30, scheduledItemDays: 90, messageDays: 180, queryDays: 30 }).staleItems, 0);
    assert.equal(store.items.count(), 1);
  });
});

/** An item scheduled in 1995, as DCMTK's example worklists are. */
function itemScheduledIn1995() {
  return {
    [Tags.PatientID]: { vr: 'LO', Value: ['OLD'] },
    [Tags.ScheduledProcedureStepSequence]: { vr: 'SQ', Value: [{ [Tags.ScheduledProcedureStepStartDate]: { vr: 'DA', Value: ['19951015'] } }] },
  };
}
