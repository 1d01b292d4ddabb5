/**
 * The query log and `explain`, as an administrator uses them: orders sent with mllp_send, queries
 * made with findscu under several calling AE titles, then `mwl-bridge queries` and `explain` on the
 * bridge's database. Each reason that can keep an item out of an answer is produced for real once.
 */
import { after, before, describe, it } from '../helpers/suites.js';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findscu, ifStarted, mllpSendText, projectDir, runCli, skipWithout, startBridge, tempDir, type RunningBridge } from '../helpers/peers.js';
import { order } from '../helpers/orders.js';
import { explain, listQueries } from '../../src/app/queries.js';
import { buildConfig } from '../../src/cli/options.js';
import { formatReport } from '../../src/cli/explain.js';

const skip = skipWithout('mllp_send', 'findscu');
const settings = { CT_OWN: { onlyOwnStation: true }, CT_MAX: { maxAnswers: 1 }, OLD_CT: { characterSet: 'ISO_IR 100' } };

/** The default mapping with the procedure of the test orders (MRKNEE) routed to another station by its procedure table. */
function mappingForStation(dir: string, station: string): string {
  const text = readFileSync(join(projectDir, 'mappings', 'default.yaml'), 'utf8');
  const routed = text.replace(/("MRKNEE\^LOCAL": \{[^}]*station: )[A-Z0-9_]+/, `$1${station}`);
  assert.notEqual(routed, text, 'the default mapping routes MRKNEE^LOCAL to a station in its procedures table');
  const file = join(dir, 'station.yaml');
  writeFileSync(file, routed);
  return file;
}

function msa(acks: string[][]): string[] {
  return acks.map((segments) => segments.find((s) => s.startsWith('MSA|'))?.split('|')[1] ?? '?');
}

describe('query log and explain', { skip }, () => {
  let bridge: RunningBridge;
  const cli = (...args: string[]) => runCli([...args, '--db', bridge.dbPath]);
  /** The id of the newest logged query of a calling AE title (read in-process: the CLI's own output is tested below). */
  const lastQueryOf = async (ae: string): Promise<number> => {
    // Records are written in batches, within about 100 ms of the query's end.
    const deadline = Date.now() + 5000;
    for (;;) {
      const [last] = listQueries(buildConfig({ db: bridge.dbPath }), { callingAeTitle: ae, limit: 1 });
      if (last) return last.id;
      assert.ok(Date.now() < deadline, `a logged query of ${ae}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  /** What `mwl-bridge explain ID [--accession A | --patient P]` prints, produced in-process (no process start per call). */
  const explainText = (id: number, target?: { accessionNumber?: string; patientId?: string }): string => {
    const report = explain(buildConfig({ db: bridge.dbPath }), id, target);
    assert.ok(report, `query ${id} is logged`);
    return formatReport(report);
  };

  before(async () => {
    const dir = tempDir();
    bridge = await startBridge(['--mapping', mappingForStation(dir, 'CT_ROOM2'), '--calling-ae-settings', JSON.stringify(settings)], { dir });
    const acks = mllpSendText(
      bridge.mllpPort,
      [
        order({ controlId: 'Q1', patientId: 'PAT-A', accession: 'ACC-A', start: '20261202090000' }),
        order({ controlId: 'Q2', patientId: 'PAT-B', accession: 'ACC-B', start: '20261202100000' }),
        order({ controlId: 'Q3', patientId: 'PAT-C', accession: 'ACC-C', start: '20261202110000' }),
        order({ controlId: 'Q4', patientId: 'PAT-E', accession: 'ACC-E', start: '20261202120000', name: 'ИВАНОВ^ИВАН', msh18: 'UNICODE UTF-8' }),
        order({ controlId: 'Q5', patientId: '', accession: 'ACC-R', start: '20261202130000' }),
      ].join(''),
    );
    assert.deepEqual(msa(acks), ['AA', 'AA', 'AA', 'AA', 'AE'], 'four orders stored, the one without a patient ID rejected');
    // ACC-B cancelled, ACC-C put on hold.
    const control = (code: string, acc: string, id: string) =>
      order({ controlId: id, patientId: acc.replace('ACC', 'PAT'), accession: acc }).replace('ORC|NW|', `ORC|${code}|`);
    assert.deepEqual(msa(mllpSendText(bridge.mllpPort, control('CA', 'ACC-B', 'Q6') + control('HD', 'ACC-C', 'Q7'))), ['AA', 'AA']);
  });
  after(async () => {
    await ifStarted(bridge)?.stop();
  });

  it('logs a C-FIND with its keys and id, with a hint when items exist, and explains the keys that missed', async () => {
    const keys = [
      'PatientID=PAT-A',
      'ScheduledProcedureStepSequence[0].ScheduledStationAETitle=CT1',
      'ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate=20261201',
    ];
    const { answers } = findscu(bridge.dicomPort, bridge.aeTitle, [...keys, 'AccessionNumber'], { extra: ['-aet', 'CT1'] });
    assert.equal(answers.length, 0);
    const line = await bridge.waitForLog(
      /dicom\.find .*calling=CT1 .*answers=0 .*query=(\d+) hint="1 item\(s\) with PatientID \\"PAT-A\\" exist \(station CT_ROOM2; status SCHEDULED\): mwl-bridge explain (\d+)"/,
    );
    const [, logged, hinted] = /dicom\.find .*calling=CT1 .*query=(\d+) hint=.*explain (\d+)"/.exec(line) ?? [];
    const id = await lastQueryOf('CT1');
    assert.equal(Number(logged), id);
    assert.equal(Number(hinted), id);

    const list = cli('queries');
    assert.equal(list.status, 0);
    assert.match(
      list.stdout,
      new RegExp(
        `^${id}\\s+\\S+ \\S+\\s+CT1\\s+MWL_TEST\\s+127\\.0\\.0\\.1:\\d+\\s+complete\\s+0\\s+\\d+\\s+PatientID=PAT-A SPS\\.ScheduledStationAETitle=CT1 SPS\\.ScheduledProcedureStepStartDate=20261201`,
        'm',
      ),
    );
    const shown = cli('queries', 'show', String(id));
    assert.match(shown.stdout, /\(0010,0020\) PatientID LO "PAT-A"/);
    assert.match(shown.stdout, /\(0008,0050\) AccessionNumber SH \(return key\)/);

    const explained = cli('explain', String(id), '--accession', 'ACC-A');
    assert.equal(explained.status, 0, explained.stderr);
    assert.match(explained.stdout, /not answered, because:/);
    assert.match(explained.stdout, /ScheduledStationAETitle: query "CT1", item "CT_ROOM2" \(single value match\)/);
    assert.match(explained.stdout, /ScheduledProcedureStepStartDate: query "20261201", item "20261202" \(single value match\)/);
    assert.match(explained.stdout, /keys that match: PatientID: query "PAT-A", item "PAT-A"/);
  });

  it('explains a date range and, with no item named, the item that misses by one key', async () => {
    findscu(bridge.dicomPort, bridge.aeTitle, ['ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate=20261201-20261201', 'PatientID=PAT-A'], {
      extra: ['-aet', 'CT2'],
    });
    const out = explainText(await lastQueryOf('CT2'));
    assert.match(out, /item \d+: accession ACC-A, patient PAT-A/);
    assert.match(out, /ScheduledProcedureStepStartDate 20261202 outside 20261201-20261201 \(range match\)/);
    assert.doesNotMatch(out, /ACC-B|ACC-C/, 'other patients miss by two keys');
  });

  it('hints at the items of the day when a query by date and station gets nothing', async () => {
    const keys = [
      'ScheduledProcedureStepSequence[0].ScheduledStationAETitle=MR9',
      'ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate=20261202',
    ];
    assert.equal(findscu(bridge.dicomPort, bridge.aeTitle, keys, { extra: ['-aet', 'MR9'] }).answers.length, 0);
    await bridge.waitForLog(/dicom\.find .*calling=MR9 .*answers=0 .*hint="4 item\(s\) are scheduled on 20261202: mwl-bridge explain \d+"/);
  });

  it('names a closed item, the setting and the message that closed it; a held item', async () => {
    findscu(bridge.dicomPort, bridge.aeTitle, ['AccessionNumber=ACC-B'], { extra: ['-aet', 'CT3'] });
    const closed = explainText(await lastQueryOf('CT3'), { accessionNumber: 'ACC-B' });
    assert.match(closed, /status CANCELED: closed items are not answered \(worklist\.showClosedItems is off\)/);
    assert.match(closed, /note: status set by message \d+ \(ORM\^O01, control id "Q6" from RIS\/RADIOLOGY, received [^)]+\): cancel/);
    const held = explainText(await lastQueryOf('CT3'), { accessionNumber: 'ACC-C' });
    assert.match(held, /on hold \(HELD\): held items are not answered/);
  });

  it('names onlyOwnStation, the answer limit and replaced characters', async () => {
    assert.equal(findscu(bridge.dicomPort, bridge.aeTitle, ['PatientID=PAT-A'], { extra: ['-aet', 'CT_OWN'] }).answers.length, 0);
    const own = explainText(await lastQueryOf('CT_OWN'), { patientId: 'PAT-A' });
    assert.match(own, /dicom\.callingAeSettings\.CT_OWN\.onlyOwnStation is on: only steps for station "CT_OWN" are answered, this one is for "CT_ROOM2"/);

    assert.equal(findscu(bridge.dicomPort, bridge.aeTitle, ['PatientID', 'AccessionNumber'], { extra: ['-aet', 'CT_MAX'] }).answers.length, 1);
    const cut = explainText(await lastQueryOf('CT_MAX'), { accessionNumber: 'ACC-E' });
    assert.match(cli('queries', '--calling-ae', 'CT_MAX').stdout, /truncated\s+1/);
    assert.match(cut, /cut off by maxAnswers 1: at least 1 matching items come before it/);

    const answered = findscu(bridge.dicomPort, bridge.aeTitle, ['PatientID=PAT-E', 'PatientName'], { extra: ['-aet', 'OLD_CT'] });
    assert.equal(answered.answers[0]?.values['(0010,0010)'], '??????^????');
    const replaced = explainText(await lastQueryOf('OLD_CT'), { patientId: 'PAT-E' });
    assert.match(replaced, /answered \(it matches every key/);
    assert.match(replaced, /ISO_IR 100 \(dicom\.callingAeSettings\.OLD_CT\.characterSet\) cannot hold were sent as "\?" in: \(0010,0010\) PatientName/);
    assert.match(cli('queries', 'show', String(await lastQueryOf('OLD_CT'))).stdout, /replaced: .*\(0010,0010\) PatientName/);
  });

  it('logs a rejected association and says so', async () => {
    findscu(bridge.dicomPort, 'NOT_THE_BRIDGE', ['PatientID=PAT-A'], { extra: ['-aet', 'CT_LOST'] });
    await bridge.waitForLog(/dicom\.association_rejected .*calling=CT_LOST .*query=\d+/);
    const id = await lastQueryOf('CT_LOST');
    assert.match(cli('queries', '--calling-ae', 'CT_LOST').stdout, /association rejected\s+called AE title "NOT_THE_BRIDGE" is not "MWL_TEST"/);
    assert.match(
      explainText(id, { accessionNumber: 'ACC-A' }),
      /! the association was rejected \(called AE title "NOT_THE_BRIDGE" is not "MWL_TEST" \(dicom\.aeTitle\)\), so no query was made/,
    );
  });

  it('for an accession with no item: the rejected message with its error, or that none arrived', async () => {
    const id = await lastQueryOf('CT1');
    const rejected = explainText(id, { accessionNumber: 'ACC-R' });
    assert.match(rejected, /no item with accession number "ACC-R" is in the store; the message log has:/);
    assert.match(rejected, /message \d+ \(ORM\^O01, control id "Q5" from RIS\/RADIOLOGY, received [^)]+\) was rejected with AE: .*PID-3/);
    const never = explainText(id, { accessionNumber: 'ACC-NEVER' });
    assert.match(never, /no message with it was received in the last 180 days \(retention\.messageDays\)/);
  });

  it('explains keys given as findscu takes them, and answers --json', () => {
    const r = cli('explain', '-k', 'ScheduledProcedureStepSequence[0].ScheduledStationAETitle=CT1', '-k', '(0010,0020)=PAT-A', '--calling-ae', 'CT1', '--json');
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { query: { keys: string }; items: { accessionNumber: string; answered: boolean; reasons: string[] }[] };
    assert.equal(report.query.keys, 'SPS.ScheduledStationAETitle=CT1 PatientID=PAT-A');
    assert.deepEqual(
      report.items.map((i) => [i.accessionNumber, i.answered, i.reasons]),
      [['ACC-A', false, ['ScheduledProcedureStepSequence > ScheduledStationAETitle: query "CT1", item "CT_ROOM2" (single value match)']]],
    );
    const bad = cli('explain', '-k', 'NoSuchKeyword=1');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /"NoSuchKeyword" is neither a DICOM keyword nor a tag/);
  });
});
