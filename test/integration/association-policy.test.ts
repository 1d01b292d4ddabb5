/**
 * Association policy with the real DCMTK tools: called AE title check, calling AE allowlist,
 * answer limit. Rejections are logged with the reason.
 */
import { after, before, describe, it } from '../helpers/suites.js';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { findscu, mllpSendFiles, projectDir, skipWithout, startBridge, type RunningBridge, ifStarted } from '../helpers/peers.js';

const skip = skipWithout('mllp_send', 'findscu', 'echoscu');
const echo = (port: number, calling: string, called: string) =>
  spawnSync('echoscu', ['-to', '5', '-aet', calling, '-aec', called, '127.0.0.1', String(port)], { encoding: 'utf8' });

describe('association policy', { skip }, () => {
  let bridge: RunningBridge;
  before(async () => {
    bridge = await startBridge(['--allowed-calling-ae-titles', 'CT_SCANNER_1,MR_1', '--max-answers', '2']);
    mllpSendFiles(
      bridge.mllpPort,
      ['orm-ct-head.hl7', 'orm-mr-knee.hl7', 'orm-us-abdomen-utf8.hl7'].map((s) => join(projectDir, 'samples', s)),
    );
  });
  after(async () => {
    await ifStarted(bridge)?.stop();
  });

  it('accepts an allowed calling AE title addressing the right called AE title', () => {
    assert.equal(echo(bridge.dicomPort, 'CT_SCANNER_1', bridge.aeTitle).status, 0);
  });

  it('rejects a wrong called AE title, logging why', async () => {
    const r = echo(bridge.dicomPort, 'CT_SCANNER_1', 'OTHER_SCP');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr + r.stdout, /Association Rejected|rejected/i);
    await bridge.waitForLog(
      /dicom\.association_rejected remote=\S+ calling=CT_SCANNER_1 called=OTHER_SCP reason="called AE title \\"OTHER_SCP\\" is not \\"MWL_TEST\\"/,
    );
  });

  it('rejects a calling AE title outside the allowlist', async () => {
    const r = echo(bridge.dicomPort, 'STRANGER', bridge.aeTitle);
    assert.notEqual(r.status, 0);
    await bridge.waitForLog(/calling AE title \\"STRANGER\\" is not in dicom\.allowedCallingAeTitles/);
  });

  it('stops at dicom.maxAnswers and says so in the log', async () => {
    const { answers } = findscu(bridge.dicomPort, bridge.aeTitle, ['PatientID'], { extra: ['-aet', 'MR_1'] });
    assert.equal(answers.length, 2);
    await bridge.waitForLog(/dicom\.find_truncated remote=\S+ calling=MR_1 called=MWL_TEST keys=\* answers=2/);
  });
});

describe('dicom.maxAssociations', { skip }, () => {
  let bridge: RunningBridge;
  before(async () => {
    bridge = await startBridge(['--max-associations', '1']);
  });
  after(async () => {
    await ifStarted(bridge)?.stop();
  });

  it('rejects an association beyond the limit (transient), logs why, and accepts again once one closes', async () => {
    // echoscu --repeat keeps one association open, echoing, until it is killed.
    const holder = spawn('echoscu', ['-v', '--repeat', '1000000', '-aet', 'HOLDER', '-aec', bridge.aeTitle, '127.0.0.1', String(bridge.dicomPort)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let holderOut = '';
    holder.stdout.on('data', (d: Buffer) => (holderOut += d.toString()));
    holder.stderr.on('data', (d: Buffer) => (holderOut += d.toString()));
    const holderExited = new Promise((r) => holder.once('exit', r));
    try {
      const until = Date.now() + 10000;
      while (!/Association Accepted/.test(holderOut)) {
        assert.ok(Date.now() < until, `the holding association was never accepted:\n${holderOut}`);
        await new Promise((r) => setTimeout(r, 25));
      }
      const second = echo(bridge.dicomPort, 'SECOND', bridge.aeTitle);
      assert.notEqual(second.status, 0);
      assert.match(second.stderr + second.stdout, /Association Rejected/i);
      await bridge.waitForLog(
        /dicom\.association_rejected remote=\S+ calling=SECOND called=MWL_TEST reason="1 associations already open \(dicom\.maxAssociations\)"/,
      );
    } finally {
      holder.kill('SIGKILL');
      await holderExited;
    }
    // The killed peer's socket closes; the slot is free again.
    const until = Date.now() + 10000;
    let third = echo(bridge.dicomPort, 'THIRD', bridge.aeTitle);
    while (third.status !== 0 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
      third = echo(bridge.dicomPort, 'THIRD', bridge.aeTitle);
    }
    assert.equal(third.status, 0, third.stderr);
  });
});
