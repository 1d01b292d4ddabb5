/**
 * End to end with the real peers: orders go in with mllp_send, a modality queries with findscu.
 */
import { after, before, describe, it } from '../helpers/suites.js';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  echoscu,
  findscu,
  hl7Field,
  mllpSend,
  mllpSendText,
  projectDir,
  runCli,
  skipWithout,
  startBridge,
  startBridgeProcess,
  tempDir,
  type RunningBridge,
  ifStarted,
} from '../helpers/peers.js';

const samples = join(projectDir, 'samples');
const skip = skipWithout('mllp_send', 'findscu', 'echoscu');

describe('bridge end to end (mllp_send -> store -> findscu)', { skip }, () => {
  let bridge: RunningBridge;
  before(async () => {
    bridge = await startBridge();
  });
  after(async () => {
    await ifStarted(bridge)?.stop();
  });

  it('acknowledges a new order with AA, MSA-2 = MSH-10 and sender/receiver swapped', () => {
    const acks = mllpSend(bridge.mllpPort, join(samples, 'orm-ct-head.hl7'));
    assert.equal(acks.length, 1);
    const [msh, msa] = acks[0]!;
    assert.equal(hl7Field(msa!, 1), 'AA');
    assert.equal(hl7Field(msa!, 2), 'MSG00001');
    assert.equal(hl7Field(msh!, 3), 'MWL_BRIDGE'); // the order's MSH-5
    assert.equal(hl7Field(msh!, 5), 'RIS'); // the order's MSH-3
    assert.equal(hl7Field(msh!, 6), 'RADIOLOGY');
    assert.equal(hl7Field(msh!, 9), 'ACK^O01^ACK');
    assert.equal(hl7Field(msh!, 12), '2.3.1');
  });

  it('answers C-ECHO', () => {
    assert.equal(echoscu(bridge.dicomPort, bridge.aeTitle), 0);
  });

  it('finds the order by PatientID with the mapped values', () => {
    const { answers, status } = findscu(bridge.dicomPort, bridge.aeTitle, [
      'PatientID=PAT1001',
      'PatientName',
      'PatientBirthDate',
      'PatientSex',
      'AccessionNumber',
      'RequestedProcedureID',
      'StudyInstanceUID',
      'ReferringPhysicianName',
      'ScheduledProcedureStepSequence[0].Modality',
      'ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate',
      'ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartTime',
      'ScheduledProcedureStepSequence[0].ScheduledProcedureStepID',
    ]);
    assert.equal(status, 0);
    assert.equal(answers.length, 1);
    const v = answers[0]!.values;
    assert.equal(v['(0010,0020)'], 'PAT1001');
    assert.equal(v['(0010,0010)'], 'DOE^JOHN^Q^MR^JR'); // XPN family^given^middle^suffix^prefix -> PN
    assert.equal(v['(0010,0030)'], '19700215');
    assert.equal(v['(0010,0040)'], 'M');
    assert.equal(v['(0008,0050)'], 'ACC1001');
    assert.equal(v['(0040,1001)'], 'RP1001');
    assert.equal(v['(0020,000d)'], '1.2.826.0.1.3680043.10.543.1001');
    assert.equal(v['(0008,0090)'], 'WELBY^MARCUS^^DR');
    assert.equal(v['(0040,0100)>(0008,0060)'], 'CT');
    assert.equal(v['(0040,0100)>(0040,0002)'], '20261123');
    assert.equal(v['(0040,0100)>(0040,0003)'], '100000');
    assert.equal(v['(0040,0100)>(0040,0009)'], 'SPS1001');
  });

  it('finds orders by AccessionNumber, and modality + date range', () => {
    assert.equal(mllpSend(bridge.mllpPort, join(samples, 'orm-mr-knee.hl7'))[0]![1], 'MSA|AA|MSG00002');
    assert.equal(mllpSend(bridge.mllpPort, join(samples, 'orm-us-abdomen-utf8.hl7'))[0]![1], 'MSA|AA|MSG00003');

    const byAccession = findscu(bridge.dicomPort, bridge.aeTitle, ['AccessionNumber=ACC1002', 'PatientID']);
    assert.deepEqual(
      byAccession.answers.map((a) => a.values['(0010,0020)']),
      ['PAT1002'],
    );

    const mrToday = findscu(bridge.dicomPort, bridge.aeTitle, [
      'PatientID',
      'ScheduledProcedureStepSequence[0].Modality=MR',
      'ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate=20261123-20261123',
    ]);
    assert.deepEqual(
      mrToday.answers.map((a) => a.values['(0010,0020)']),
      ['PAT1002'],
    );

    const range = findscu(bridge.dicomPort, bridge.aeTitle, [
      'PatientID',
      'ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate=20261123-20261124',
    ]);
    assert.deepEqual(range.answers.map((a) => a.values['(0010,0020)']).sort(), ['PAT1001', 'PAT1002', 'PAT1003']);

    const tomorrowOnly = findscu(bridge.dicomPort, bridge.aeTitle, [
      'PatientID',
      'ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate=20261124-',
    ]);
    assert.deepEqual(
      tomorrowOnly.answers.map((a) => a.values['(0010,0020)']),
      ['PAT1003'],
    );

    const none = findscu(bridge.dicomPort, bridge.aeTitle, [
      'PatientID',
      'ScheduledProcedureStepSequence[0].Modality=CT',
      'ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate=20261124',
    ]);
    assert.equal(none.answers.length, 0);
  });

  it('returns a UTF-8 name exactly, with Specific Character Set ISO_IR 192', () => {
    const { answers } = findscu(bridge.dicomPort, bridge.aeTitle, ['SpecificCharacterSet=ISO_IR 192', 'PatientName=müller*']);
    assert.equal(answers.length, 1);
    assert.equal(answers[0]!.values['(0010,0010)'], 'MÜLLER^JÜRGEN');
    assert.equal(answers[0]!.values['(0008,0005)'], 'ISO_IR 192');
  });

  it('rejects an unsupported message type with AR and ERR code 200, storing nothing', () => {
    const [ack] = mllpSend(bridge.mllpPort, join(samples, 'adt-a01-unsupported.hl7'));
    assert.equal(hl7Field(ack![1]!, 1), 'AR');
    assert.equal(hl7Field(ack![1]!, 2), 'MSG00098');
    assert.match(ack![2]!, /^ERR\|MSH\^1\^9\^200&/);
  });

  it('rejects an order without patient ID with AE and an ERR naming PID-3, storing nothing', () => {
    const [ack] = mllpSend(bridge.mllpPort, join(samples, 'orm-missing-patient-id.hl7'));
    assert.equal(hl7Field(ack![1]!, 1), 'AE');
    assert.equal(hl7Field(ack![1]!, 2), 'MSG00099');
    assert.equal(hl7Field(ack![1]!, 3), 'PatientID (DICOM type 1) has no value; PatientID is read from PID-3[5=MR].1');
    assert.match(ack![2]!, /^ERR\|PID\^1\^3\^101&Required field missing/);
    const { answers } = findscu(bridge.dicomPort, bridge.aeTitle, ['PatientName=NOID*']);
    assert.equal(answers.length, 0);
  });

  it('keeps a connection usable after a bad message: every message gets its own ACK, in order', () => {
    const good = readFileSync(join(samples, 'orm-ct-head.hl7'), 'utf8').replace('MSG00001', 'MSG10001').replace(/1001/g, '9001');
    const bad = 'MSH|^~\\&|RIS|RADIOLOGY|MWL_BRIDGE|HOSPITAL|20261123||ORM^O01|MSG10002|P|2.3.1\rPID|1||\rORC|NW\rOBR|1\r';
    const good2 = good
      .replace('MSG10001', 'MSG10003')
      .replace(/9001/g, '9003')
      .replace(/PAT9003/g, 'PAT9001');
    const acks = mllpSendText(bridge.mllpPort, [good, bad, good2].join('\r\n'));
    assert.deepEqual(
      acks.map((a) => [hl7Field(a[1]!, 1), hl7Field(a[1]!, 2)]),
      [
        ['AA', 'MSG10001'],
        ['AE', 'MSG10002'],
        ['AA', 'MSG10003'],
      ],
    );
    const { answers } = findscu(bridge.dicomPort, bridge.aeTitle, ['PatientID=PAT9001', 'AccessionNumber']);
    assert.deepEqual(answers.map((a) => a.values['(0008,0050)']).sort(), ['ACC9001', 'ACC9003']);
  });

  it('logs one line per listener when ready', () => {
    assert.match(bridge.log(), /INFO {2}dicom\.ready host=0\.0\.0\.0 port=\d+ ae_title=MWL_TEST/);
    assert.match(bridge.log(), /INFO {2}mllp\.ready host=127\.0\.0\.1 port=\d+/);
  });
});

describe('start-up and shutdown', { skip }, () => {
  it('stops cleanly on SIGTERM with exit code 0', async () => {
    const bridge = await startBridgeProcess();
    assert.equal(await bridge.stop(), 0);
    assert.match(bridge.log(), /bridge\.stopped/);
  });

  it('goes on serving and still stops on SIGTERM when whatever read its log has gone (EPIPE)', async () => {
    const bridge = await startBridgeProcess([], { mllp: false, http: false });
    // The reader of stdout and stderr goes away, as when a terminal closes or `| tee` is killed.
    bridge.process.stdout?.destroy();
    bridge.process.stderr?.destroy();
    // Each association logs lines that now fail to write; they used to turn into uncaught
    // exceptions whose own log lines failed again, a loop that kept the stop from finishing.
    assert.equal(echoscu(bridge.dicomPort, bridge.aeTitle), 0);
    assert.equal(echoscu(bridge.dicomPort, bridge.aeTitle), 0);
    bridge.process.kill('SIGTERM');
    const code = await new Promise<number | null | 'still running'>((resolveExit) => {
      const timer = setTimeout(() => {
        bridge.process.kill('SIGKILL');
        resolveExit('still running');
      }, 12_000);
      bridge.process.once('exit', (exitCode) => {
        clearTimeout(timer);
        resolveExit(exitCode);
      });
    });
    assert.equal(code, 0, 'the bridge stops with exit code 0 within 12 s of SIGTERM');
  });

  it('runs without the HL7 listener when --mllp-port is off', async () => {
    const bridge = await startBridge([], { mllp: false });
    try {
      assert.match(bridge.log(), /mllp\.disabled/);
      assert.equal(echoscu(bridge.dicomPort, bridge.aeTitle), 0);
    } finally {
      await bridge.stop();
    }
  });

  it('refuses to start on an invalid mapping, naming file, line and fix', () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'name: bad\nappliesTo: { messages: [ORM^O01] }\nattributes:\n  PatientID: PID-3.1\n  AccesionNumber: OBR-18\n');
    const r = runCli(['start', '--mapping', bad, '--db', join(dir, 'wl.db'), '--mllp-port', '0', '--dicom-port', '0']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /bad\.yaml:5: "AccesionNumber" is not a DICOM keyword \(use the keyword from PS3\.6/);
  });

  it('refuses to start on an invalid setting, naming it', () => {
    const r = runCli(['start', '--dicom-port', '70000', '--ae-title', 'A\\B']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /flag --dicom-port: 70000 is outside 0\.\.65535/);
    assert.match(r.stderr, /flag --ae-title: "A\\B" is not an AE title/);
  });
});
