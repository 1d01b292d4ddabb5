/**
 * No-loss guarantee: 2000 orders over 4 mllp_send connections, the bridge is killed with SIGKILL at
 * a random moment, then restarted on the same database. Every order acknowledged with AA must be
 * stored, none twice; resending everything (as a RIS retries) stores the rest and nothing twice.
 */
import { describe, it } from '../helpers/suites.js';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { orderFile, sendFile } from '../helpers/burst.js';
import { skipWithout, startBridge, startBridgeProcess, tempDir } from '../helpers/peers.js';

const require = createRequire(import.meta.url);
const Database = require('better-sqlite3') as typeof BetterSqlite3;
const CONNECTIONS = 4;
const PER_CONNECTION = 500;

describe('durability', { skip: skipWithout('mllp_send') }, () => {
  it('every order acknowledged before a kill -9 is stored exactly once after restart', async (t) => {
    const dir = tempDir('mwl-durable-');
    const files = Array.from({ length: CONNECTIONS }, (_, k) => orderFile(dir, k, PER_CONNECTION));
    const bridge = await startBridgeProcess([], { dir });
    const killAfter = 200 + Math.floor(Math.random() * 1200); // a random moment, counted in ACKs
    let acks = 0;
    const sends = files.map((f) =>
      sendFile(bridge.mllpPort, f, () => {
        if (++acks === killAfter) bridge.process.kill('SIGKILL');
      }),
    );
    const results = await Promise.all(sends);
    await bridge.stop();
    const acknowledged = results.flatMap((r) => r.accepted);
    assert.ok(
      acknowledged.length >= killAfter - CONNECTIONS && acknowledged.length < CONNECTIONS * PER_CONNECTION,
      `killed mid-burst: ${acknowledged.length} AA`,
    );
    assert.equal(results.flatMap((r) => r.refused).length, 0, 'no order was refused');

    // Restart on the same database (SQLite recovers the WAL), then check the store itself.
    const restarted = await startBridge([], { dir });
    const db = new Database(restarted.dbPath, { readonly: true });
    try {
      const stored = db.prepare("SELECT control_id FROM messages WHERE outcome = 'stored'").all() as { control_id: string }[];
      const storedIds = new Set(stored.map((r) => r.control_id));
      const lost = acknowledged.filter((id) => !storedIds.has(id));
      assert.deepEqual(lost, [], 'orders acknowledged with AA but not stored');
      const dupes = db.prepare('SELECT accession_number, count(*) AS n FROM items GROUP BY accession_number HAVING n > 1').all();
      assert.deepEqual(dupes, []);
      const items = (db.prepare('SELECT count(*) AS n FROM items').get() as { n: number }).n;
      assert.equal(items, storedIds.size, 'one item per stored order');
      t.diagnostic(`killed after ${killAfter} ACKs: ${acknowledged.length} acknowledged with AA, ${storedIds.size} stored after restart, 0 lost, 0 duplicated`);
    } finally {
      db.close();
    }

    // The RIS resends everything: acknowledged ones are duplicates (original ACK), the rest are stored.
    const resent = await Promise.all(files.map((f) => sendFile(restarted.mllpPort, f, () => undefined)));
    assert.equal(resent.flatMap((r) => r.accepted).length, CONNECTIONS * PER_CONNECTION);
    await restarted.stop();
    const after = new Database(restarted.dbPath, { readonly: true });
    try {
      assert.equal((after.prepare('SELECT count(*) AS n FROM items').get() as { n: number }).n, CONNECTIONS * PER_CONNECTION);
      assert.equal((after.prepare('SELECT count(DISTINCT accession_number) AS n FROM items').get() as { n: number }).n, CONNECTIONS * PER_CONNECTION);
      const duplicates = (after.prepare("SELECT count(*) AS n FROM messages WHERE outcome = 'duplicate'").get() as { n: number }).n;
      assert.ok(duplicates >= acknowledged.length, `${duplicates} resends recognised as duplicates`);
    } finally {
      after.close();
    }
  });
});
