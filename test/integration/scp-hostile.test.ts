/**
 * The SCP against broken and hostile peers, at the byte level (issue 15's findings, one test each),
 * with the real bridge (`mwl-bridge start`) and DCMTK's echoscu/findscu checking that it still
 * serves everyone else afterwards.
 */
import { after, afterEach, before, describe, it } from '../helpers/suites.js';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeWorklistDb } from '../helpers/worklist-db.js';
import type { DicomJson } from '../../src/model/item.js';
import { echoscu, findscu, skipWithout, startBridge, tempDir, type RunningBridge, ifStarted } from '../helpers/peers.js';
import {
  EXPLICIT_LE,
  IMPLICIT_LE,
  MPPS,
  MWL_FIND,
  STUDY_ROOT_FIND,
  VERIFICATION,
  WireClient,
  acceptedContexts,
  cCancel,
  cEcho,
  cFind,
  dataset,
  nCreate,
  nSet,
  pData,
  type DimseMessage,
} from '../helpers/dicom-wire.js';

const skip = skipWithout('echoscu', 'findscu');
const BULK_ITEMS = 3000;
const LONG_COMMENT = 'C'.repeat(10000);

const text = (vr: string, value: string) => ({ vr, Value: [value] });
const step = (fields: Record<string, [string, string]>): DicomJson => ({
  '00400100': { vr: 'SQ', Value: [Object.fromEntries(Object.entries(fields).map(([tag, [vr, v]]) => [tag, text(vr, v)]))] },
});
function item(patientId: string, accession: string, extra: DicomJson = {}): DicomJson {
  return {
    '00100010': { vr: 'PN', Value: [{ Alphabetic: `NAME^${patientId}` }] },
    '00100020': text('LO', patientId),
    '00080050': text('SH', accession),
    '0020000D': text('UI', `1.2.826.0.1.3680043.10.543.${accession.replace(/\D/g, '') || '0'}`),
    '00401001': text('SH', `RP-${accession}`),
    ...step({
      '00080060': ['CS', 'CT'],
      '00400001': ['AE', 'CT1'],
      '00400002': ['DA', '20261203'],
      '00400009': ['SH', `SPS-${accession}`],
      '00400020': ['CS', 'SCHEDULED'],
    }),
    ...extra,
  };
}

const ctx = (id: number, abstractSyntax: string) => ({ id, abstractSyntax, transferSyntaxes: [EXPLICIT_LE, IMPLICIT_LE] });
const findIdentifier = (keys: DicomJson): Buffer => dataset({ '00100010': { vr: 'PN' }, '00100020': { vr: 'LO' }, ...keys });

describe('SCP against broken and hostile peers (issue 15)', { skip }, () => {
  let bridge: RunningBridge;
  let aeTitle: string;
  const connectedClients: WireClient[] = [];
  const client = async (opts: { allowHalfOpen?: boolean } = {}): Promise<WireClient> => {
    const c = await WireClient.connect(bridge.dicomPort, opts);
    connectedClients.push(c);
    return c;
  };
  const associated = async (contexts = [ctx(1, MWL_FIND), ctx(3, VERIFICATION), ctx(5, MPPS)], maxPduLength = 16384): Promise<WireClient> => {
    const c = await client();
    const answer = await c.associate({ called: aeTitle, calling: 'WIRE', contexts, maxPduLength });
    assert.equal(answer?.type, 0x02, 'association accepted');
    return c;
  };
  const stillServing = (): void => {
    assert.equal(echoscu(bridge.dicomPort, aeTitle), 0, 'echoscu still answered');
    const { answers, status } = findscu(bridge.dicomPort, aeTitle, ['PatientID=HOSTILE1', 'AccessionNumber']);
    assert.equal(status, 0);
    assert.deepEqual(
      answers.map((a) => a.values['(0008,0050)']),
      ['ACC-H1'],
    );
  };

  before(async () => {
    const dir = tempDir('mwl-hostile-');
    writeWorklistDb(dir, [
      item('HOSTILE1', 'ACC-H1', { '00100010': { vr: 'PN', Value: [{ Alphabetic: 'A'.repeat(40) }] }, '00104000': text('LT', LONG_COMMENT) }),
      { dataset: item('HOSTILE2', 'ACC-H2'), status: 'CANCELED' },
      ...Array.from({ length: BULK_ITEMS }, (_, i) => item(`BULK${i}`, `ACC-B${i}`)),
    ]);
    bridge = await startBridge(['--max-associations', '3', '--dimse-timeout', '2', '--acse-timeout', '2', '--max-pdu-length', '16384'], { dir, mllp: false });
    aeTitle = bridge.aeTitle;
  });
  afterEach(async () => {
    // Each test starts with every slot free.
    for (const c of connectedClients.splice(0)) {
      c.close();
      await c.closedPromise;
    }
  });
  after(async () => {
    await ifStarted(bridge)?.stop();
  });

  it('1: two presentation contexts with ID 255 get A-ASSOCIATE-RJ, logged; the SCP goes on', async () => {
    const c = await client();
    const answer = await c.associate({ called: aeTitle, calling: 'DUP255', contexts: [ctx(255, MWL_FIND), ctx(255, VERIFICATION)] });
    assert.equal(answer?.type, 0x03, 'A-ASSOCIATE-RJ');
    await bridge.waitForLog(/dicom\.association_rejected .*calling=DUP255 .*two presentation contexts carry ID 255/);
    stillServing();
  });

  it('2: a peer announcing a maximum PDU length of 1 is rejected; one of 4096 gets its answers in PDUs of at most 4096 bytes', async () => {
    const tiny = await client();
    assert.equal((await tiny.associate({ called: aeTitle, calling: 'PDU1', contexts: [ctx(1, MWL_FIND)], maxPduLength: 1 }))?.type, 0x03);
    await bridge.waitForLog(/calling=PDU1 .*maximum PDU length 1 is below 4096/);

    const small = await associated([ctx(1, MWL_FIND)], 4096);
    small.sendMessage(1, cFind(1), findIdentifier({ '00100020': text('LO', 'HOSTILE1'), '00104000': { vr: 'LT' } }));
    const final = await small.finalResponse();
    assert.equal(final?.status, 0x0000);
    const answer = small.messages.find((m) => m.status === 0xff00);
    assert.ok(answer?.dataset && answer.dataset.includes(Buffer.from(LONG_COMMENT)), 'the 10,000-character comment arrived whole');
    const dataPdus = small.pdus.filter((p) => p.type === 0x04);
    assert.ok(dataPdus.length >= 4, `${dataPdus.length} P-DATA PDUs`);
    for (const p of dataPdus) assert.ok(p.bytes.length - 6 <= 4096, `a P-DATA PDU of ${p.bytes.length - 6} bytes`);
    stillServing();
  });

  it('3: a PDU header announcing 0xFFFFFFFF bytes is refused at the header (A-ABORT), before and after association', async () => {
    const before = await client();
    before.send(Buffer.from([0x01, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x01]));
    assert.ok(await before.waitFor(() => before.pdus.some((p) => p.type === 0x07)), 'A-ABORT before association');
    await before.closedPromise;

    const after = await associated();
    after.send(Buffer.from([0x04, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00]));
    assert.ok(await after.waitFor(() => after.pdus.some((p) => p.type === 0x07)), 'A-ABORT on a P-DATA longer than dicom.maxPduLength');
    await after.closedPromise;
    await bridge.waitForLog(/dicom\.protocol_error .*P-DATA-TF of 65536 bytes is longer than the 16384 bytes accepted/);
    stillServing();
  });

  it('3b: an association request trickling in byte by byte is cut off at the ACSE timeout', async () => {
    const c = await client();
    const started = Date.now();
    const request = Buffer.concat([Buffer.from([0x01, 0x00, 0x00, 0x00, 0x10, 0x00]), Buffer.alloc(0x1000)]);
    let at = 0;
    const trickle = setInterval(() => {
      if (at < request.length) c.send(request.subarray(at, ++at));
    }, 100);
    try {
      await c.closedPromise;
    } finally {
      clearInterval(trickle);
    }
    const seconds = (Date.now() - started) / 1000;
    assert.ok(seconds >= 1.5 && seconds < 6, `closed after ${seconds} s (ACSE timeout 2 s) while still sending`);
    await bridge.waitForLog(/dicom\.acse_timeout .*reason="association request not complete in time"/);
  });

  it('4: a backtracking wildcard query is answered at once', () => {
    const started = Date.now();
    const { answers, status } = findscu(bridge.dicomPort, aeTitle, ['PatientName=*A*A*A*A*A*A*A*A*B', 'PatientID']);
    assert.equal(status, 0);
    assert.equal(answers.length, 0);
    assert.ok(Date.now() - started < 9000, `took ${Date.now() - started} ms`);
    stillServing();
  });

  it('5: idle associations are aborted at the DIMSE timeout and give their slots back, even when the peers keep their sockets open', async () => {
    const idle: WireClient[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await client({ allowHalfOpen: true });
      assert.equal((await c.associate({ called: aeTitle, calling: `IDLE${i}`, contexts: [ctx(1, MWL_FIND)] }))?.type, 0x02);
      idle.push(c);
    }
    // All three slots are taken: a fourth is rejected (transient).
    const fourth = await client();
    assert.equal((await fourth.associate({ called: aeTitle, calling: 'FOURTH', contexts: [ctx(1, VERIFICATION)] }))?.type, 0x03);
    for (const c of idle) assert.ok(await c.waitFor(() => c.pdus.some((p) => p.type === 0x07), 6000), 'A-ABORT at the DIMSE timeout');
    // The peers never close their side; the SCP closes the connections within its grace time and
    // the slots come back.
    const until = Date.now() + 3000;
    let status = echoscu(bridge.dicomPort, aeTitle);
    while (status !== 0 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
      status = echoscu(bridge.dicomPort, aeTitle);
    }
    assert.equal(status, 0, 'a new association is accepted once the idle ones were aborted');
    await bridge.waitForLog(/dicom\.dimse_timeout .*calling=IDLE2/);
    stillServing();
  });

  it('6: a C-FIND whose peer left stops building answers', async () => {
    const c = await associated();
    c.sendMessage(1, cFind(9), findIdentifier({ '00100020': text('LO', 'BULK*') }));
    await c.waitFor(() => c.messages.length > 0);
    c.close();
    const log = await bridge.waitForLog(/dicom\.find_abandoned .*answers_sent=\d+/);
    const sent = Number(/dicom\.find_abandoned .*answers_sent=(\d+)/.exec(log)![1]);
    assert.ok(sent < BULK_ITEMS, `${sent} of ${BULK_ITEMS} answers built before it stopped`);
    stillServing();
  });

  it('7: a C-CANCEL for a message not in progress is not kept for a later request with that ID', async () => {
    const c = await associated();
    c.sendMessage(1, cCancel(7));
    c.sendMessage(1, cFind(7), findIdentifier({ '00100020': text('LO', 'HOSTILE1') }));
    const final = await c.finalResponse();
    assert.equal(final?.status, 0x0000, 'Success, not Cancel');
    assert.equal(c.messages.filter((m) => m.status === 0xff00).length, 1);
  });

  it('8: presentation context IDs proposed out of order ([3, 1]) are accepted as proposed', async () => {
    const c = await client();
    const answer = await c.associate({ called: aeTitle, calling: 'ORDER', contexts: [ctx(3, VERIFICATION), ctx(1, MWL_FIND)] });
    assert.equal(answer?.type, 0x02);
    assert.deepEqual([...acceptedContexts(answer.bytes).entries()].sort(), [
      [1, 0],
      [3, 0],
    ]);
    c.sendMessage(3, cEcho(1));
    assert.equal((await c.finalResponse())?.status, 0x0000);
    c.sendMessage(1, cFind(2), findIdentifier({ '00100020': text('LO', 'HOSTILE1') }));
    assert.equal((await c.finalResponse(1))?.status, 0x0000);
  });

  it('9: a C-FIND identifier of random bytes is refused (A900) and logged, not answered as a universal query', async () => {
    const c = await associated();
    c.sendMessage(1, cFind(1), randomBytes(512));
    const final = await c.finalResponse();
    assert.equal(final?.status, 0xa900);
    assert.equal(c.messages.filter((m) => m.status === 0xff00).length, 0);
    await bridge.waitForLog(/dicom\.find_unreadable .*identifier unreadable/);
  });

  it('10: MPPS N-CREATE follows PS3.4 F.7: IN PROGRESS only, Type 1 attributes required, a cancelled step stays cancelled', async () => {
    const c = await associated();
    const complete = (overrides: DicomJson = {}): DicomJson => ({
      '00080060': text('CS', 'CT'),
      '00400241': text('AE', 'CT1'),
      '00400244': text('DA', '20261203'),
      '00400245': text('TM', '101500'),
      '00400252': text('CS', 'IN PROGRESS'),
      '00400253': text('SH', 'PPS-1'),
      '00400270': {
        vr: 'SQ',
        Value: [{ '0020000D': text('UI', '1.2.826.0.1.3680043.10.543.2'), '00080050': text('SH', 'ACC-H2'), '00400009': text('SH', 'SPS-ACC-H2') }],
      },
      ...overrides,
    });
    let id = 0;
    const create = async (uid: string, data: Buffer | undefined): Promise<DimseMessage | undefined> => {
      const from = c.messages.length;
      c.sendMessage(5, nCreate(++id, uid, data !== undefined), data);
      return c.finalResponse(from);
    };
    assert.equal((await create('1.2.3.10.1', dataset(complete({ '00400252': text('CS', 'COMPLETED') }))))?.status, 0x0106, 'COMPLETED at N-CREATE');
    assert.equal((await create('1.2.3.10.2', undefined))?.status, 0x0120, 'no data set');
    assert.equal((await create('1.2.3.10.3', randomBytes(300)))?.status, 0x0110, 'unreadable data set');
    const withoutStation = complete();
    delete withoutStation['00400241'];
    assert.equal((await create('1.2.3.10.4', dataset(withoutStation)))?.status, 0x0120, 'Type 1 attribute missing');
    assert.equal((await create('1.2.3.10.5', dataset(complete({ '00080060': { vr: 'CS' } }))))?.status, 0x0121, 'Type 1 attribute empty');
    const created = await create('1.2.3.10.6', dataset(complete()));
    assert.equal(created?.status, 0x0000, 'N-CREATE IN PROGRESS of a cancelled step is recorded');
    await bridge.waitForLog(/dicom\.mpps_create .*closed_items_kept=/);
    // The cancelled step stays off the worklist.
    assert.equal(findscu(bridge.dicomPort, aeTitle, ['PatientID=HOSTILE2']).answers.length, 0);
  });

  it("11: every response carries its request's Affected SOP Class (and Instance) UID, read from the wire", async () => {
    const c = await associated();
    c.sendMessage(1, cFind(1), findIdentifier({ '00100020': text('LO', 'HOSTILE1') }));
    await c.finalResponse();
    c.sendMessage(3, cEcho(2));
    await c.finalResponse(2);
    const from = c.messages.length;
    c.sendMessage(5, nCreate(3, '1.2.3.11.1'), dataset({ '00400252': text('CS', 'COMPLETED') }));
    await c.finalResponse(from);
    c.sendMessage(5, nSet(4, '1.2.3.11.1'), dataset({ '00400252': text('CS', 'COMPLETED') }));
    await c.finalResponse(from + 1);
    const byField = (field: number) => c.messages.filter((m) => m.commandField === field);
    assert.deepEqual(
      byField(0x8020).map((m) => [m.status, m.affectedSopClassUid]),
      [
        [0xff00, MWL_FIND],
        [0x0000, MWL_FIND],
      ],
    );
    assert.deepEqual(
      byField(0x8030).map((m) => m.affectedSopClassUid),
      [VERIFICATION],
    );
    assert.deepEqual(
      byField(0x8140).map((m) => m.affectedSopClassUid),
      [MPPS],
    );
    assert.deepEqual(
      byField(0x8120).map((m) => m.affectedSopClassUid),
      [MPPS],
    );
    // And the SOP instance: the one created, the one set.
    const instance = (m: DimseMessage) =>
      m.command
        .get('00001000')
        ?.toString('latin1')
        .replace(/[\0 ]+$/, '');
    assert.deepEqual([...byField(0x8140), ...byField(0x8120)].map(instance), ['1.2.3.11.1', '1.2.3.11.1']);
  });

  it('refuses a C-FIND of another SOP class, or on a context of another SOP class', async () => {
    const c = await associated([ctx(1, MWL_FIND), ctx(3, VERIFICATION), ctx(7, STUDY_ROOT_FIND)]);
    c.sendMessage(3, cFind(1), findIdentifier({}));
    assert.equal((await c.finalResponse())?.status, 0x0122);
    assert.deepEqual(acceptedContexts(c.pdus[0]!.bytes).get(7), 3, 'Study Root FIND is not accepted');
  });

  it('aborts a P-DATA on a presentation context that was not accepted', async () => {
    const c = await associated([ctx(1, MWL_FIND)]);
    c.send(pData(9, true, true, cEcho(1)));
    assert.ok(await c.waitFor(() => c.pdus.some((p) => p.type === 0x07)));
    await bridge.waitForLog(/presentation context 9, which was not accepted/);
  });
});
