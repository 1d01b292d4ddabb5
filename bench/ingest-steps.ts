/**
 * Where an order's time goes, step by step, in one process (no MLLP, no other work): decode,
 * mapping, ACK build, the store transaction (apply: items, value index, message log) and its commit,
 * and the WAL fdatasync, each as CPU time per order (fdatasync: mostly waiting, so small). Groups of --group orders share one
 * transaction, as 8 connections' orders do in a group commit.
 *
 *   node --import tsx bench/ingest-steps.ts --db /tmp/mwl-ingest-preload-100000.db [--orders 2000 --group 8]
 * The database is copied first; its items push the store's B-trees to their real depth.
 */
import { copyFileSync, mkdtempSync, openSync, closeSync, fdatasyncSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load.js';
import { ackFor, lenientHeader, runOrderPipeline } from '../src/hl7/pipeline.js';
import { decodeHl7Message } from '../src/hl7/message.js';
import { messageContentHash } from '../src/hl7/content-key.js';
import { loadMappingSet, mappingFiles } from '../src/app/mappings.js';
import { pipelineSettings } from '../src/app/pipeline-settings.js';
import { WorklistStore } from '../src/store/worklist-store.js';
import { OrderService } from '../src/worklist/orders.js';
import { syntheticOrders } from './orders.js';

const { values } = parseArgs({
  options: {
    db: { type: 'string' },
    orders: { type: 'string', default: '2000' },
    group: { type: 'string', default: '8' },
    skip: { type: 'string', default: '200000' },
  },
});
const count = Number(values.orders);
const group = Number(values.group);
const dir = mkdtempSync(join(tmpdir(), 'mwl-steps-'));
const dbPath = join(dir, 'worklist.db');
if (values.db) copyFileSync(values.db, dbPath);

const config = loadConfig({ env: {} });
const mappings = loadMappingSet(mappingFiles(config));
const opts = { mappings: () => mappings, ...pipelineSettings(config), bridgeApplication: 'MWL_BRIDGE' };
// Orders none of the preloaded ones share accession numbers or control ids with.
const texts = syntheticOrders(Number(values.skip) + count, 1)
  .slice(Number(values.skip))
  .map((o) => Buffer.from(o.text, 'utf8'));

/**
 * CPU time (user + system) of each step, in ms: on a machine shared with other work, wall time
 * counts the time this process waited for a core; CPU time does not.
 */
const totals = new Map<string, number>();
function timed<T>(step: string, fn: () => T): T {
  const started = process.cpuUsage();
  const value = fn();
  const used = process.cpuUsage(started);
  totals.set(step, (totals.get(step) ?? 0) + (used.user + used.system) / 1000);
  return value;
}

// Warm the JIT on messages that are not counted.
for (const bytes of texts.slice(0, 200)) runOrderPipeline(bytes, opts);

const store = WorklistStore.open(dbPath);
const orders = new OrderService(store);
// What group-commit.ts sets around its transactions (the WAL is synced separately, below).
(store as unknown as { conn: { statement(sql: string): { run(): unknown } } }).conn.statement('PRAGMA synchronous = NORMAL').run();
const wal = openSync(`${dbPath}-wal`, 'r');
for (let start = 0; start < count; start += group) {
  const work = texts.slice(start, start + group).map((bytes) => {
    timed('lenient header', () => lenientHeader(bytes));
    timed('decode (parse HL7)', () => decodeHl7Message(bytes));
    const result = timed('decode + map (runOrderPipeline)', () => runOrderPipeline(bytes, opts));
    if (!result.ok) throw result.error;
    const ack = timed('ACK build', () => ackFor(result, 'AA', undefined, 'MWL_BRIDGE'));
    const contentHash = timed('content hash', () => messageContentHash(bytes));
    return { bytes, result, ack, contentHash };
  });
  // As group-commit.ts: one transaction, a savepoint per message, synchronous=NORMAL, then fdatasync.
  timed('store: transaction incl. commit', () => {
    store.transaction(() => {
      for (const { bytes, result, ack, contentHash } of work) {
        timed('store: apply (items, index, log)', () =>
          orders.apply(result.order, {
            receivedAt: new Date().toISOString(),
            remote: '127.0.0.1:1',
            sendingApplication: result.header.sendingApplication || null,
            sendingFacility: result.header.sendingFacility || null,
            controlId: result.header.controlId || null,
            messageType: result.header.messageType || null,
            raw: bytes,
            contentHash,
            ackCode: 'AA',
            error: null,
            ack,
            origin: null,
          }),
        );
      }
    });
  });
  timed('WAL fdatasync (off the event loop in the bridge)', () => {
    fdatasyncSync(wal);
  });
}
closeSync(wal);
store.close();
rmSync(dir, { recursive: true, force: true });

const decodeMap = totals.get('decode + map (runOrderPipeline)') ?? 0;
totals.set('  of which mapping (decode + map - decode)', decodeMap - (totals.get('decode (parse HL7)') ?? 0));
totals.set(
  '  of which commit (transaction - apply)',
  (totals.get('store: transaction incl. commit') ?? 0) - (totals.get('store: apply (items, index, log)') ?? 0),
);
console.log(`${count} orders, ${group} a transaction, store ${values.db ?? '(empty)'}, load ${loadavg()[0]!.toFixed(1)}`);
for (const [step, ms] of totals) console.log(`${((ms * 1000) / count).toFixed(0).padStart(6)} us/order  ${step}`);
