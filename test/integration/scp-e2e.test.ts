/**
 * The worklist SCP against DCMTK's findscu with the query shapes modalities send: Implicit VR,
 * dozens of empty return keys with nested sequences, an ISO_IR 100 query, and a broken peer.
 */
import { after, before, describe, it } from '../helpers/suites.js';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { WorklistStore } from '../../src/store/worklist-store.js';
import { dump2dcm, echoscu, findscu, mllpSendFramed, projectDir, skipWithout, startBridge, tempDir, type RunningBridge, ifStarted } from '../helpers/peers.js';
import { writeWorklistDb } from '../helpers/worklist-db.js';
import { EXPLICIT_LE, MWL_FIND, WireClient, cFind, dataset } from '../helpers/dicom-wire.js';

const skip = skipWithout('mllp_send', 'findscu', 'echoscu', 'dump2dcm');
const samples = join(projectDir, 'samples');

/** The return keys a real modality sends (40+ of them, several sequences with empty items). */
const MODALITY_KEYS = [
  'SpecificCharacterSet',
  'AccessionNumber',
  'ReferringPhysicianName',
  'StudyDescription',
  'AdmittingDiagnosesDescription',
  'ReferencedStudySequence[0].ReferencedSOPClassUID',
  'ReferencedStudySequence[0].ReferencedSOPInstanceUID',
  'ReferencedPatientSequence[0].ReferencedSOPClassUID',
  'ReferencedPatientSequence[0].ReferencedSOPInstanceUID',
  'PatientName',
  'PatientID',
  'IssuerOfPatientID',
  'PatientBirthDate',
  'PatientSex',
  '(0010,1000)',
  'PatientWeight',
  'PatientSize',
  'PatientAddress',
  'MedicalAlerts',
  'Allergies',
  'PregnancyStatus',
  'PatientComments',
  'StudyInstanceUID',
  'StudyID',
  'RequestingPhysician',
  'RequestedProcedureDescription',
  'RequestedProcedureCodeSequence[0].CodeValue',
  'RequestedProcedureCodeSequence[0].CodingSchemeDesignator',
  'RequestedProcedureCodeSequence[0].CodeMeaning',
  'AdmissionID',
  'SpecialNeeds',
  'CurrentPatientLocation',
  'PatientState',
  'ScheduledProcedureStepSequence[0].Modality',
  'ScheduledProcedureStepSequence[0].RequestedContrastAgent',
  'ScheduledProcedureStepSequence[0].ScheduledStationAETitle',
  'ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate',
  'ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartTime',
  'ScheduledProcedureStepSequence[0].ScheduledPerformingPhysicianName',
  'ScheduledProcedureStepSequence[0].ScheduledProcedureStepDescription',
  'ScheduledProcedureStepSequence[0].ScheduledProtocolCodeSequence[0].CodeValue',
  'ScheduledProcedureStepSequence[0].ScheduledProtocolCodeSequence[0].CodeMeaning',
  'ScheduledProcedureStepSequence[0].ScheduledProcedureStepID',
  'ScheduledProcedureStepSequence[0].ScheduledStationName',
  'ScheduledProcedureStepSequence[0].ScheduledProcedureStepLocation',
  'ScheduledProcedureStepSequence[0].ScheduledProcedureStepStatus',
  'RequestedProcedureID',
  'RequestedProcedurePriority',
  'PatientTransportArrangements',
  'ConfidentialityConstraintOnPatientDataDescription',
];

describe('worklist SCP with modality-style queries', { skip }, () => {
  let bridge: RunningBridge;
  before(async () => {
    // A short ACSE timeout, so the broken peer below is dropped quickly.
    bridge = await startBridge(['--acse-timeout', '2']);
    mllpSendFramed(
      bridge.mllpPort,
      ['orm-ct-head.hl7', 'orm-latin1.hl7', 'orm-us-abdomen-utf8.hl7'].map((f) => readFileSync(join(samples, f))),
    );
  });
  after(async () => {
    await ifStarted(bridge)?.stop();
  });

  it('answers an Implicit VR Little Endian query', () => {
    const { answers, status } = findscu(bridge.dicomPort, bridge.aeTitle, ['PatientID=PAT1001', 'PatientName', 'ScheduledProcedureStepSequence[0].Modality'], {
      extra: ['-xi'],
    });
    assert.equal(status, 0);
    assert.equal(answers.length, 1);
    assert.equal(answers[0]!.values['(0040,0100)>(0008,0060)'], 'CT');
  });

  it('answers 40+ empty return keys with every key present, nested sequences expanded', () => {
    assert.ok(MODALITY_KEYS.length >= 40);
    const { answers } = findscu(bridge.dicomPort, bridge.aeTitle, [...MODALITY_KEYS.filter((k) => k !== 'PatientID'), 'PatientID=PAT1001']);
    assert.equal(
      answers.length,
      1,
      bridge
        .log()
        .split('\n')
        .filter((l) => l.includes('dicom.find'))
        .slice(-1)[0],
    );
    const v = answers[0]!.values;
    // requested, absent in the item: present and zero-length
    assert.equal(v['(0010,1040)'], '');
    assert.equal(v['(0038,0010)'], '');
    assert.equal(v['(0008,1110)'], '<SQ>');
    // requested and present, including inside the sequences
    assert.equal(v['(0010,0010)'], 'DOE^JOHN^Q^MR^JR');
    assert.equal(v['(0032,1064)>(0008,0100)'], 'CTHEAD');
    assert.equal(v['(0040,0100)>(0040,0008)>(0008,0104)'], 'CT head without contrast');
    assert.equal(v['(0040,0100)>(0040,0020)'], 'SCHEDULED');
    const topLevelKeys = Object.keys(v).filter((k) => !k.includes('>')).length;
    assert.ok(topLevelKeys >= 30, `${topLevelKeys} top-level keys answered`);
  });

  it('decodes an ISO_IR 100 query before matching, and answers the name losslessly in UTF-8', () => {
    const dir = tempDir('mwl-q-');
    const dump = join(dir, 'q.dump');
    writeFileSync(dump, Buffer.from('(0008,0005) CS [ISO_IR 100]\n(0010,0010) PN [GON\xc7ALVES*]\n(0010,0020) LO []\n', 'latin1'));
    dump2dcm(dump, join(dir, 'q.dcm'));
    const { answers } = findscu(bridge.dicomPort, bridge.aeTitle, [], { queryFile: join(dir, 'q.dcm') });
    assert.equal(answers.length, 1);
    assert.equal(answers[0]!.values['(0010,0010)'], 'GONÇALVES^JOSÉ^ANDRÉ');
    assert.equal(answers[0]!.values['(0010,0020)'], 'PAT1004');
    assert.equal(answers[0]!.values['(0008,0005)'], 'ISO_IR 192');
  });

  it('a broken peer (garbage instead of an association request) is refused at the PDU header (A-ABORT) and closed; others are served', async () => {
    const socket = connect({ host: '127.0.0.1', port: bridge.dicomPort });
    await new Promise<void>((r) =>
      socket.once('connect', () => {
        r();
      }),
    );
    let received = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
    socket.on('error', () => undefined);
    socket.write(Buffer.from([0x01, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef]));
    socket.write(Buffer.from('not DICOM at all'.repeat(50)));
    const closed = await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => {
        resolve(false);
      }, 8000);
      socket.once('close', () => {
        clearTimeout(t);
        resolve(true);
      });
    });
    socket.destroy();
    assert.ok(closed, `the server closes the broken connection:\n${bridge.log()}`);
    assert.equal(received[0], 0x07, 'an A-ABORT PDU came first');
    await bridge.waitForLog(/dicom\.protocol_error .*A-ASSOCIATE-RQ of 4294967295 bytes is longer than the 262144 bytes accepted/);
    assert.equal(echoscu(bridge.dicomPort, bridge.aeTitle), 0, 'other associations are still served');
    const { answers } = findscu(bridge.dicomPort, bridge.aeTitle, ['PatientID=PAT1003', 'PatientName']);
    assert.equal(answers[0]?.values['(0010,0010)'], 'MÜLLER^JÜRGEN');
  });
});

describe('large answers and C-CANCEL', { skip }, () => {
  it('streams answers and stops when the modality cancels, answering Cancel', async (t) => {
    // 1,000 items written to the store before the bridge starts (orders over MLLP are tested elsewhere).
    const dir = tempDir('mwl-cancel-');
    writeWorklistDb(
      dir,
      Array.from({ length: 1000 }, (_, i) => ({
        '00100010': { vr: 'PN', Value: [{ Alphabetic: `BULK^PATIENT${i}` }] },
        '00100020': { vr: 'LO', Value: [`8${String(i).padStart(4, '0')}`] },
        '00080050': { vr: 'SH', Value: [`ACC8${String(i).padStart(4, '0')}`] },
        // 8 KB an answer, 8 MB in all: more than the socket buffers hold, so that answers are still
        // to be sent when the cancel arrives (small answers were all written before it).
        '00104000': { vr: 'LT', Value: [`COMMENT ${i} `.padEnd(8000, 'x')] },
        '00400100': {
          vr: 'SQ',
          Value: [{ '00080060': { vr: 'CS', Value: ['MR'] }, '00400002': { vr: 'DA', Value: ['20261123'] }, '00400009': { vr: 'SH', Value: [`SPS8${i}`] } }],
        },
      })),
    );
    const bridge = await startBridge([], { dir, mllp: false });
    try {
      const all = findscu(bridge.dicomPort, bridge.aeTitle, ['PatientID']);
      assert.equal(all.answers.length, 1000);
      const cancelled = findscu(bridge.dicomPort, bridge.aeTitle, ['PatientID', 'PatientComments'], { extra: ['--cancel', '10'] });
      assert.ok(cancelled.answers.length >= 10 && cancelled.answers.length < 1000, `${cancelled.answers.length} answers before the cancel took effect`);
      const log = await bridge.waitForLog(/dicom\.find_cancelled remote=\S+ calling=FINDSCU called=MWL_TEST keys=\S+ answers_sent=\d+/);
      t.diagnostic(`findscu --cancel 10: ${cancelled.answers.length} answers received, ${/answers_sent=(\d+)/.exec(log)?.[1]} sent of 1000`);
    } finally {
      await bridge.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('keeps streaming an answer that lasts longer than dicom.dimseTimeoutSeconds', async (t) => {
    // The modality sends nothing while it receives a long answer; that is not an idle association.
    // Here a slow modality reads 32 MB of answers in bursts of 50 ms, 250 ms apart (a 1 s timeout:
    // the SCP must miss several bursts in a row on a busy machine before its writes stop for 1 s). A
    // reader that stops for the whole timeout is aborted: it would hold its slot forever (issue 15).
    const dir = tempDir('mwl-long-answer-');
    const store = WorklistStore.open(join(dir, 'worklist.db'));
    store.transaction(() => {
      for (let i = 0; i < 4000; i++) {
        store.items.insert({
          source: 'import',
          dataset: {
            '00100010': { vr: 'PN', Value: [{ Alphabetic: `LONG^ANSWER${i}` }] },
            '00100020': { vr: 'LO', Value: [`LA${i}`] },
            '00080050': { vr: 'SH', Value: [`ACC${i}`] },
            '00104000': { vr: 'LT', Value: [`COMMENT ${i} `.padEnd(8000, 'x')] },
            '00400100': {
              vr: 'SQ',
              Value: [{ '00080060': { vr: 'CS', Value: ['CT'] }, '00400002': { vr: 'DA', Value: ['20261123'] }, '00400009': { vr: 'SH', Value: [`SPS${i}`] } }],
            },
          },
        });
      }
    });
    store.close();
    const bridge = await startBridge(['--dimse-timeout', '1', '--max-answers', '0'], { dir, mllp: false });
    const client = await WireClient.connect(bridge.dicomPort);
    try {
      const accepted = await client.associate({
        called: bridge.aeTitle,
        calling: 'SLOW_READER',
        contexts: [{ id: 1, abstractSyntax: MWL_FIND, transferSyntaxes: [EXPLICIT_LE] }],
        maxPduLength: 16384,
      });
      assert.equal(accepted?.type, 0x02, 'association accepted');
      client.sendMessage(1, cFind(1), dataset({ '00100020': { vr: 'LO' }, '00104000': { vr: 'LT' } }));
      assert.ok(await client.waitFor(() => client.messages.length > 0), 'the first answer arrives');
      const sleep = (ms: number): Promise<unknown> => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
      let pauses = 0;
      while (!client.closed && !client.messages.some((m) => m.status === 0x0000)) {
        client.socket.pause();
        pauses++;
        await sleep(250);
        client.socket.resume();
        await sleep(50);
      }
      const final = await client.finalResponse(0, 30_000);
      assert.equal(
        final?.status,
        0x0000,
        `the final response is Success (${client.messages.length} messages, closed ${String(client.closed)}, PDUs ${[...new Set(client.pdus.map((p) => p.type))].join(',')}):\n${bridge.log().slice(-1500)}`,
      );
      // Every answer and the final Success arrived: the stream was not aborted (the association, idle
      // from its last write, may be aborted once the reader has caught up; that is after this).
      assert.equal(client.messages.filter((m) => m.status === 0xff00).length, 4000, 'every answer arrived');
      const log = await bridge.waitForLog(/dicom\.find .*ms=\d+/);
      const ms = Number(/dicom\.find .*ms=(\d+)/.exec(log)![1]);
      assert.ok(ms > 1500, `the answer outlasted the 1 s timeout: ${ms} ms`);
      t.diagnostic(`4000 answers of 8 KB streamed over ${ms} ms to a reader that paused ${pauses} times for 250 ms, with a 1 s DIMSE timeout`);
    } finally {
      client.close();
      await bridge.stop();
    }
  });
});
