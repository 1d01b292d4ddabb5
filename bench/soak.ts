/**
 * npm run soak [-- --minutes 30] [--items 2000] [--hostile 4]
 *
 * A long run of what a department sends, mixed with what a hostile peer sends: modality queries
 * (findscu, each answer count checked), MPPS N-CREATE and N-SET (dcmjs-dimse's client, statuses
 * checked), and hostile connections (mutated captures of real peers' PDUs and random PDUs, as in
 * test/integration/dicom-fuzz.test.ts) all at once against one bridge. Every 30 s it prints what
 * was answered, what failed and the bridge's resident memory; it exits non-zero when a legitimate
 * request failed or the bridge stopped. Not part of CI.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import dimse from 'dcmjs-dimse';
import { writeWorklistDb } from '../test/helpers/worklist-db.js';
import { DicomMutator, capturedSessions, sendSession, withCalledAeTitle } from '../test/helpers/dicom-fuzz.js';
import { FINDSCU_ENV, memoryOf, startBridge } from './servers.js';

const { values: flags } = parseArgs({
  options: { minutes: { type: 'string', default: '30' }, items: { type: 'string', default: '2000' }, hostile: { type: 'string', default: '4' } },
});
const MINUTES = Number(flags.minutes);
const ITEMS = Number(flags.items);
const HOSTILE = Number(flags.hostile);
const MODALITIES = ['CT', 'MR', 'US', 'CR'];

const { Client, Dataset } = dimse;
const { NCreateRequest, NSetRequest } = dimse.requests;
const { SopClass } = dimse.constants;
dimse.log.setLevel('silent');

const counts = { queries: 0, answers: 0, queryFailures: 0, mppsOk: 0, mppsFailures: 0, hostileSessions: 0, hostileAborted: 0 };
const failures: string[] = [];
const fail = (what: string): void => {
  if (failures.length < 50) failures.push(`${new Date().toISOString()} ${what}`);
};

function seed(dir: string): void {
  writeWorklistDb(
    dir,
    Array.from({ length: ITEMS }, (_, i) => ({
      '00100010': { vr: 'PN', Value: [{ Alphabetic: `SOAK^PATIENT${i}` }] },
      '00100020': { vr: 'LO', Value: [`SOAK${i}`] },
      '00080050': { vr: 'SH', Value: [`ACC-SOAK${i}`] },
      '0020000D': { vr: 'UI', Value: [`1.2.826.0.1.3680043.10.543.90.${i}`] },
      '00400100': {
        vr: 'SQ',
        Value: [
          {
            '00080060': { vr: 'CS', Value: [MODALITIES[i % 4]!] },
            '00400002': { vr: 'DA', Value: ['20261203'] },
            '00400009': { vr: 'SH', Value: [`SPS${i}`] },
          },
        ],
      },
    })),
  );
}

/** findscu without blocking this process; resolves with the number of answers, or -1 on failure. */
function findscu(port: number, keys: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('findscu', ['-W', '-v', '-to', '30', '-aec', 'MWL_BRIDGE', '127.0.0.1', String(port), ...keys.flatMap((k) => ['-k', k])], {
      env: FINDSCU_ENV,
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString('latin1')));
    child.stderr.on('data', (d: Buffer) => (output += d.toString('latin1')));
    child.on('close', (code) => {
      resolve(code === 0 && /Final Find Response \(Success\)/.test(output) ? (output.match(/Find Response: \d+ \(Pending\)/g) ?? []).length : -1);
    });
  });
}

/** A seeded generator of numbers in [0, 1). */
function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

/** Queries items with odd numbers only: MPPS completes even ones (and takes them off the worklist). */
async function queryLoop(port: number, until: number, random: () => number): Promise<void> {
  while (Date.now() < until) {
    const i = 2 * Math.floor(random() * Math.floor(ITEMS / 2)) + 1;
    const query =
      random() < 0.7
        ? { keys: [`PatientID=SOAK${i}`, 'PatientName', 'AccessionNumber', 'ScheduledProcedureStepSequence[0].Modality'], expect: 1 }
        : {
            keys: [
              `ScheduledProcedureStepSequence[0].Modality=${MODALITIES[i % 4]}`,
              'ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate=20261203',
              'PatientID',
            ],
            expect: undefined,
          };
    const answers = await findscu(port, query.keys);
    counts.queries++;
    if (answers < 0 || (query.expect !== undefined && answers !== query.expect)) {
      counts.queryFailures++;
      fail(`query ${query.keys[0]}: ${answers} answers`);
    } else counts.answers += answers;
  }
}

function mppsRequest(port: number, requests: Array<InstanceType<typeof NCreateRequest> | InstanceType<typeof NSetRequest>>): Promise<number[]> {
  return new Promise((resolve) => {
    const client = new Client();
    const statuses: number[] = [];
    for (const request of requests) {
      request.on('response', (response: { getStatus(): number }) => statuses.push(response.getStatus()));
      client.addRequest(request);
    }
    client.on('networkError', () => {
      resolve(statuses);
    });
    client.on('associationRejected', () => {
      resolve(statuses);
    });
    client.on('closed', () => {
      resolve(statuses);
    });
    client.send('127.0.0.1', port, 'SOAK_MOD', 'MWL_BRIDGE');
  });
}

/** Performs items with even numbers: N-CREATE IN PROGRESS, then N-SET COMPLETED. */
async function mppsLoop(port: number, until: number, random: () => number): Promise<void> {
  let n = 0;
  while (Date.now() < until) {
    const i = 2 * Math.floor(random() * Math.floor(ITEMS / 2));
    const uid = `1.2.826.0.1.3680043.10.543.91.${process.pid}.${n++}`;
    const create = new NCreateRequest(SopClass.ModalityPerformedProcedureStep, uid);
    create.setDataset(
      new Dataset({
        PerformedProcedureStepStatus: 'IN PROGRESS',
        PerformedProcedureStepID: `PPS${n}`,
        PerformedStationAETitle: 'SOAK_MOD',
        PerformedProcedureStepStartDate: '20261203',
        PerformedProcedureStepStartTime: '100000',
        Modality: MODALITIES[i % 4],
        ScheduledStepAttributesSequence: [
          { StudyInstanceUID: `1.2.826.0.1.3680043.10.543.90.${i}`, AccessionNumber: `ACC-SOAK${i}`, ScheduledProcedureStepID: `SPS${i}` },
        ],
      }),
    );
    const set = new NSetRequest(SopClass.ModalityPerformedProcedureStep, uid);
    set.setDataset(
      new Dataset({ PerformedProcedureStepStatus: 'COMPLETED', PerformedProcedureStepEndDate: '20261203', PerformedProcedureStepEndTime: '101000' }),
    );
    const statuses = await mppsRequest(port, [create, set]);
    if (statuses.length === 2 && statuses.every((s) => s === 0)) counts.mppsOk++;
    else {
      counts.mppsFailures++;
      fail(`MPPS ${uid}: statuses ${statuses.map((s) => s.toString(16)).join(',') || 'none'}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function hostileLoop(port: number, until: number, mutator: DicomMutator): Promise<void> {
  while (Date.now() < until) {
    const { pduTypes } = await sendSession(port, mutator.steps(mutator.session()));
    counts.hostileSessions++;
    if (pduTypes.includes(0x07)) counts.hostileAborted++;
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mwl-soak-'));
  seed(dir);
  const bridge = await startBridge(dir, ['--acse-timeout', '5', '--dimse-timeout', '10', '--log-level', 'warn']);
  const pid = bridge.process.pid!;
  const started = Date.now();
  const until = started + MINUTES * 60_000;
  console.log(
    `soak: ${MINUTES} min against the bridge (pid ${pid}, ${ITEMS} items, log ${join(dir, 'bridge.log')}): 2 query loops, 1 MPPS loop, ${HOSTILE} hostile loops`,
  );
  console.log('minute  queries  answers  query-failures  mpps-ok  mpps-failures  hostile  hostile-aborted  rss-MB  peak-MB');
  // Set from the exit listener (TypeScript does not follow assignments there).
  const bridgeState = { exited: false };
  const exited = (code: number | null): void => {
    bridgeState.exited = true;
    fail(`the bridge exited (${code})`);
  };
  bridge.process.once('exit', exited);
  const report = (): void => {
    if (bridgeState.exited) return;
    const { rssMb, peakMb } = memoryOf(pid);
    const minute = ((Date.now() - started) / 60_000).toFixed(1).padStart(6);
    console.log(
      `${minute}  ${String(counts.queries).padStart(7)}  ${String(counts.answers).padStart(7)}  ${String(counts.queryFailures).padStart(14)}  ${String(counts.mppsOk).padStart(7)}  ${String(counts.mppsFailures).padStart(13)}  ${String(counts.hostileSessions).padStart(7)}  ${String(counts.hostileAborted).padStart(15)}  ${rssMb.toFixed(0).padStart(6)}  ${peakMb.toFixed(0).padStart(7)}`,
    );
  };
  const timer = setInterval(report, 30_000);
  const seeds = capturedSessions().map((s) => withCalledAeTitle(s, 'MWL_BRIDGE'));
  await Promise.all([
    queryLoop(bridge.port, until, lcg(1)),
    queryLoop(bridge.port, until, lcg(2)),
    mppsLoop(bridge.port, until, lcg(3)),
    ...Array.from({ length: HOSTILE }, (_, k) => hostileLoop(bridge.port, until, new DicomMutator(1000 + k, seeds))),
  ]);
  clearInterval(timer);
  report();
  bridge.process.off('exit', exited);
  if (!bridgeState.exited) await bridge.stop();
  console.log(failures.length ? `FAILURES:\n${failures.join('\n')}` : 'no legitimate request failed');
  if (!failures.length) rmSync(dir, { recursive: true, force: true });
  process.exitCode = failures.length ? 1 : 0;
}

await main();
