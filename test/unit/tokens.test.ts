/** The tokens file: lines with and without an AE title, written by addToken and read back by readTokens. */
import { describe, it } from '../helpers/suites.js';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addToken, readTokens, tokenHash } from '../../src/app/tokens.js';
import { tempDir } from '../helpers/peers.js';

describe('tokens file', () => {
  it('keeps the AE title a token searches as, spaces inside it included', () => {
    const file = join(tempDir(), 'tokens');
    const plain = addToken(file, 'monitor', 'read');
    const ct = addToken(file, 'ct', 'write', 'CT ROOM 1');
    assert.match(readFileSync(file, 'utf8'), /^ct write sha256:[0-9a-f]{64} ae=CT ROOM 1$/m);
    const tokens = readTokens(file);
    assert.deepEqual(tokens.get(tokenHash(plain)), { name: 'monitor', role: 'read' });
    assert.deepEqual(tokens.get(tokenHash(ct)), { name: 'ct', role: 'write', aeTitle: 'CT ROOM 1' });
  });

  it('refuses what is not an AE title, when adding and when reading', () => {
    const file = join(tempDir(), 'tokens');
    assert.throws(() => addToken(file, 'x', 'read', 'A\\B'), /not an AE title/);
    assert.throws(() => addToken(file, 'x', 'read', 'SEVENTEEN_CHARS_X'), /not an AE title/);
    writeFileSync(file, `bad read sha256:${'0'.repeat(64)} ae=${'X'.repeat(17)}\n`);
    assert.throws(() => readTokens(file), /line 1: "X{17}" is not an AE title/);
  });
});
