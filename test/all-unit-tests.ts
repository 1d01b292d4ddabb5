/**
 * Every unit test file (test/unit/*.test.ts) in one process, as `npm test` runs them: each file
 * run on its own costs a Node process with the TypeScript loader (about 1 s of CPU on this
 * 2-core machine, for tests that take milliseconds). `npm run test:unit` still runs them one by one.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const unitDir = join(import.meta.dirname, 'unit');
for (const file of readdirSync(unitDir)
  .filter((f) => f.endsWith('.test.ts'))
  .sort()) {
  await import(join(unitDir, file));
}
