/**
 * The bridge as a broken and a hostile sender meet it (issue 16): raw sockets for framing faults,
 * mllp_send (python3-hl7) for ordinary orders, the bridge itself as a child process. Each test
 * names the finding it covers.
 */
import { after, before, describe, it } from '../helpers/suites.js';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { RawMllpClient, msa } from '../helpers/mllp-client.js';
import { hl7Settings } from '../../src/config/settings-hl7.js';
import { maxPendingBytes } from '../../src/hl7/mllp-connection.js';
import { ackMessage, order } from '../helpers/orders.js';
import { spawn } from 'node:child_process';
import {
  mllpSendFramed,
  mllpSendText,
  skipWithout,
  startBridge,
  startBridgeProcess,
  type BridgeProcess,
  type RunningBridge,
  ifStarted,
} from '../helpers/peers.js';

const require = createRequire(import.meta.url);
const Database = require('better-sqlite3') as typeof BetterSqlite3;
const skip = skipWithout('mllp_send');

/** The stored PatientName of each item of a patient, read from the database. */
function storedNames(dbPath: string, patientId: string): string[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return (db.prepare('SELECT patient_name FROM items WHERE patient_id = ? ORDER BY id').all(patientId) as { patient_name: string }[]).map(
      (r) => r.patient_name,
    );
  } finally {
    db.close();
  }
}

function countItems(dbPath: string, where = '1'): number {
  const db = new Database(dbPath, { readonly: true });
  try {
    return (db.prepare(`SELECT count(*) AS n FROM items WHERE ${where}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

const occurrences = (text: string, pattern: RegExp): number => (text.match(new RegExp(pattern, 'g')) ?? []).length;

describe('hostile and broken senders: framing and content', { skip }, () => {
  let bridge: BridgeProcess;
  before(async () => {
    bridge = await startBridgeProcess();
  });
  after(async () => {
    await ifStarted(bridge)?.stop();
  });

  it('finding 4: a frame cut short by a VT is logged as truncated, and the complete message after it is answered', async () => {
    const client = await RawMllpClient.connect(bridge.mllpPort);
    try {
      client.write(Buffer.from('\x0bMSH|^~\\&|RIS|RADIOLOGY|MWL_BRIDGE|HOSPITAL|20261123091500||ORM^O01|CUT1|P|2.3.1\rPID|1||PAT', 'latin1'));
      client.send(order({ controlId: 'NEST1', patientId: 'PATNEST', accession: 'ACCNEST' }));
      // Replies come in order: had the cut frame been answered, its reply would come before these two.
      client.send(order({ controlId: 'NEST2', patientId: 'PATNEST2', accession: 'ACCNEST2' }));
      const replies = await client.replies(2, 5000);
      assert.deepEqual(
        replies.map((r) => msa(r)),
        [
          ['AA', 'NEST1'],
          ['AA', 'NEST2'],
        ],
        'one reply per complete message, none for the cut one',
      );
      assert.ok(!replies[0]!.includes('\x0b') && !replies[0]!.includes('\x1c'), 'no raw VT or FS inside the reply');
    } finally {
      client.close();
    }
    await bridge.waitForLog(/mllp\.truncated_frame .*reason="a VT started a new frame/);
    assert.equal(countItems(bridge.dbPath, "patient_id = 'PATNEST'"), 1);
  });

  it('finding 14: an ACK sent to the bridge is logged once and never answered', async () => {
    const client = await RawMllpClient.connect(bridge.mllpPort);
    try {
      client.send(ackMessage('THEIRACK1', 'A123'));
      client.send(order({ controlId: 'AFTERACK', patientId: 'PATACK', accession: 'ACCACK' }));
      // Replies come in order: the first one answers the order, so none was sent for the ACK.
      const replies = await client.replies(1, 5000);
      assert.deepEqual(
        replies.map((r) => msa(r)),
        [['AA', 'AFTERACK']],
      );
      // Nor later: the reply to one more order comes next, with nothing between.
      client.send(order({ controlId: 'FENCE1', patientId: 'PATACK2', accession: 'ACCACK2' }));
      const all = await client.replies(2, 5000);
      assert.deepEqual(
        all.map((r) => msa(r)),
        [
          ['AA', 'AFTERACK'],
          ['AA', 'FENCE1'],
        ],
        'nothing more',
      );
    } finally {
      client.close();
    }
    const log = await bridge.waitForLog(/hl7\.ack_received .*control_id=THEIRACK1/);
    assert.equal(occurrences(log, /hl7\.ack_received [^\n]*THEIRACK1/), 1);
    assert.match(log, /hl7\.ack_received [^\n]*ack_code=AA acknowledged=A123/);
  });

  it('finding 1: another order with a control id already used is stored, the reuse logged naming both entries; a resend stays a duplicate', async () => {
    const a = order({ controlId: 'REUSED1', patientId: 'PATREUSE-A', accession: 'ACCREUSE-A' });
    const b = order({ controlId: 'REUSED1', patientId: 'PATREUSE-B', accession: 'ACCREUSE-B', name: 'OTHER^PATIENT' });
    const acks = mllpSendText(bridge.mllpPort, [a, b].join('\r\n'));
    assert.deepEqual(
      acks.map((ack) => msa(ack.join('\r'))),
      [
        ['AA', 'REUSED1'],
        ['AA', 'REUSED1'],
      ],
    );
    assert.equal(countItems(bridge.dbPath, "patient_id = 'PATREUSE-A'"), 1);
    assert.equal(countItems(bridge.dbPath, "patient_id = 'PATREUSE-B'"), 1, 'the second order is on the worklist');
    await bridge.waitForLog(/WARN {2}hl7\.control_id_reused control_id=REUSED1 sender=RIS earlier_message=\d+ message=\d+/);
    // The same message again (MSH-7 set anew, as some senders do when they retry) is a resend.
    const resent = mllpSendText(bridge.mllpPort, b.replace('20261123091500', '20261123091733'));
    assert.deepEqual(msa(resent[0]!.join('\r')), ['AA', 'REUSED1']);
    assert.equal(countItems(bridge.dbPath, "patient_id = 'PATREUSE-B'"), 1);
    await bridge.waitForLog(/hl7\.duplicate_message control_id=REUSED1/);
  });

  it('finding 2, as issue 18 changed it: a date the converter cannot read falls through to the next source; the value stored and why are logged', async () => {
    const cases = [
      ['2013-08-24 17:00', 'BADDATE1', '2013-08-24 17:00'],
      ['02282020_150014', 'BADDATE2', '02282020_150014'],
      ['20131301', 'BADDATE3', '20131301'],
      ['20261123250000', 'BADTIME1', '20261123250000'],
    ] as const;
    // One mllp_send for the four orders (one python3 start, not four); one ACK each, in order.
    const acks = mllpSendText(
      bridge.mllpPort,
      cases.map(([start, id]) => order({ controlId: id, patientId: `PAT${id}`, accession: `ACC${id}`, start })).join('\r\n'),
    );
    assert.equal(acks.length, cases.length);
    for (const [i, [start, id, shown]] of cases.entries()) {
      const text = acks[i]?.join('\r') ?? '';
      assert.equal(msa(text)[0], 'AA', `${start}: ${text}`);
      // Never cut into a wrong date: the whole value is refused, and the next source (here MSH-7) read.
      assert.equal(countItems(bridge.dbPath, `patient_id = 'PAT${id}' AND sps_start_date = '20261123' AND sps_start_time = '091500'`), 1);
      const log = await bridge.waitForLog(new RegExp(`hl7\\.values_derived control_id=${id} .*`));
      const line = new RegExp(`hl7\\.values_derived control_id=${id} .*`).exec(log)![0];
      assert.ok(line.includes(`ORC-7.4 \\"${shown}\\"`) || line.includes(`ORC-7.4 "${shown}"`), `the value ${shown} is named: ${line}`);
      assert.match(line, /ScheduledProcedureStepStartDate = \\?"20261123\\?" from MSH-7/);
      assert.match(line, /(DA|TM|DT) (is|has) /);
    }
  });

  it('finding 2: values over their VR length are refused; an invalid UID falls through to a generated one (issue 18)', async () => {
    const cases: [string, RegExp][] = [
      [order({ controlId: 'LONGACC', accession: 'A'.repeat(17) }), /OBR-18 "A{17}": SH max 16 characters \(got 17\)/],
      [order({ controlId: 'LONGPID', patientId: 'P'.repeat(65) }), /PID-3[^ ]* "P+\.\.\.": LO max 64 characters \(got 65\)/],
    ];
    const badUid = order({ controlId: 'BADUID', patientId: 'PATBADUID', extra: ['ZDS|1.2.03.4^RIS^Application^DICOM'] });
    // One mllp_send for the three orders; one ACK each, in order.
    const acks = mllpSendText(bridge.mllpPort, [...cases.map(([message]) => message), badUid].join('\r\n'));
    assert.equal(acks.length, cases.length + 1);
    for (const [i, [, expected]] of cases.entries()) {
      const text = acks[i]?.join('\r') ?? '';
      assert.equal(msa(text)[0], 'AE', text);
      assert.match(text, expected);
    }
    assert.equal(msa(acks[cases.length]?.join('\r') ?? '')[0], 'AA');
    assert.equal(countItems(bridge.dbPath, `patient_id = 'PATBADUID' AND study_instance_uid LIKE '2.25.%'`), 1);
    await bridge.waitForLog(
      /hl7\.values_derived control_id=BADUID .*StudyInstanceUID = \\?"2\.25\.\d+\\?" from generated \(last resort\): ZDS-1\.1 \\?"1\.2\.03\.4\\?": UI /,
    );
  });

  it('finding 3: control characters reaching a name by any escape (\\.br\\, \\X0D0A\\, \\X1B\\, \\X07\\) are refused', () => {
    const cases = [
      ['DOE\\.br\\JOHN', 'U+000D', 'CRLF1'],
      ['DOE\\X0D0A\\JOHN', 'U+000D', 'CRLF2'],
      ['DOE\\X1B\\JOHN', 'U+001B', 'ESC1'],
      ['DOE^JO\\X07\\HN', 'U+0007', 'BEL1'],
    ] as const;
    // One mllp_send for the four orders; one ACK each, in order.
    const acks = mllpSendText(
      bridge.mllpPort,
      cases.map(([name, , id]) => order({ controlId: id, patientId: `PAT${id}`, accession: `ACC${id}`, name })).join('\r\n'),
    );
    assert.equal(acks.length, cases.length);
    for (const [i, [, code, id]] of cases.entries()) {
      const text = acks[i]?.join('\r') ?? '';
      assert.equal(msa(text)[0], 'AE', text);
      assert.match(text, new RegExp(`PID-5 "[^"]*": PN allows no control character ${code.replace('+', '\\+')}`));
      assert.equal(countItems(bridge.dbPath, `patient_id = 'PAT${id}'`), 0);
    }
  });

  it('finding 15: UTF-8 bytes labelled 8859/1, 8859/15 or nothing are read as UTF-8 and logged; real Latin-1 stays Latin-1', async () => {
    const cases: [string, string, Buffer][] = [
      [
        '8859/1',
        'GONÇALVES^ANA',
        Buffer.from(order({ controlId: 'CS1', patientId: 'PATCS1', accession: 'ACCCS1', msh18: '8859/1', name: 'GONÇALVES^ANA' }), 'utf8'),
      ],
      [
        '8859/15',
        'MÜLLER^JÖRG',
        Buffer.from(order({ controlId: 'CS2', patientId: 'PATCS2', accession: 'ACCCS2', msh18: '8859/15', name: 'MÜLLER^JÖRG' }), 'utf8'),
      ],
      ['', 'ŁUKASZ^ŻÓŁW', Buffer.from(order({ controlId: 'CS3', patientId: 'PATCS3', accession: 'ACCCS3', name: 'ŁUKASZ^ŻÓŁW' }), 'utf8')],
      [
        '8859/1 (real)',
        'GONÇALVES^RUI',
        Buffer.from(order({ controlId: 'CS4', patientId: 'PATCS4', accession: 'ACCCS4', msh18: '8859/1', name: 'GONÇALVES^RUI' }), 'latin1'),
      ],
    ];
    const acks = mllpSendFramed(
      bridge.mllpPort,
      cases.map(([, , bytes]) => bytes),
    );
    assert.deepEqual(
      acks.map((a) => msa(a.join('\r'))[0]),
      ['AA', 'AA', 'AA', 'AA'],
    );
    for (const [i, [, name]] of cases.entries()) assert.deepEqual(storedNames(bridge.dbPath, `PATCS${i + 1}`), [name]);
    const log = await bridge.waitForLog(/hl7\.message_applied control_id=CS4 /);
    assert.match(log, /WARN {2}hl7\.charset_mismatch control_id=CS1 sender=RIS declared=8859\/1 read_as="UNICODE UTF-8"/);
    assert.match(log, /hl7\.charset_mismatch control_id=CS2 [^\n]*declared=8859\/15/);
    assert.match(log, /hl7\.charset_mismatch control_id=CS3 /);
    assert.doesNotMatch(log, /hl7\.charset_mismatch control_id=CS4 /);
  });

  it('finding 12: control characters from the network never reach the text log raw', async () => {
    const client = await RawMllpClient.connect(bridge.mllpPort);
    try {
      client.send(order({ controlId: 'ESC\x1b[31mRED\x07', patientId: 'PATLOG', accession: 'ACCLOG', start: 'bad\x1b[2Jdate' }));
      assert.equal((await client.replies(1, 5000)).length, 1);
    } finally {
      client.close();
    }
    const log = await bridge.waitForLog(/control_id="ESC\\u001b\[31mRED\\u0007"/);
    // C0 controls and DEL (ASCII controls), LF excepted.
    assert.ok(!/(?!\n)(?=\p{ASCII})\p{Cc}/u.test(log), 'no raw control character other than the line feeds between lines');
  });

  it('finding 5: while a segment bomb (1 MB, 209,000 NTE segments) is answered AR, C-ECHO is answered at once', { skip: skipWithout('echoscu') }, async (t) => {
    const client = await RawMllpClient.connect(bridge.mllpPort);
    try {
      client.send(order({ controlId: 'BOMB', patientId: 'PATBOMB', accession: 'ACCBOMB' }) + 'NTE|\r'.repeat(209000));
      // An echo started right behind the bomb (before: it waited ~10 s for the parse).
      const started = Date.now();
      const echo = spawn('echoscu', ['-to', '20', '-aec', bridge.aeTitle, '127.0.0.1', String(bridge.dicomPort)], { stdio: 'ignore' });
      const code = await new Promise<number | null>((r) => echo.once('exit', r));
      const echoMs = Date.now() - started;
      t.diagnostic(`C-ECHO answered in ${echoMs} ms`);
      assert.equal(code, 0);
      assert.ok(echoMs < 2000, `C-ECHO took ${echoMs} ms`);
      const [reply] = await client.replies(1, 20000);
      assert.deepEqual(msa(reply!), ['AR', 'BOMB']);
      assert.match(reply!, /more than 1000 segments \(hl7\.maxSegments\)/);
    } finally {
      client.close();
    }
  });

  it('finding 6: giant frames pipelined without reading the ACKs are read only as fast as they are answered (backpressure)', async (t) => {
    const frame = Buffer.concat([
      Buffer.from([0x0b]),
      Buffer.from(order({ controlId: 'GIANT', patientId: 'PATGIANT', accession: 'ACCGIANT', extra: [`NTE|1||${'x'.repeat(900 * 1024)}`] })),
      Buffer.from([0x1c, 0x0d]),
    ]);
    // What may lie between this sender and the bridge's answers while the bridge reads only as it
    // answers: the kernel's buffers on both sides of the connection (at most tcp_wmem's and
    // tcp_rmem's largest sizes), the bridge's own bound of unanswered bytes and the frame it is
    // reading. A bridge that reads on regardless (as it once did: 1,000 such frames grew it from 118
    // to 846 MB) is ahead by everything sent but not yet answered, which soon exceeds that.
    const bound = kernelBufferMax('tcp_wmem') + kernelBufferMax('tcp_rmem') + maxPendingBytes(hl7Settings['mllp.maxFrameBytes'].default) + 2 * frame.length;
    const frames = Math.ceil((2.5 * bound) / frame.length);
    const pid = bridge.process.pid!;
    const before = rssKb(pid);
    const socket: Socket = connect({ host: '127.0.0.1', port: bridge.mllpPort });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.pause(); // never read the ACKs
    let written = 0;
    let ahead = 0;
    let peak = before;
    const sampling = new AbortController();
    // Taken by the sender (its own unsent bytes excluded) minus answered by the bridge: the answered
    // count is read after the taken bytes, so it can only make the difference smaller by what was
    // answered in between (a frame or two against a bound of dozens).
    const sampler = (async () => {
      while (!sampling.signal.aborted) {
        const taken = written * frame.length - socket.writableLength;
        const answered = await answeredMessages(bridge.httpPort);
        ahead = Math.max(ahead, taken - answered * frame.length);
        peak = Math.max(peak, rssKb(pid));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      // Write as fast as the connection takes them: the pace is the bridge's. The deadline only
      // ends a bridge that stopped reading altogether.
      const deadline = Date.now() + 120000;
      while (written < frames && Date.now() < deadline) {
        if (!socket.write(frame)) await new Promise((r) => socket.once('drain', r));
        written++;
      }
    } finally {
      sampling.abort();
      await sampler;
      socket.destroy();
    }
    const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
    t.diagnostic(
      `${written} frames of ${(frame.length / 1024).toFixed(0)} KiB pushed; at most ${mb(ahead)} taken and not yet answered (bound ${mb(bound)}); RSS ${(before / 1024).toFixed(0)} -> peak ${(peak / 1024).toFixed(0)} MB`,
    );
    assert.equal(written, frames, 'every frame was taken before the deadline');
    assert.ok(ahead <= bound, `the bridge took ${mb(ahead)} more than it answered, beyond ${mb(bound)}`);
    assert.ok((peak - before) / 1024 < 160, `bridge RSS grew ${((peak - before) / 1024).toFixed(0)} MB`);
    await bridge.waitForLog(/mllp\.reading_paused /);
  });
});

/** The largest size the kernel lets a TCP socket buffer grow to (the third field of /proc/sys/net/ipv4/NAME). */
function kernelBufferMax(name: 'tcp_rmem' | 'tcp_wmem'): number {
  const max = Number(readFileSync(`/proc/sys/net/ipv4/${name}`, 'utf8').trim().split(/\s+/)[2]);
  assert.ok(max > 0, `no ${name} maximum`);
  return max;
}

/** HL7 messages the bridge has answered, whatever their outcome (its Prometheus counter). */
async function answeredMessages(httpPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  return [...text.matchAll(/^mwl_bridge_hl7_messages_total\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

describe('hostile and broken senders: connections', { skip }, () => {
  let bridge: RunningBridge;
  before(async () => {
    bridge = await startBridge(['--mllp-idle-timeout', '3', '--mllp-frame-timeout', '2', '--mllp-max-connections', '5', '--hl7-charset-mismatch', 'reject']);
  });
  after(async () => {
    await ifStarted(bridge)?.stop();
  });

  // The three timeouts wait side by side (3 of the 5 connections; the limit's own test comes after).
  describe('timeouts', { concurrency: 3 }, () => {
    it('finding 7: an idle connection is closed after mllp.idleTimeoutSeconds, and logged', async () => {
      const client = await RawMllpClient.connect(bridge.mllpPort);
      try {
        client.send(order({ controlId: 'IDLE1', patientId: 'PATIDLE', accession: 'ACCIDLE' }));
        assert.deepEqual(msa((await client.replies(1, 5000))[0]!), ['AA', 'IDLE1']);
        const started = Date.now();
        assert.equal(await client.closedByServer(10000), true, 'closed by the bridge');
        assert.ok(Date.now() - started >= 2000, 'not before the timeout');
      } finally {
        client.close();
      }
      await bridge.waitForLog(/INFO {2}mllp\.idle_timeout connection=\d+ idle_seconds=3 limit_seconds=3/);
    });

    it('finding 7: a sender of one byte every 100 ms is cut off by mllp.frameTimeoutSeconds; nothing of its frame is stored', async () => {
      const client = await RawMllpClient.connect(bridge.mllpPort);
      const bytes = Buffer.concat([
        Buffer.from([0x0b]),
        Buffer.from(order({ controlId: 'SLOW1', patientId: 'PATSLOW', accession: 'ACCSLOW' })),
        Buffer.from([0x1c, 0x0d]),
      ]);
      const started = Date.now();
      let sent = 0;
      try {
        while (sent < bytes.length && !(await client.closedByServer(100))) client.write(bytes.subarray(sent, ++sent));
        assert.ok(sent < bytes.length, 'closed before the frame was complete');
        assert.ok(Date.now() - started < 8000, `closed after ${Date.now() - started} ms`);
      } finally {
        client.close();
      }
      await bridge.waitForLog(/WARN {2}mllp\.frame_timeout connection=\d+ bytes=\d+ limit_seconds=2/);
      assert.equal(countItems(bridge.dbPath, "patient_id = 'PATSLOW'"), 0);
    });

    it('finding 7: bytes trickling in outside any frame are cut off the same way', async () => {
      const client = await RawMllpClient.connect(bridge.mllpPort);
      const started = Date.now();
      try {
        while (!(await client.closedByServer(100)) && Date.now() - started < 10000) client.write('x');
        assert.ok(Date.now() - started < 8000, `closed after ${Date.now() - started} ms`);
      } finally {
        client.close();
      }
    });
  });

  it('finding 7: connections beyond mllp.maxConnections are closed on accept and logged; a freed slot serves orders again', async () => {
    const clients = await Promise.all(Array.from({ length: 5 }, () => RawMllpClient.connect(bridge.mllpPort)));
    try {
      const extra = await RawMllpClient.connect(bridge.mllpPort);
      assert.equal(await extra.closedByServer(2000), true, 'the sixth connection is closed');
      extra.close();
      await bridge.waitForLog(/WARN {2}mllp\.connection_refused remote=127\.0\.0\.1:\d+ refused=1 open=5 limit=5/);
    } finally {
      for (const c of clients) c.close();
    }
    // The slots free up as the bridge sees the closes.
    const deadline = Date.now() + 5000;
    for (;;) {
      const client = await RawMllpClient.connect(bridge.mllpPort);
      try {
        client.send(order({ controlId: 'FREED1', patientId: 'PATFREED', accession: 'ACCFREED' }));
        const replies = await client.replies(1, 2000);
        if (replies.length === 1) {
          assert.deepEqual(msa(replies[0]!), ['AA', 'FREED1']);
          break;
        }
      } finally {
        client.close();
      }
      assert.ok(Date.now() < deadline, 'a connection is served again');
    }
  });

  it('finding 15: with hl7.charsetMismatch reject, UTF-8 labelled 8859/1 is answered AR at MSH-18', () => {
    const [ack] = mllpSendFramed(bridge.mllpPort, [
      Buffer.from(order({ controlId: 'CSREJ', patientId: 'PATCSREJ', accession: 'ACCCSREJ', msh18: '8859/1', name: 'GONÇALVES^ANA' }), 'utf8'),
    ]);
    const text = ack!.join('\r');
    assert.equal(msa(text)[0], 'AR', text);
    assert.match(text, /labelled 8859\/1 but its bytes are UTF-8/);
    assert.match(text, /\rERR\|MSH\^1\^18\^/);
    assert.equal(countItems(bridge.dbPath, "patient_id = 'PATCSREJ'"), 0);
  });
});
