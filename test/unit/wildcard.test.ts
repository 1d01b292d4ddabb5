import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { wildcardMatch } from '../../src/model/wildcard.js';
import { matchValue } from '../../src/model/match.js';
import { seededRandom } from '../helpers/random.js';

/** The obvious definition, by a regular expression: right, but exponential on adversarial patterns. */
function reference(pattern: string, value: string, caseless: boolean): boolean {
  const body = Array.from(pattern)
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, caseless ? 'isu' : 'su').test(value);
}

describe('wildcardMatch (PS3.4 C.2.2.2.4)', () => {
  it('agrees with the regular-expression definition on random short patterns and values', () => {
    const random = seededRandom(4);
    const alphabet = ['A', 'B', 'a', 'Ü', '😀', '*', '?'];
    const pick = (n: number, chars: string[]) => Array.from({ length: n }, () => chars[Math.floor(random() * chars.length)]).join('');
    for (let i = 0; i < 20000; i++) {
      const pattern = pick(Math.floor(random() * 7), alphabet);
      const value = pick(Math.floor(random() * 8), alphabet.slice(0, 5));
      const caseless = random() < 0.5;
      assert.equal(wildcardMatch(pattern, value, caseless), reference(pattern, value, caseless), `${pattern} ~ ${value} (${caseless})`);
    }
  });

  it('matches "?" to one character, also outside the BMP', () => {
    assert.ok(wildcardMatch('?', '😀', false));
    assert.ok(!wildcardMatch('??', '😀', false));
    assert.ok(wildcardMatch('M?LLER*', 'MÜLLER^HANS', false));
    assert.ok(wildcardMatch('müller*', 'MÜLLER^HANS', true));
  });

  it('takes under 10 ms for adversarial patterns over 64-character values', () => {
    const value = 'A'.repeat(64);
    const patterns = [
      '*A*A*A*A*A*A*B',
      '*A*A*A*A*A*A*A*A*A*A*A*A*A*A*A*A*B',
      `${'*A'.repeat(32)}*B`,
      `${'*?'.repeat(32)}*B`,
      `*${'A'.repeat(30)}*${'A'.repeat(30)}*B`,
      `${'?'.repeat(63)}*B`,
      `*${'A?'.repeat(31)}B`,
    ];
    // Best of five runs: a pause of the machine is not the matcher's time; backtracking would be slow every time.
    const bestOf = (fn: () => void): number => {
      let best = Infinity;
      for (let run = 0; run < 5; run++) {
        const started = performance.now();
        fn();
        best = Math.min(best, performance.now() - started);
      }
      return best;
    };
    for (const pattern of patterns) {
      for (const caseless of [false, true]) {
        const ms = bestOf(() => {
          assert.equal(wildcardMatch(pattern, value, caseless), false);
        });
        assert.ok(ms < 10, `${pattern}: ${ms.toFixed(2)} ms`);
      }
    }
    // The same through the matcher a query uses.
    assert.ok(
      bestOf(() => {
        assert.equal(matchValue(value, `${'*A'.repeat(32)}*B`, 'PN', { personNameCaseInsensitive: true }), false);
      }) < 10,
    );
  });

  it('trims and splits long values in linear time (no quadratic regular expressions)', () => {
    // 200,000 spaces then a letter: /[ \0]+$/ would take quadratic time here.
    const spaced = ' '.repeat(200000) + 'X';
    const started = performance.now();
    assert.equal(matchValue(spaced, 'X', 'LO', { personNameCaseInsensitive: false }), false);
    // Dashes that each look like a UTC offset: finding the range dash must not rescan the rest per dash.
    assert.equal(matchValue('20261203', '20261203' + '-0000'.repeat(40000), 'DT', { personNameCaseInsensitive: false }), false);
    assert.ok(performance.now() - started < 500, `${(performance.now() - started).toFixed(0)} ms`);
  });
});
