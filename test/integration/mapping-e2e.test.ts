/**
 * The mapping engine end to end: real-world feed shapes sent with mllp_send come back from findscu.
 */
import { after, before, describe, it } from '../helpers/suites.js';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  findscu,
  hl7Field,
  mllpSend,
  mllpSendFramed,
  projectDir,
  skipWithout,
  startBridge,
  startBridgeProcess,
  tempDir,
  type RunningBridge,
  ifStarted,
} from '../helpers/peers.js';

const samples = join(projectDir, 'samples');
const skip = skipWithout('mllp_send', 'findscu');
const utf8Query = 'SpecificCharacterSet=ISO_IR 192';

describe('mapping end to end (mllp_send -> findscu)', { skip }, () => {
  let bridge: RunningBridge;
  before(async () => {
    bridge = await startBridge();
  });
  after(async () => {
    await ifStarted(bridge)?.stop();
  });

  it('a Latin-1 order (MSH-18 8859/1) comes back with the exact name', () => {
    const [ack] = mllpSendFramed(bridge.mllpPort, [readFileSync(join(samples, 'orm-latin1.hl7'))]);
    assert.equal(ack![1], 'MSA|AA|MSG00004');
    const { answers } = findscu(bridge.dicomPort, bridge.aeTitle, [utf8Query, 'PatientID=PAT1004', 'PatientName', 'RequestedProcedureDescription']);
    assert.equal(answers.length, 1);
    assert.equal(answers[0]!.values['(0010,0010)'], 'GONÇALVES^JOSÉ^ANDRÉ');
  });

  it('a UTF-8 order comes back with the exact name, and matches a non-ASCII query', () => {
    assert.equal(mllpSend(bridge.mllpPort, join(samples, 'orm-us-abdomen-utf8.hl7'))[0]![1], 'MSA|AA|MSG00003');
    const { answers } = findscu(bridge.dicomPort, bridge.aeTitle, [utf8Query, 'PatientName=MÜLLER^JÜRGEN']);
    assert.equal(answers.length, 1);
    assert.equal(answers[0]!.values['(0010,0010)'], 'MÜLLER^JÜRGEN');
  });

  it('an order with two ORC/OBR groups yields two findable items', () => {
    assert.equal(mllpSend(bridge.mllpPort, join(samples, 'orm-two-obr.hl7'))[0]![1], 'MSA|AA|MSG00008');
    const { answers } = findscu(bridge.dicomPort, bridge.aeTitle, ['PatientID=PAT1008', 'AccessionNumber', 'ScheduledProcedureStepSequence[0].Modality']);
    assert.deepEqual(answers.map((a) => `${a.values['(0008,0050)']}/${a.values['(0040,0100)>(0008,0060)']}`).sort(), ['ACC1081/CR', 'ACC1082/US']);
  });

  it('an OMI^O23 with two IPC segments yields two scheduled steps, found by station AE title', () => {
    const [ack] = mllpSend(bridge.mllpPort, join(samples, 'omi-o23-ct-chest-abdomen.hl7'));
    assert.equal(ack![1], 'MSA|AA|MSG00005');
    assert.equal(hl7Field(ack![0]!, 12), '2.5.1');
    const { answers } = findscu(bridge.dicomPort, bridge.aeTitle, [
      'PatientName',
      'ScheduledProcedureStepSequence[0].ScheduledStationAETitle=CT_SCANNER_1',
      'ScheduledProcedureStepSequence[0].ScheduledProcedureStepID',
    ]);
    assert.deepEqual(answers.map((a) => a.values['(0040,0100)>(0040,0009)']).sort(), ['SPS1005A', 'SPS1005B']);
  });

  it('a v2.4 order with LF separators and modality NMR is stored as MR', () => {
    const [ack] = mllpSendFramed(bridge.mllpPort, [readFileSync(join(samples, 'orm-v24-lf-nmr.hl7'))]);
    assert.equal(ack![1], 'MSA|AA|MSG00006');
    const { answers } = findscu(bridge.dicomPort, bridge.aeTitle, ['PatientID=PAT1006', 'ScheduledProcedureStepSequence[0].Modality=MR']);
    assert.equal(answers.length, 1);
  });

  it('escape sequences arrive decoded', () => {
    assert.equal(mllpSend(bridge.mllpPort, join(samples, 'orm-escapes.hl7'))[0]![1], 'MSA|AA|MSG00010');
    const { answers } = findscu(bridge.dicomPort, bridge.aeTitle, ['PatientID=PAT1010', 'PatientName', 'RequestedProcedureDescription']);
    assert.equal(answers[0]!.values['(0010,0010)'], "O'NEIL&SONS^MARY");
    assert.equal(answers[0]!.values['(0032,1060)'], 'CT head & neck | contrast / angio');
  });
});

describe('mapping reload on SIGHUP', { skip }, () => {
  it('applies a valid new mapping and keeps the old one when the new one is invalid', async () => {
    const dir = tempDir();
    const mapping = join(dir, 'site.yaml');
    copyFileSync(join(projectDir, 'mappings', 'default.yaml'), mapping);
    const bridge = await startBridgeProcess(['--mapping', mapping], { dir });
    try {
      const send = (ctrl: string) =>
        mllpSendFramed(bridge.mllpPort, [
          Buffer.from(
            readFileSync(join(samples, 'orm-mr-knee.hl7'), 'utf8')
              .replace('MSG00002', ctrl)
              .replace(/ACC1002/g, `ACC-${ctrl}`),
          ),
        ])[0]![1];
      const description = (ctrl: string) =>
        findscu(bridge.dicomPort, bridge.aeTitle, [`AccessionNumber=ACC-${ctrl}`, 'RequestedProcedureDescription']).answers[0]?.values['(0032,1060)'];

      assert.equal(send('R1'), 'MSA|AA|R1');
      assert.equal(description('R1'), 'MR knee left');

      writeFileSync(
        mapping,
        readFileSync(mapping, 'utf8').replace(
          /RequestedProcedureDescription:\n {4}from: .*\n {4}invalid: \[clean, truncate\]/,
          'RequestedProcedureDescription: { template: "RELOADED {OBR-4.1}" }',
        ),
      );
      bridge.process.kill('SIGHUP');
      await waitFor(() => bridge.log().includes('mapping.reloaded'));
      assert.equal(send('R2'), 'MSA|AA|R2');
      assert.equal(description('R2'), 'RELOADED MRKNEE');

      writeFileSync(mapping, readFileSync(mapping, 'utf8').replace('AccessionNumber: OBR-18', 'AccessionNumbr: OBR-18'));
      bridge.process.kill('SIGHUP');
      await waitFor(() => bridge.log().includes('mapping.reload_failed'));
      assert.match(bridge.log(), /AccessionNumbr.*is not a DICOM keyword/);
      assert.equal(send('R3'), 'MSA|AA|R3');
      assert.equal(description('R3'), 'RELOADED MRKNEE', 'the previous valid mapping is still in use');
    } finally {
      await bridge.stop();
    }
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
