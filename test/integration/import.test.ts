/**
 * `mwl-bridge import` with DCMTK's example worklist database (dump2dcm'd into .wl files), served
 * back through the SCP and queried with findscu.
 */
import { after, before, describe, it } from '../helpers/suites.js';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dump2dcm, findscu, runCli, skipWithout, startBridge, tempDir, type RunningBridge, ifStarted } from '../helpers/peers.js';

const examples = '/usr/share/doc/dcmtk/examples/wlistdb/OFFIS';
const skip = skipWithout('findscu', 'dump2dcm') || (existsSync(examples) ? false : `needs DCMTK's examples in ${examples} (Debian package dcmtk)`);

describe("import of DCMTK's example worklists", { skip }, () => {
  let dir: string;
  let bridge: RunningBridge;
  before(async () => {
    dir = tempDir();
    const wlDir = join(dir, 'wlistdb');
    mkdirSync(wlDir);
    for (const dump of readdirSync(examples).filter((f) => f.endsWith('.dump'))) {
      dump2dcm(join(examples, dump), join(wlDir, dump.replace(/\.dump$/, '.wl')));
    }
    writeFileSync(join(wlDir, 'broken.wl'), 'this is not DICOM');
    const r = runCli(['import', '--db', join(dir, 'worklist.db'), wlDir]);
    assert.equal(r.status, 1, 'a broken file makes import exit 1');
    assert.match(r.stdout, /imported 10 item\(s\)/);
    assert.match(r.stderr, /FAILED .*broken\.wl: DICOM_FILE_INVALID/);
    bridge = await startBridge([], { dir, mllp: false });
  });
  after(async () => {
    await ifStarted(bridge)?.stop();
  });

  it('serves every imported item', () => {
    const { answers } = findscu(bridge.dicomPort, bridge.aeTitle, ['AccessionNumber=*']);
    assert.equal(answers.length, 10);
  });

  it('matches on the SPS modality inside the sequence', () => {
    const { answers } = findscu(bridge.dicomPort, bridge.aeTitle, ['AccessionNumber', 'ScheduledProcedureStepSequence[0].Modality=CT']);
    assert.deepEqual(answers.map((a) => a.values['(0008,0050)']).sort(), ['00002', '00006', '00008', '00009']);
  });

  it('returns the stored values of one patient', () => {
    const { answers } = findscu(bridge.dicomPort, bridge.aeTitle, [
      'PatientID=HF',
      'PatientName',
      'AccessionNumber',
      'ScheduledProcedureStepSequence[0].Modality',
    ]);
    assert.equal(answers.length, 3);
    for (const a of answers) assert.equal(a.values['(0010,0010)'], 'HAYDN^FRANZ^JOSEPH');
    assert.deepEqual(answers.map((a) => a.values['(0040,0100)>(0008,0060)']).sort(), ['CR', 'CT', 'US']);
  });

  it('matches a date range and wildcard names', () => {
    const { answers } = findscu(bridge.dicomPort, bridge.aeTitle, [
      'PatientName=MOZART*',
      'AccessionNumber',
      'ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate=19960101-19961231',
    ]);
    assert.deepEqual(
      answers.map((a) => a.values['(0008,0050)']),
      ['00001'],
    );
  });
});
