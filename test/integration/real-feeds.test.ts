/**
 * Real RIS feeds (issue 18), end to end with the real peers: orders as real systems send them go in
 * through mllp_send, and modalities that query with their own AE title (findscu -aet) get their
 * steps; derived values are kept with the message log entry and shown by `messages show`; an empty
 * MSH-10 is accepted and never deduplicated; a lab order is acknowledged and ignored.
 */
import { after, before, describe, it } from '../helpers/suites.js';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findscu, mllpSendFramed, projectDir, runCli, skipWithout, startBridge, type RunningBridge, ifStarted } from '../helpers/peers.js';

const skip = skipWithout('mllp_send', 'findscu');
const sample = (name: string): Buffer => readFileSync(join(projectDir, 'samples', name));
const msa = (ack: string[]): string[] => (ack.find((s) => s.startsWith('MSA|')) ?? '').split('|').slice(1);
const STATION = 'ScheduledProcedureStepSequence[0].ScheduledStationAETitle';
const settings = { US_1: { modality: 'US' }, CT_1: { onlyOwnStation: true } };

describe('real RIS feeds', { skip }, () => {
  let bridge: RunningBridge;
  let acks: string[][];
  before(async () => {
    bridge = await startBridge(['--calling-ae-settings', JSON.stringify(settings)]);
    acks = mllpSendFramed(
      bridge.mllpPort,
      [
        sample('orm-ct-head.hl7'),
        sample('orm-start-in-tq1-v25.hl7'),
        sample('orm-start-not-a-date.hl7'),
        sample('omi-o23-no-ipc.hl7'),
        sample('orm-empty-control-id.hl7'),
        // The same message again: without a control id it is never a resend of the first.
        sample('orm-empty-control-id.hl7').toString('utf8').replace(/2008/g, '2108').replace('DUBOIS^CLAIRE', 'DUBOIS^MARIE'),
        sample('orm-lab-order-ignored.hl7'),
        sample('orm-no-rp-sps-id.hl7'),
      ].map((m) => (Buffer.isBuffer(m) ? m : Buffer.from(m))),
    );
  });
  after(async () => {
    await ifStarted(bridge)?.stop();
  });

  it('acknowledges every message AA; an empty MSH-10 is echoed empty in MSA-2', () => {
    assert.deepEqual(
      acks.map((a) => [msa(a)[0], msa(a)[1] ?? '']),
      [
        ['AA', 'MSG00001'],
        ['AA', 'MSG02001'],
        ['AA', 'MSG02003'],
        ['AA', 'MSG02007'],
        ['AA', ''],
        ['AA', ''],
        ['AA', 'MSG02011'],
        ['AA', 'MSG02005'],
      ],
    );
  });

  it('a modality querying with its own AE title gets the steps the procedure table routes to it', () => {
    const own = findscu(bridge.dicomPort, bridge.aeTitle, ['PatientID', 'AccessionNumber', `${STATION}=CT_1`], { extra: ['-aet', 'CT_1'] });
    assert.deepEqual(
      own.answers.map((a) => a.values['(0008,0050)']),
      ['ACC1001'],
    );
  });

  it('dicom.callingAeSettings gives a modality the steps of its modality that no table routes', () => {
    const us = findscu(bridge.dicomPort, bridge.aeTitle, ['PatientID', `${STATION}=US_1`], { extra: ['-aet', 'US_1'] });
    assert.deepEqual(
      us.answers.map((a) => a.values['(0010,0020)']),
      ['PAT2003'],
    );
  });

  it('OMI^O23 without IPC gives one item from ORC/OBR/ZDS/TQ1', () => {
    const { answers } = findscu(bridge.dicomPort, bridge.aeTitle, [
      'PatientID=PAT2007',
      'StudyInstanceUID',
      'ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate',
      'ScheduledProcedureStepSequence[0].Modality',
    ]);
    assert.equal(answers.length, 1);
    assert.equal(answers[0]!.values['(0020,000d)'], '1.2.826.0.1.3680043.10.543.2007');
  });

  it('both messages without MSH-10 are stored; the lab order is logged as ignored with its reason', async () => {
    const both = findscu(bridge.dicomPort, bridge.aeTitle, ['PatientName=DUBOIS*', 'PatientID']);
    assert.equal(both.answers.length, 2);
    assert.equal(findscu(bridge.dicomPort, bridge.aeTitle, ['PatientID=PAT2011']).answers.length, 0);
    await bridge.waitForLog(/hl7\.empty_control_id /);
    await bridge.waitForLog(/hl7\.order_ignored .*not an imaging order: no Modality could be derived/);
    const ignored = runCli(['messages', '--db', bridge.dbPath, '--outcome', 'ignored']);
    const id = /^(\d+) .*MSG02011/m.exec(ignored.stdout)?.[1];
    assert.ok(id, ignored.stdout);
    assert.match(
      runCli(['messages', '--db', bridge.dbPath, 'show', id]).stdout,
      /ignored: +item 1: not an imaging order: no Modality could be derived \(OBR-24 "CH": not in table modality/,
    );
  });

  it('derived values are logged once per message and shown by `messages show`', async () => {
    await bridge.waitForLog(/hl7\.values_derived control_id=MSG02003 .*ScheduledProcedureStepStartDate = \\?"20261124\\?" from OBR-6/);
    const list = runCli(['messages', '--db', bridge.dbPath, '--control-id', 'MSG02003']);
    const id = /^(\d+) /m.exec(list.stdout.split('\n').slice(1).join('\n'))?.[1];
    assert.ok(id, list.stdout);
    const shown = runCli(['messages', '--db', bridge.dbPath, 'show', id]).stdout;
    assert.match(shown, /derived: +\d+ value\(s\) not from their first source/);
    assert.match(
      shown,
      /item 1: ScheduledProcedureStepSequence\[1\]\.ScheduledProcedureStepStartDate = "20261124" from OBR-6: ORC-7\.4 "2026-11-24 09:30": DA is YYYYMMDD/,
    );
    assert.match(shown, /ScheduledStationAETitle = "US_1" from table \$callingAeTitles\[US\]: table procedures\.station: no entry for "USABD\^LOCAL"/);
  });

  it('RP and SPS IDs fall back to the accession number', () => {
    const { answers } = findscu(bridge.dicomPort, bridge.aeTitle, [
      'PatientID=PAT2005',
      'RequestedProcedureID',
      'ScheduledProcedureStepSequence[0].ScheduledProcedureStepID',
    ]);
    assert.equal(answers[0]!.values['(0040,1001)'], 'ACC2005');
  });
});
