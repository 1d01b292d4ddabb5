import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { encodeElementWithDcmjs } from '../../src/model/encoding.js';
import type { DicomJsonElement } from '../../src/model/item.js';
import { encodeTextElement } from '../../src/model/text-element.js';

const EXPLICIT = '1.2.840.10008.1.2.1';
const IMPLICIT = '1.2.840.10008.1.2';
const BIG_ENDIAN = '1.2.840.10008.1.2.2';

const el = (vr: string, ...Value: unknown[]): DicomJsonElement => ({ vr, Value }) as DicomJsonElement;

/** Elements the writer takes, with odd and even lengths, several values, the length limits and beyond. */
const TAKEN: [string, DicomJsonElement][] = [
  ['00080060', el('CS', 'CT')],
  ['00080060', el('CS', 'MR', 'CT')],
  ['00080060', el('CS', 'ABC')],
  ['00080060', el('CS', '', 'A')],
  ['00400001', el('AE', 'CT_1')],
  ['00400001', el('AE', 'A'.repeat(16))],
  ['00101010', el('AS', '045Y')],
  ['00400002', el('DA', '20260101')],
  ['00400002', el('DA', '20260101-20260131')],
  ['00400002', el('DA', '2026010')],
  ['00400003', el('TM', '0930')],
  ['00400003', el('TM', '093000.123')],
  ['0040A120', el('DT', '20260101093000')],
  ['0020000D', el('UI', '1.2.3')],
  ['0020000D', el('UI', '1.2.3.4')],
  ['0020000D', el('UI', '1.2.826.0.1.3680043.8.498.' + '1'.repeat(37))],
  ['00100020', el('LO', 'PAT1')],
  ['00100020', el('LO', 'PAT')],
  ['00100020', el('LO', 'Kopf \u4e2d')],
  ['00100020', el('LO', 'MÜLLER')],
  ['00100020', el('LO', 'A'.repeat(64))],
  ['00100020', el('LO', 'X', 'YZ', '')],
  ['00080050', el('SH', 'ACC1')],
  ['00080050', el('SH', 'Ä')],
  ['00321060', el('LT', 'a longer text\r\nwith lines')],
  ['00324000', el('ST', 'odd')],
  ['00400400', el('UT', 'x'.repeat(70000))],
  ['00400400', el('UT', 'ü'.repeat(3))],
  ['0040A160', el('UC', 'unlimited')],
  ['00100010', el('PN', { Alphabetic: 'DOE^JOHN' })],
  ['00100010', el('PN', { Alphabetic: 'DOE^JON' })],
  ['00100010', el('PN', { Alphabetic: 'MÜLLER^ÄNNE' })],
  ['00100010', el('PN', { Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎', Phonetic: 'やまだ^たろう' })],
  ['00100010', el('PN', { Alphabetic: 'A', Ideographic: '' })],
  ['00100010', el('PN', { Ideographic: 'B' })],
  ['00100010', el('PN', {})],
  ['00100010', el('PN', 'DOE^JOHN')],
  ['00100010', el('PN', { Alphabetic: 'A^B' }, { Alphabetic: 'C^D' })],
];

/** Elements dcmjs writes (or refuses) itself: the writer must leave them. */
const LEFT: [string, DicomJsonElement][] = [
  ['00080060', el('CS', 'A'.repeat(17))],
  ['00400001', el('AE', 'É')],
  ['00400002', el('DA', '202601011')],
  ['00100020', el('LO', 'A'.repeat(65))],
  ['00100010', el('PN', { Alphabetic: 'A'.repeat(65) })],
  ['00100010', el('PN', '')],
  ['00100010', el('PN', null)],
  ['00100010', el('PN', { Alphabetic: 'A', Extra: 'B' })],
  ['00201041', el('DS', '1.5')],
  ['00201041', el('DS', 1.5)],
  ['00200013', el('IS', 3)],
  ['00280010', el('US', 512)],
  ['00400100', el('SQ', {})],
  ['00100020', el('LO', 3)],
  ['00100020', el('LO')],
  ['00321060', el('LT', 'x'.repeat(70000))],
];

describe('text elements written without dcmjs', () => {
  for (const syntax of [EXPLICIT, IMPLICIT]) {
    for (const byteStrings of [false, true]) {
      it(`are dcmjs's bytes (${syntax === EXPLICIT ? 'explicit' : 'implicit'} VR${byteStrings ? ', byte strings' : ''})`, () => {
        for (const [tag, element] of TAKEN) {
          const text = encodeTextElement(tag, element, syntax, byteStrings);
          // As byte strings, text beyond one byte a character is left to dcmjs (checked below).
          if (byteStrings && text === undefined) continue;
          assert.ok(text, `taken: ${tag} ${JSON.stringify(element).slice(0, 80)}`);
          assert.deepEqual(text, encodeElementWithDcmjs(tag, element, syntax, byteStrings), `${tag} ${JSON.stringify(element).slice(0, 80)}`);
        }
      });
    }
    it(`leaves to dcmjs what it refuses, logs or writes otherwise (${syntax === EXPLICIT ? 'explicit' : 'implicit'} VR)`, () => {
      for (const [tag, element] of LEFT)
        assert.equal(encodeTextElement(tag, element, syntax, false), undefined, `${tag} ${JSON.stringify(element).slice(0, 80)}`);
    });
  }

  it('leaves other transfer syntaxes to dcmjs', () => {
    assert.equal(encodeTextElement('00100020', el('LO', 'PAT1'), BIG_ENDIAN, false), undefined);
  });

  it('takes byte strings only when every character is one byte', () => {
    assert.equal(encodeTextElement('00100020', el('LO', 'Kopf \u4e2d'), EXPLICIT, true), undefined);
    const latin1 = el('LO', 'M\u00dcLLER');
    assert.deepEqual(encodeTextElement('00100020', latin1, EXPLICIT, true), encodeElementWithDcmjs('00100020', latin1, EXPLICIT, true));
  });
});
