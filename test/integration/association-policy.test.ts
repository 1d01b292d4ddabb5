/**
 * Association policy with the real DCMTK tools: called AE title check, calling AE allowlist,
 * answer limit. Rejections are logged with the reason.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { findscu, mllpSend, projectDir, skipWithout, startBridge, type RunningBridge } from '../helpers/peers.js';

const skip = skipWithout('mllp_send', 'findscu', 'echoscu', 'dcmdump');
const echo = (port: number, calling: string, called: string) =>
  spawnSync('echoscu', ['-to', '5', '-aet', calling, '-aec', called, '127.0.0.1', String(port)], { encoding: 'utf8' });

describe('association policy', { skip }, () => {
  let bridge: RunningBridge;
  before(async () => {
    bridge = await startBridge(['--allowed-calling-ae-titles', 'CT_SCANNER_1,MR_1', '--max-answers', '2']);
    for (const s of ['orm-ct-head.hl7', 'orm-mr-knee.hl7', 'orm-us-abdomen-utf8.hl7']) mllpSend(bridge.mllpPort, join(projectDir, 'samples', s));
  });
  after(async () => {
    await bridge?.stop();
  });

  it('accepts an allowed calling AE title addressing the right called AE title', () => {
    assert.equal(echo(bridge.dicomPort, 'CT_SCANNER_1', bridge.aeTitle).status, 0);
  });

  it('rejects a wrong called AE title, logging why', async () => {
    const r = echo(bridge.dicomPort, 'CT_SCANNER_1', 'OTHER_SCP');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr + r.stdout, /Association Rejected|rejected/i);
    await bridge.waitForLog(/dicom\.association_rejected calling=CT_SCANNER_1 called=OTHER_SCP reason="called AE title \\"OTHER_SCP\\" is not \\"MWL_TEST\\"/);
  });

  it('rejects a calling AE title outside the allowlist', async () => {
    const r = echo(bridge.dicomPort, 'STRANGER', bridge.aeTitle);
    assert.notEqual(r.status, 0);
    await bridge.waitForLog(/calling AE title \\"STRANGER\\" is not in dicom\.allowedCallingAeTitles/);
  });

  it('stops at dicom.maxAnswers and says so in the log', async () => {
    const { answers } = findscu(bridge.dicomPort, bridge.aeTitle, ['PatientID'], { extra: ['-aet', 'MR_1'] });
    assert.equal(answers.length, 2);
    await bridge.waitForLog(/dicom\.find_truncated calling=MR_1 keys=\* answers=2/);
  });
});
