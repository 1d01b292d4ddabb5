/**
 * Where a selective C-FIND's CPU time goes, step by step, in one process (no sockets): reading the
 * request (dcmjs-dimse's reading of the command set and identifier, as the SCP's shim checks it),
 * the identifier to DICOM JSON, the candidates (SQL, parse, match), the answers' encoding (cold: items
 * not seen before; warm: the same again), the response command sets, the query log record (and its
 * batch write) and the metrics. CPU time (process.cpuUsage) per query, in microseconds.
 *
 *   node --import tsx bench/query-steps.ts --db /tmp/mwl-ingest-preload-100000.db [--queries 2000]
 * (bench/query-load.ts builds that store when it is missing.)
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import dimse from 'dcmjs-dimse';
import { checkReceivedDatasets, CFindResponse, Status, plainIdentifierOf } from '../src/dicom/dimse-shim.js';
import { identifierFromNaturalized, identifierProblem } from '../src/dicom/identifier.js';
import { AnswerDataset, encodeCommandSet } from '../src/dicom/answer-dataset.js';
import { describeQuery } from '../src/model/describe.js';
import { AnswerEncoder } from '../src/model/answer-encoding.js';
import { WorklistStore } from '../src/store/worklist-store.js';
import { streamWorklistAnswers } from '../src/worklist/find.js';
import { QueryRecorder } from '../src/worklist/query-recorder.js';
import { createLogger } from '../src/log.js';
import { PrometheusMetrics } from '../src/app/prometheus.js';
import { EXPLICIT_LE, cFind, dataset } from '../test/helpers/dicom-wire.js';
import { seededRandom } from '../test/helpers/random.js';
import { patientIdQuery } from './latency.js';
import { syntheticOrders } from './orders.js';

const { values } = parseArgs({
  options: { db: { type: 'string' }, queries: { type: 'string', default: '2000' }, warmup: { type: 'string', default: '12000' } },
});
if (!values.db) throw new Error('--db is needed (a preloaded store, e.g. /tmp/mwl-ingest-preload-100000.db)');
const count = Number(values.queries);
const dir = mkdtempSync(join(tmpdir(), 'mwl-query-steps-'));
const dbPath = join(dir, 'worklist.db');
copyFileSync(values.db, dbPath);
const store = WorklistStore.open(dbPath);
const items = store.items.countByStatus();
const n = Object.values(items).reduce((a, b) => a + b, 0);
const patients = syntheticOrders(n, 1).map((o) => o.patientId);
const random = seededRandom(7);
const warmup = Number(values.warmup);
const requests = Array.from({ length: warmup + count }, (_, i) => ({
  command: cFind(i + 1),
  identifier: dataset(patientIdQuery(patients[Math.floor(random() * patients.length)]!)),
}));

checkReceivedDatasets();
const logger = createLogger({ level: 'warn' });
const recorder = new QueryRecorder(store.queries, logger);
const metrics = new PrometheusMetrics({
  associationsOpen: () => 0,
  mllpConnectionsOpen: () => 0,
  itemsByStatus: () => ({}),
  mirrorBacklog: () => undefined,
});

const totals = new Map<string, number>();
function step<T>(name: string, fn: () => T): T {
  const before = process.cpuUsage();
  const result = fn();
  const used = process.cpuUsage(before);
  totals.set(name, (totals.get(name) ?? 0) + used.user + used.system);
  return result;
}

let answers = 0;
for (const [i, request] of requests.entries()) {
  // The first ones warm up: JIT, caches, and Node's check for deprecated Buffer() calls, which
  // captures a stack trace for each of the first 10,000 (dcmjs-dimse's memorystream makes them).
  if (i === warmup) {
    totals.clear();
    answers = 0;
  }
  const started = performance.now();
  const { command, identifierDataset } = step('read request (dcmjs-dimse)', () => {
    // As dcmjs-dimse's Network does: the command set read into a request, then the identifier.
    const read = Object.assign(new dimse.requests.CFindRequest(), { commandDataset: new dimse.Dataset(request.command, '1.2.840.10008.1.2') });
    return { command: read, identifierDataset: new dimse.Dataset(request.identifier, EXPLICIT_LE) };
  });
  const identifier = step('identifier to DICOM JSON, keys, bounds', () => {
    // As find-service.ts: the shim's own reading when it made one, else dcmjs's.
    const id = plainIdentifierOf(identifierDataset) ?? identifierFromNaturalized(identifierDataset.getElements());
    describeQuery(id);
    identifierProblem(id);
    return id;
  });
  const found = step('candidates (SQL, parse, match)', () => {
    const stream = streamWorklistAnswers(store, identifier, { personNameCaseInsensitive: false });
    const all = [];
    while (!stream.done) all.push(...stream.nextItems(128));
    return { stream, all };
  });
  answers += found.all.length;
  step('answers, first time (encode)', () => {
    const encoder = new AnswerEncoder(identifier, found.stream.matchOptions, { transferSyntaxUid: EXPLICIT_LE });
    for (const item of found.all) encoder.encode(item);
  });
  step('answers, again (cached encodings)', () => {
    const encoder = new AnswerEncoder(identifier, found.stream.matchOptions, { transferSyntaxUid: EXPLICIT_LE });
    for (const item of found.all) encoder.encode(item);
  });
  step('response command sets', () => {
    const pending = CFindResponse.fromRequest(command);
    pending.setAffectedSopClassUid('1.2.840.10008.5.1.4.31');
    pending.setStatus(Status.Pending);
    pending.setDataset(new AnswerDataset({}, EXPLICIT_LE));
    encodeCommandSet(pending.getCommandDataset());
    const final = CFindResponse.fromRequest(command);
    final.setAffectedSopClassUid('1.2.840.10008.5.1.4.31');
    final.setStatus(Status.Success);
    encodeCommandSet(final.getCommandDataset());
  });
  step('query log record (+ its batch write every 100)', () => {
    recorder.record({
      at: new Date().toISOString(),
      kind: 'find',
      remote: '127.0.0.1:1234',
      callingAeTitle: 'BENCH',
      calledAeTitle: 'MWL_BRIDGE',
      identifier,
      keys: describeQuery(identifier),
      outcome: 'complete',
      status: 'success',
      answers: found.all.length,
      durationMs: Math.round(performance.now() - started),
      error: null,
      replaced: [],
      aeSetting: null,
    });
    if (i % 100 === 99) recorder.flush();
  });
  step('metrics', () => {
    metrics.searchAnswered('dimse', 'BENCH', (performance.now() - started) / 1000, found.all.length);
  });
}
recorder.close();
store.close();
rmSync(dir, { recursive: true, force: true });

console.log(`${count} selective queries over ${n} items, ${(answers / count).toFixed(2)} answers each; CPU per query:`);
let sum = 0;
for (const [name, us] of totals) {
  if (!name.includes('again')) sum += us;
  console.log(`  ${name.padEnd(48)} ${(us / count).toFixed(1).padStart(7)} us`);
}
console.log(`  ${'total (answers encoded once)'.padEnd(48)} ${(sum / count).toFixed(1).padStart(7)} us`);
