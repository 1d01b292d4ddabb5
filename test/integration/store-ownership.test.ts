/**
 * One owner of the database, and writers beside it (issue 16, findings 9, 10 and 11): a second
 * bridge on the same file, `mwl-bridge import` during an order burst, the database file removed
 * or replaced under a running bridge, and the same files imported twice.
 */
import { describe, it } from '../helpers/suites.js';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { encodeWorklistFile } from '../../src/model/worklist-file.js';
import type { DicomJson } from '../../src/model/item.js';
import { orderFile, sendFile } from '../helpers/burst.js';
import { msa } from '../helpers/mllp-client.js';
import { order } from '../helpers/orders.js';
import { cliPath, mllpSendText, projectDir, runCli, skipWithout, startBridge, startBridgeProcess, tempDir } from '../helpers/peers.js';

const require = createRequire(import.meta.url);
const Database = require('better-sqlite3') as typeof BetterSqlite3;
const skip = skipWithout('mllp_send');

/** A worklist item as a .wl file would hold it (n makes it distinct). */
function worklistItem(n: number, name = `IMPORT^PATIENT${n}`): DicomJson {
  return {
    '00080050': { vr: 'SH', Value: [`IMP${n}`] },
    '00100010': { vr: 'PN', Value: [{ Alphabetic: name }] },
    '00100020': { vr: 'LO', Value: [`IMPPAT${n}`] },
    '0020000D': { vr: 'UI', Value: [`1.2.826.0.1.3680043.10.543.${n}`] },
    '00401001': { vr: 'SH', Value: [`RP${n}`] },
    '00400100': {
      vr: 'SQ',
      Value: [
        {
          '00080060': { vr: 'CS', Value: ['CT'] },
          '00400001': { vr: 'AE', Value: ['CT1'] },
          '00400002': { vr: 'DA', Value: ['20261124'] },
          '00400003': { vr: 'TM', Value: ['0900'] },
          '00400009': { vr: 'SH', Value: [`SPS${n}`] },
        },
      ],
    },
  };
}

function writeWorklistFiles(dir: string, count: number, from = 1): void {
  mkdirSync(dir, { recursive: true });
  for (let n = from; n < from + count; n++) writeFileSync(join(dir, `item${n}.wl`), encodeWorklistFile(n, worklistItem(n), 'auto').bytes);
}

function itemCount(dbPath: string, where = '1'): number {
  const db = new Database(dbPath, { readonly: true });
  try {
    return (db.prepare(`SELECT count(*) AS n FROM items WHERE ${where}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('one owner of the database', { skip }, () => {
  it('finding 9: a second bridge on the same database exits non-zero, naming the process that owns it', async () => {
    const bridge = await startBridgeProcess();
    try {
      const second = spawnSync(process.execPath, [cliPath, 'start', '--db', bridge.dbPath, '--mllp-port', '0', '--dicom-port', '0'], {
        cwd: projectDir,
        encoding: 'utf8',
        timeout: 20000,
      });
      assert.notEqual(second.status, 0, 'the second bridge does not run');
      assert.equal(second.signal, null, 'it exited by itself (not killed at the timeout)');
      assert.match(
        second.stderr,
        new RegExp(`STORE_IN_USE: the database .*worklist\\.db is in use by another mwl-bridge \\(process pid ${bridge.process.pid},`),
      );
      // The first one still serves.
      const [ack] = mllpSendText(bridge.mllpPort, order({ controlId: 'OWNER1', patientId: 'PATOWNER', accession: 'ACCOWNER' }));
      assert.deepEqual(msa(ack!.join('\r')), ['AA', 'OWNER1']);
    } finally {
      await bridge.stop();
    }
  });

  it('finding 9: an import of 500 files during a 4-connection burst of 1,000 orders makes no order fail', async (t) => {
    const dir = tempDir('mwl-concurrent-');
    const wlDir = join(dir, 'wl');
    writeWorklistFiles(wlDir, 500);
    const files = Array.from({ length: 4 }, (_, k) => orderFile(dir, k, 250));
    // In a bridge host: the import is still another process beside the bridge's.
    const bridge = await startBridge([], { dir });
    try {
      let acks = 0;
      const bursts = files.map((f) => sendFile(bridge.mllpPort, f, () => acks++));
      // The import starts once the burst is under way, and runs beside it.
      while (acks < 50) await new Promise((r) => setTimeout(r, 10));
      const importer = spawn(process.execPath, [cliPath, 'import', '--db', bridge.dbPath, wlDir], { cwd: projectDir, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      importer.stdout.on('data', (d: Buffer) => (out += d.toString()));
      importer.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const importExit = new Promise<number | null>((r) => importer.once('exit', r));
      const results = await Promise.all(bursts);
      const importCode = await importExit;
      const refused = results.flatMap((r) => r.refused);
      t.diagnostic(`${results.flatMap((r) => r.accepted).length} AA, ${refused.length} AE/AR; import: ${out.trim()}`);
      assert.deepEqual(refused, [], 'no order answered AE or AR');
      assert.equal(results.flatMap((r) => r.accepted).length, 1000);
      assert.equal(importCode, 0, out);
      assert.match(out, /imported 500 item\(s\) into .*: 500 created, 0 updated, 0 unchanged/);
    } finally {
      await bridge.stop();
    }
    assert.equal(itemCount(join(dir, 'worklist.db')), 1500);
    rmSync(dir, { recursive: true, force: true });
  });
});

// In bridge hosts (as `mwl-bridge start` runs, without a process start each), both cases side by side.
describe('a database file removed or replaced under the bridge', { skip, concurrency: 2 }, () => {
  for (const how of ['removed', 'replaced'] as const) {
    it(`finding 10: ${how}: orders are answered AE naming the path, logged once, until a restart on a real file`, async () => {
      const dir = tempDir('mwl-unlinked-');
      const bridge = await startBridge([], { dir });
      try {
        const [first] = mllpSendText(bridge.mllpPort, order({ controlId: 'BEFORE', patientId: 'PATBEFORE', accession: 'ACCBEFORE' }));
        assert.deepEqual(msa(first!.join('\r')), ['AA', 'BEFORE']);
        if (how === 'removed') rmSync(bridge.dbPath);
        else {
          copyFileSync(bridge.dbPath, join(dir, 'other.db'));
          rmSync(bridge.dbPath);
          copyFileSync(join(dir, 'other.db'), bridge.dbPath);
        }
        for (const id of ['AFTER1', 'AFTER2', 'AFTER3']) {
          const [ack] = mllpSendText(bridge.mllpPort, order({ controlId: id, patientId: `PAT${id}`, accession: `ACC${id}` }));
          const text = ack!.join('\r');
          assert.equal(msa(text)[0], 'AE', text);
          assert.ok(text.includes(bridge.dbPath.slice(0, 40)), `the ACK names the database path: ${text}`);
        }
        const log = await bridge.waitForLog(/hl7\.message_rejected control_id=AFTER3 /);
        assert.equal((log.match(/ERROR store\.database_file_gone /g) ?? []).length, 1, 'logged once at error level');
        assert.match(log, new RegExp(`store\\.database_file_gone path=${bridge.dbPath.replace(/[.]/g, '\\.')} `));
      } finally {
        await bridge.stop();
      }
      // Restarted on a real file, it acknowledges again.
      rmSync(bridge.dbPath, { force: true });
      const restarted = await startBridge([], { dir });
      try {
        const [ack] = mllpSendText(restarted.mllpPort, order({ controlId: 'RESTARTED', patientId: 'PATRESTART', accession: 'ACCRESTART' }));
        assert.deepEqual(msa(ack!.join('\r')), ['AA', 'RESTARTED']);
      } finally {
        await restarted.stop();
      }
      rmSync(dir, { recursive: true, force: true });
    });
  }
});

describe('import twice', () => {
  it('finding 11: the same files imported again update their items instead of adding them; the report says created / updated / unchanged', () => {
    const dir = tempDir('mwl-reimport-');
    const wlDir = join(dir, 'wl');
    const dbPath = join(dir, 'worklist.db');
    writeWorklistFiles(wlDir, 20);
    const first = runCli(['import', '--db', dbPath, wlDir]);
    assert.equal(first.status, 0, first.stderr);
    assert.equal(itemCount(dbPath), 20);
    const again = runCli(['import', '--db', dbPath, wlDir]);
    assert.equal(itemCount(dbPath), 20, 'no item stored twice');
    assert.match(first.stdout, /imported 20 item\(s\) into .*: 20 created, 0 updated, 0 unchanged/);
    assert.match(again.stdout, /imported 20 item\(s\) into .*: 0 created, 0 updated, 20 unchanged/);
    // One file changed (same SOP Instance UID), one added.
    writeFileSync(join(wlDir, 'item3.wl'), encodeWorklistFile(3, worklistItem(3, 'RENAMED^PATIENT'), 'auto').bytes);
    writeWorklistFiles(wlDir, 1, 21);
    const third = runCli(['import', '--db', dbPath, wlDir]);
    assert.match(third.stdout, /imported 21 item\(s\) into .*: 1 created, 1 updated, 19 unchanged/);
    assert.equal(itemCount(dbPath), 21);
    assert.equal(itemCount(dbPath, "patient_name = 'RENAMED^PATIENT'"), 1);
    rmSync(dir, { recursive: true, force: true });
  });

  it('finding 2: an imported file with a value its VR does not allow is reported and not stored', () => {
    const dir = tempDir('mwl-badimport-');
    const wlDir = join(dir, 'wl');
    mkdirSync(wlDir);
    const bad = worklistItem(1);
    bad['00400100']!.Value = [{ ...(bad['00400100']!.Value![0] as DicomJson), '00400002': { vr: 'DA', Value: ['2013-08-'] } }];
    writeFileSync(join(wlDir, 'bad.wl'), encodeWorklistFile(1, bad, 'auto').bytes);
    writeWorklistFiles(wlDir, 1, 2);
    const r = runCli(['import', '--db', join(dir, 'worklist.db'), wlDir]);
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /FAILED .*bad\.wl: ITEM_INVALID at \(0040,0002\) ScheduledProcedureStepStartDate: ScheduledProcedureStepSequence\[1\]\.ScheduledProcedureStepStartDate "2013-08-" is not a valid DA/,
    );
    assert.match(r.stdout, /imported 1 item\(s\)/);
    rmSync(dir, { recursive: true, force: true });
  });
});
