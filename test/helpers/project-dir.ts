/**
 * The project's folder (package.json, dist/, mappings/, samples/, test/fixtures/), the same from
 * test/ run through tsx and from the compiled copy in build/test/ that `npm test` runs: the
 * bridge's own lookup of its installation.
 */
export { installDir as projectDir } from '../../src/install-dir.js';
