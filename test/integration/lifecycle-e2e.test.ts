/**
 * Order lifecycle, message log and bad input, end to end against the running bridge: orders with
 * mllp_send, answers with findscu, framing faults with a raw test client, `mwl-bridge messages`.
 */
import { after, before, describe, it } from '../helpers/suites.js';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findscu, hl7Field, mllpSend, mllpSendText, projectDir, runCli, skipWithout, startBridge, type RunningBridge, ifStarted } from '../helpers/peers.js';
import { RawMllpClient, msa } from '../helpers/mllp-client.js';

const samples = join(projectDir, 'samples');
const skip = skipWithout('mllp_send', 'findscu');
const sample = (name: string): string => readFileSync(join(samples, name), 'utf8');

describe('order lifecycle end to end', { skip }, () => {
  let bridge: RunningBridge;
  before(async () => {
    bridge = await startBridge(['--mllp-max-frame-bytes', '65536']);
  });
  after(async () => {
    if (process.env.DEBUG_BRIDGE_LOG) console.log(ifStarted(bridge)?.log());
    await ifStarted(bridge)?.stop();
  });
  const spsOf = (patientId: string, keys: string[] = []) =>
    findscu(bridge.dicomPort, bridge.aeTitle, [
      `PatientID=${patientId}`,
      'PatientName',
      'ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartTime',
      ...keys,
    ]).answers;

  it('NW, XO (new time), duplicate resend, CA: the worklist follows', () => {
    assert.equal(mllpSend(bridge.mllpPort, join(samples, 'orm-mr-knee.hl7'))[0]![1], 'MSA|AA|MSG00002');
    assert.deepEqual(
      spsOf('PAT1002').map((a) => a.values['(0040,0100)>(0040,0003)']),
      ['143000'],
    );

    const xo = mllpSend(bridge.mllpPort, join(samples, 'orm-xo-change.hl7'))[0]!;
    assert.equal(xo[1], 'MSA|AA|MSG00011');
    assert.deepEqual(
      spsOf('PAT1002').map((a) => a.values['(0040,0100)>(0040,0003)']),
      ['160000'],
    );

    // The RIS retries after a timeout: same MSH-10, no second effect, the original ACK again.
    const again = mllpSend(bridge.mllpPort, join(samples, 'orm-xo-change.hl7'))[0]!;
    assert.deepEqual(again, xo);
    assert.equal(spsOf('PAT1002').length, 1);

    const ca = sample('orm-xo-change.hl7').replace('ORC|XO|', 'ORC|CA|').replace('MSG00011', 'MSG00011C');
    assert.equal(mllpSendText(bridge.mllpPort, ca)[0]![1], 'MSA|AA|MSG00011C');
    assert.equal(spsOf('PAT1002').length, 0);
  });

  it('a CA for an unknown order is answered AE with ERR 204 at ORC-2', () => {
    const [ack] = mllpSend(bridge.mllpPort, join(samples, 'orm-ca-cancel.hl7'));
    assert.equal(hl7Field(ack![1]!, 1), 'AE');
    assert.match(hl7Field(ack![1]!, 3), /CA for an unknown order \(placer order number PLC1001/);
    assert.match(ack![2]!, /^ERR\|ORC\^1\^2\^204&Unknown key identifier/);
  });

  it('an unknown order control code is answered AR with ERR 103 at ORC-1', () => {
    const [ack] = mllpSendText(bridge.mllpPort, sample('orm-mr-knee.hl7').replace('ORC|NW|', 'ORC|ZZ|').replace('MSG00002', 'MSGZZ'));
    assert.equal(hl7Field(ack![1]!, 1), 'AR');
    assert.match(ack![2]!, /^ERR\|ORC\^1\^1\^103&/);
  });

  it('ADT^A08 updates the name on the open item; ADT^A40 moves it to the surviving patient', () => {
    assert.equal(mllpSend(bridge.mllpPort, join(samples, 'orm-ct-head.hl7'))[0]![1], 'MSA|AA|MSG00001');
    const a08 = sample('adt-a08-update.hl7')
      .replace(/PAT1002/g, 'PAT1001')
      .replace('ROE-SMITH^JANE^ELIZABETH', 'DOE^JONATHAN');
    assert.equal(mllpSendText(bridge.mllpPort, a08)[0]![1], 'MSA|AA|MSG00017');
    assert.equal(spsOf('PAT1001')[0]?.values['(0010,0010)'], 'DOE^JONATHAN');
    assert.equal(mllpSend(bridge.mllpPort, join(samples, 'adt-a40-merge.hl7'))[0]![1], 'MSA|AA|MSG00018');
    assert.equal(spsOf('PAT1001').length, 0);
    assert.deepEqual(
      spsOf('PAT2001').map((a) => a.values['(0010,0010)']),
      ['DOE^JOHNATHAN^Q'],
    );
  });

  it('bad input never crashes the bridge nor touches stored data', async () => {
    const before = spsOf('PAT2001').length;
    // random bytes, no framing at all
    const junk = await RawMllpClient.connect(bridge.mllpPort);
    junk.write(Buffer.from(Array.from({ length: 2000 }, (_, i) => (i * 7919) % 256).filter((b) => b !== 0x0b)));
    // a message without MLLP framing
    junk.write(sample('orm-empty-orc5.hl7'));
    // a proper frame with no MSH inside: answered AR
    junk.send('PID|1||X\r');
    const [noMsh] = await junk.replies(1);
    assert.deepEqual(msa(noMsh!), ['AR', '']);
    assert.match(noMsh!, /ERR\|\|MSH\^1\|100\^Segment sequence error/);
    // the same connection still works for a good message
    junk.send(sample('orm-empty-orc5.hl7'));
    const replies = await junk.replies(2);
    assert.deepEqual(msa(replies[1]!), ['AA', 'MSG00009']);
    junk.close();

    // a truncated frame, then the connection closes: nothing stored, the partial frame logged
    const closedMidFrame = 'mllp\\.truncated_frame [^\\n]*reason="connection closed before the frame ended';
    const seen = bridge.log().match(new RegExp(closedMidFrame, 'g'))?.length ?? 0;
    const truncated = await RawMllpClient.connect(bridge.mllpPort);
    truncated.write(Buffer.concat([Buffer.from([0x0b]), Buffer.from(sample('orm-latin1.hl7').slice(0, 120))]));
    truncated.end();
    await bridge.waitForLog(new RegExp(`(?:${closedMidFrame}[^]*?){${seen + 1}}`));
    truncated.close();

    // a frame over mllp.maxFrameBytes (64 KiB here): AR, then the connection is closed
    const big = await RawMllpClient.connect(bridge.mllpPort);
    big.send(sample('orm-mr-knee.hl7').replace('MSG00002', 'BIG1').replace('MR knee left', 'X'.repeat(70000)));
    const [tooBig] = await big.replies(1);
    assert.deepEqual(msa(tooBig!), ['AR', 'BIG1']);
    assert.match(tooBig!, /exceeds mllp\.maxFrameBytes \(65536\)/);
    assert.ok(await big.closedByServer());

    // still serving, nothing lost, the truncated order not stored
    assert.equal(spsOf('PAT2001').length, before);
    assert.equal(spsOf('PAT1004').length, 0);
    assert.equal(spsOf('PAT1009').length, 1);
    assert.match(bridge.log(), /mllp\.bytes_outside_frame/);
    assert.match(bridge.log(), /mllp\.truncated_frame/);
    assert.match(bridge.log(), /mllp\.frame_too_large/);
  });

  it('serves several connections at once, keeping the order of messages within each', async () => {
    const clients = await Promise.all([0, 1, 2, 3].map(() => RawMllpClient.connect(bridge.mllpPort)));
    const base = sample('orm-mr-knee.hl7');
    clients.forEach((c, k) => {
      for (let i = 0; i < 25; i++) {
        c.send(base.replace('MSG00002', `C${k}M${i}`).replace(/1002/g, `7${k}${String(i).padStart(2, '0')}`));
      }
    });
    const all = await Promise.all(clients.map((c) => c.replies(25, 20000)));
    all.forEach((replies, k) => {
      assert.deepEqual(
        replies.map((r) => msa(r)[1]),
        Array.from({ length: 25 }, (_, i) => `C${k}M${i}`),
      );
      assert.ok(replies.every((r) => msa(r)[0] === 'AA'));
    });
    clients.forEach((c) => {
      c.close();
    });
  });

  it('`mwl-bridge messages` lists and filters the log, and shows one message in full', () => {
    const list = runCli(['messages', '--db', bridge.dbPath, '--patient', 'PAT1002']);
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /MSG00011 +duplicate +AA +PAT1002/);
    assert.match(list.stdout, /MSG00011 +stored +AA +PAT1002/);
    assert.match(list.stdout, /MSG00002 +stored +AA +PAT1002/);
    const rejected = runCli(['messages', '--db', bridge.dbPath, '--outcome', 'rejected']);
    assert.match(rejected.stdout, /MSG00012 +rejected +AE +PAT1001 .*HL7_UNKNOWN_ORDER/);
    assert.doesNotMatch(rejected.stdout, / stored /);
    const id = /^(\d+) .*BIG1/m.exec(runCli(['messages', '--db', bridge.dbPath, '--control-id', 'BIG1']).stdout)?.[1];
    assert.ok(id, 'the oversize message is logged');
    const shown = runCli(['messages', '--db', bridge.dbPath, 'show', id]);
    assert.match(shown.stdout, /outcome: +rejected +ACK: AR/);
    assert.match(shown.stdout, /message as received:\nMSH\|\^~\\&\|RIS/);
    assert.match(shown.stdout, /ACK sent:\nMSH\|/);
    const byAccession = runCli(['messages', '--db', bridge.dbPath, '--accession', 'ACC1009']);
    assert.match(byAccession.stdout, /MSG00009 +stored/);
  });
});
