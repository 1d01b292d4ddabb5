// @ts-check
/**
 * `npm test`'s runner: node:test's run() over every compiled integration file
 * (test/integration/*.test.ts) and the unit tests' bundle, three files at a time, in an order of
 * its own. The files that keep both cores busy by themselves (Chromium, the fuzzers, the giant frames,
 * the 184-case comparison) are spread through the list, each followed by its share of the others:
 * side by side they slowed each other down (the two Chromium files took 35 and 29 s together, 16
 * and 13 s alone, with nothing else running meanwhile). `node --test FILES` sorts its files by
 * name, so the order needs run().
 *
 * The report is node's spec reporter on a terminal, TAP otherwise (as `node --test`); the exit code
 * is 1 when a test failed.
 *
 * Usage: node test/helpers/run-tests.js [--list]
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { Readable, pipeline } from 'node:stream';
import { run } from 'node:test';
import { spec, tap } from 'node:test/reporters';
import { fileURLToPath } from 'node:url';

const projectDir = join(fileURLToPath(import.meta.url), '..', '..', '..');

/** The CPU-heavy files, in the order they start; each is followed by an equal share of the rest. */
const HEAVY = ['console-browser-edit', 'mirror', 'http-dicomweb', 'console-browser', 'dicom-fuzz', 'mllp-hostile'];
/** The other files of 5 s or more alone (timeouts, restarts, kill -9): early, so that the short ones fill the end. */
const LONG = ['store-ownership', 'scp-hostile', 'query-log-explain', 'scp-e2e', 'durability', 'bridge-e2e', 'audit', 'lifecycle-e2e', 'mllp-event-loop'];

/**
 * Files at a time. Three: most files spend much of their time waiting (timeouts, restarts, peers
 * starting), and with the heavy ones spread, a third file fills those waits (measured, full runs on
 * this 2-core machine: 2 at a time 142 s, 3 at a time 124-128 s, 4 at a time 124 s).
 */
const CONCURRENCY = 3;

function testFiles() {
  const names = readdirSync(join(projectDir, 'test', 'integration'))
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => f.slice(0, -'.test.ts'.length))
    .sort();
  /** @param {string} name */
  const compiled = (name) => join(projectDir, 'build', 'test', 'integration', `${name}.test.js`);
  const heavy = HEAVY.filter((name) => names.includes(name));
  const rest = names.filter((name) => !heavy.includes(name));
  const light = [
    join(projectDir, 'build', 'test', 'all-unit-tests.js'),
    ...[...LONG.filter((name) => rest.includes(name)), ...rest.filter((name) => !LONG.includes(name))].map(compiled),
  ];
  const share = Math.ceil(light.length / heavy.length);
  return [...heavy.flatMap((name, i) => [compiled(name), ...light.slice(i * share, (i + 1) * share)]), ...light.slice(heavy.length * share)];
}

const files = testFiles();
if (process.argv.includes('--list')) {
  process.stdout.write(`${files.join('\n')}\n`);
} else {
  const stream = run({ files, concurrency: CONCURRENCY });
  stream.on('test:fail', () => {
    process.exitCode = 1;
  });
  const done = (/** @type {Error | null} */ err) => {
    if (err) throw err;
  };
  if (process.stdout.isTTY) pipeline(stream, new spec(), process.stdout, done);
  // tap() takes the stream's events as an async iterable (which a TestsStream is; its types say generator).
  else pipeline(Readable.from(tap(/** @type {Parameters<typeof tap>[0]} */ (/** @type {unknown} */ (stream)))), process.stdout, done);
}
