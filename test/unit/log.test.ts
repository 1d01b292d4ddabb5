/**
 * Text logs never carry a raw control character (issue 16, finding 12): a value from the network
 * could otherwise forge log lines (CR/LF), drive the terminal (ESC) or reverse text (U+202E).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../src/log.js';

const CONTROL = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

function lines(format: 'text' | 'json', value: string): string[] {
  const out: string[] = [];
  createLogger({ format, write: (l) => out.push(l) }).warn('hl7.message_rejected', { reason: value, control_id: value });
  return out;
}

describe('log escaping', () => {
  // Every C0 control, DEL, every C1 control, and the Unicode separators and bidi overrides.
  const controls = [
    ...Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)),
    ...Array.from({ length: 0x21 }, (_, i) => String.fromCharCode(0x7f + i)),
    '\u2028',
    '\u2029',
    '\u202e',
    '\u2066',
  ];

  for (const format of ['text', 'json'] as const) {
    it(`${format}: no raw control character reaches a line, and the value can be read back`, () => {
      for (const ch of controls) {
        const value = `A${ch}B`;
        const [line] = lines(format, value);
        assert.ok(line !== undefined && !CONTROL.test(line), `U+${ch.charCodeAt(0).toString(16)} escaped in ${format} log`);
        if (format === 'json') assert.equal((JSON.parse(line) as { reason: string }).reason, value);
        else assert.match(line, /reason="A\\u00[0-9a-f]{2}B"|reason="A\\[rnt]B"|reason="A\\u20[0-9a-f]{2}B"|reason="A\\[bf]B"/);
      }
    });
  }

  it('leaves plain values unquoted', () => {
    assert.match(lines('text', 'ORM^O01')[0]!, / reason=ORM\^O01 control_id=ORM\^O01$/);
  });
});
