/**
 * Every unit test file (test/unit/*.test.ts) in one process, as `npm test` runs them: each file
 * run on its own costs a Node process (for tests that take milliseconds). `npm run test:unit`
 * still runs them one by one. The files are listed from test/unit, so that `npm test`, which runs
 * the compiled copy in build/test, never runs the leftover copy of a test file since removed; each
 * is imported beside this module, with its extension (.ts under tsx, .js compiled).
 */
import { readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectDir } from './helpers/project-dir.js';

const extension = extname(fileURLToPath(import.meta.url));
for (const file of readdirSync(join(projectDir, 'test', 'unit'))
  .filter((f) => f.endsWith('.test.ts'))
  .sort()) {
  await import(join(import.meta.dirname, 'unit', file.replace(/\.ts$/, extension)));
}
