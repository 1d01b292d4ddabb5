/**
 * Per calling AE settings, checked with findscu (its answers read as sent, and converted to UTF-8): an older modality gets ISO_IR 100
 * answers (characters outside it replaced and logged), a station sees only its own items.
 */
import { after, before, describe, it } from '../helpers/suites.js';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findscu, mllpSendFramed, projectDir, skipWithout, startBridge, type RunningBridge, ifStarted } from '../helpers/peers.js';

const skip = skipWithout('mllp_send', 'findscu');
const sample = (name: string) => readFileSync(join(projectDir, 'samples', name));
const settings = { OLD_CT: { characterSet: 'ISO_IR 100' }, CT_SCANNER_1: { onlyOwnStation: true, maxAnswers: 5 } };

describe('per calling AE settings', { skip }, () => {
  let bridge: RunningBridge;
  before(async () => {
    bridge = await startBridge(['--calling-ae-settings', JSON.stringify(settings)]);
    const cyrillic = sample('orm-us-abdomen-utf8.hl7')
      .toString('utf8')
      .replace('MÜLLER^JÜRGEN', 'ИВАНОВ^ИВАН')
      .replace(/1003/g, '1103')
      .replace('MSG00003', 'MSG1103');
    mllpSendFramed(bridge.mllpPort, [sample('orm-latin1.hl7'), sample('omi-o23-ct-chest-abdomen.hl7'), sample('orm-ct-head.hl7'), Buffer.from(cyrillic)]);
  });
  after(async () => {
    await ifStarted(bridge)?.stop();
  });

  it('answers OLD_CT in ISO_IR 100, names intact', () => {
    const { answers } = findscu(bridge.dicomPort, bridge.aeTitle, ['PatientID=PAT1004', 'PatientName', 'RequestedProcedureDescription'], {
      extra: ['-aet', 'OLD_CT'],
    });
    assert.equal(answers.length, 1);
    assert.equal(answers[0]!.values['(0010,0010)'], 'GONÇALVES^JOSÉ^ANDRÉ', 'decoded with the declared character set');
    // As sent: declared ISO_IR 100, one byte per character (Ç = 0xC7), not UTF-8.
    const sent = findscu(bridge.dicomPort, bridge.aeTitle, ['PatientID=PAT1004', 'PatientName'], { extra: ['-aet', 'OLD_CT'], asSent: true }).answers[0]!;
    assert.equal(sent.values['(0008,0005)'], 'ISO_IR 100');
    assert.equal(sent.values['(0010,0010)'], 'GON\xc7ALVES^JOS\xc9^ANDR\xc9');
  });

  it('replaces characters ISO_IR 100 lacks with "?" and logs it', async () => {
    const { answers } = findscu(bridge.dicomPort, bridge.aeTitle, ['PatientID=PAT1103', 'PatientName'], { extra: ['-aet', 'OLD_CT'] });
    assert.equal(answers[0]!.values['(0010,0010)'], '??????^????');
    await bridge.waitForLog(/dicom\.charset_replaced remote=\S+ calling=OLD_CT called=MWL_TEST charset="ISO_IR 100" attributes="\(0010,0010\) PatientName"/);
  });

  it('other modalities keep lossless UTF-8', () => {
    const { answers } = findscu(bridge.dicomPort, bridge.aeTitle, ['PatientID=PAT1103', 'PatientName']);
    assert.equal(answers[0]!.values['(0008,0005)'], 'ISO_IR 192');
    assert.equal(answers[0]!.values['(0010,0010)'], 'ИВАНОВ^ИВАН');
  });

  it('a station with onlyOwnStation sees only the items scheduled for it', () => {
    const own = findscu(bridge.dicomPort, bridge.aeTitle, ['PatientID', 'ScheduledProcedureStepSequence[0].ScheduledProcedureStepID'], {
      extra: ['-aet', 'CT_SCANNER_1'],
    });
    assert.deepEqual(
      own.answers.map((a) => a.values['(0010,0020)']),
      ['PAT1005', 'PAT1005'],
    );
    const anyone = findscu(bridge.dicomPort, bridge.aeTitle, ['PatientID']);
    assert.equal(anyone.answers.length, 5);
  });
});
