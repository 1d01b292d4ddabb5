/**
 * DICOM fuzz test: thousands of hostile sessions (mutations of PDUs captured from echoscu, findscu
 * and an MPPS client, and random PDUs, in random chunks) against the real bridge. After each batch
 * the bridge must still be running, answer C-ECHO and a known C-FIND correctly (DCMTK), and keep its
 * memory bounded. Deterministic for a seed (FUZZ_DICOM_SEED); FUZZ_DICOM_SESSIONS sets the count
 * (default 3,000: the "few thousand per run" of issue 15, while other test files run beside it).
 */
import { after, before, describe, it } from '../helpers/suites.js';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeWorklistDb } from '../helpers/worklist-db.js';
import { DicomMutator, capturedSessions, sendSession, withCalledAeTitle } from '../helpers/dicom-fuzz.js';
import { echoscu, findscu, skipWithout, startBridgeProcess, tempDir, type BridgeProcess, ifStarted } from '../helpers/peers.js';

const SESSIONS = Number(process.env.FUZZ_DICOM_SESSIONS ?? 3000);
const BATCH = 250;
const CONCURRENCY = 16;
/** Resident memory the bridge may reach under the fuzz (it idles near 100 MB). */
const MAX_RSS_MB = 350;

function residentMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

describe('DICOM fuzz: mutated and random PDUs against the running SCP', { skip: skipWithout('echoscu', 'findscu') }, () => {
  let bridge: BridgeProcess;
  before(async () => {
    const dir = tempDir('mwl-dicom-fuzz-');
    writeWorklistDb(
      dir,
      Array.from({ length: 50 }, (_, i) => ({
        '00100010': { vr: 'PN', Value: [{ Alphabetic: `FUZZ^PATIENT${i}` }] },
        '00100020': { vr: 'LO', Value: [i === 0 ? 'PAT-FUZZ' : `CAP${i}`] },
        '00080050': { vr: 'SH', Value: [i === 0 ? 'ACC-FUZZ' : `ACC-CAP${i}`] },
        '00400100': { vr: 'SQ', Value: [{ '00080060': { vr: 'CS', Value: ['CT'] }, '00400002': { vr: 'DA', Value: ['20261203'] } }] },
      })),
    );
    bridge = await startBridgeProcess(['--acse-timeout', '1', '--dimse-timeout', '2'], { dir, mllp: false });
  });
  after(async () => {
    await ifStarted(bridge)?.stop();
  });

  it(`survives ${SESSIONS} hostile sessions: still answering, memory bounded`, async (t) => {
    const seeds = capturedSessions().map((s) => withCalledAeTitle(s, bridge.aeTitle));
    assert.ok(seeds.length >= 5 && seeds.every((s) => s.pdus.length > 0), 'captured sessions are present');
    const mutator = new DicomMutator(Number(process.env.FUZZ_DICOM_SEED ?? 0x15), seeds);
    const pid = bridge.process.pid!;
    let peakRss = residentMb(pid);
    const outcomes = { accepted: 0, rejected: 0, aborted: 0, dimseAnswered: 0, closedByScp: 0 };
    const started = Date.now();
    for (let sent = 0; sent < SESSIONS;) {
      const batch = Math.min(BATCH, SESSIONS - sent);
      const queue = Array.from({ length: batch }, () => mutator.steps(mutator.session()));
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          for (let steps = queue.pop(); steps; steps = queue.pop()) {
            const { pduTypes, closedByScp } = await sendSession(bridge.dicomPort, steps);
            if (pduTypes.includes(0x02)) outcomes.accepted++;
            if (pduTypes.includes(0x03)) outcomes.rejected++;
            if (pduTypes.includes(0x07)) outcomes.aborted++;
            if (pduTypes.includes(0x04)) outcomes.dimseAnswered++;
            if (closedByScp) outcomes.closedByScp++;
          }
        }),
      );
      sent += batch;
      assert.equal(bridge.process.exitCode, null, `the bridge is running after ${sent} sessions:\n${bridge.log().slice(-3000)}`);
      assert.equal(echoscu(bridge.dicomPort, bridge.aeTitle), 0, `C-ECHO after ${sent} sessions`);
      const { answers, status } = findscu(bridge.dicomPort, bridge.aeTitle, ['PatientID=PAT-FUZZ', 'AccessionNumber', 'PatientName']);
      assert.equal(status, 0);
      assert.deepEqual(
        answers.map((a) => [a.values['(0008,0050)'], a.values['(0010,0010)']]),
        [['ACC-FUZZ', 'FUZZ^PATIENT0']],
        `the known C-FIND after ${sent} sessions`,
      );
      const rss = residentMb(pid);
      peakRss = Math.max(peakRss, rss);
      assert.ok(rss < MAX_RSS_MB, `resident memory ${rss.toFixed(0)} MB after ${sent} sessions`);
    }
    t.diagnostic(
      `${SESSIONS} sessions in ${((Date.now() - started) / 1000).toFixed(1)} s: ${outcomes.accepted} associated, ${outcomes.rejected} rejected, ` +
        `${outcomes.aborted} aborted by the SCP, ${outcomes.dimseAnswered} got DIMSE responses, ${outcomes.closedByScp} closed by the SCP; peak RSS ${peakRss.toFixed(0)} MB`,
    );
    // Failures inside an association (not protocol errors): each ended one association; their kinds are worth seeing.
    const failures = bridge.log().match(/dicom\.association_failed .*/g) ?? [];
    const kinds = new Set(failures.map((l) => [/error="([^"]{0,80})/.exec(l)?.[1], /at="?([^"]{0,100})/.exec(l)?.[1]].filter(Boolean).join(' at ')));
    t.diagnostic(`${failures.length} association failures${kinds.size ? `: ${[...kinds].slice(0, 8).join(' | ')}` : ''}`);
    assert.ok(outcomes.dimseAnswered > SESSIONS / 20, 'enough sessions reach the DIMSE layer for the test to mean something');
  });
});
