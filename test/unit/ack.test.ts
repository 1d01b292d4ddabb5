import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildAck, escapeHl7 } from '../../src/hl7/ack.js';
import { Hl7Condition as Hl7ErrorCondition } from '../../src/model/hl7-error.js';

const source = {
  sendingApplication: 'RIS',
  sendingFacility: 'RAD',
  receivingApplication: 'MWL',
  receivingFacility: 'HOSP',
  controlId: 'C42',
  triggerEvent: 'O01',
  processingId: 'P',
  version: '2.3.1',
};
const now = new Date(2026, 10, 23, 9, 30, 0);

describe('buildAck', () => {
  it('swaps sender and receiver and echoes the control id', () => {
    const [msh, msa, extra] = buildAck(source, 'AA', undefined, { bridgeApplication: 'X', now }).split('\r');
    const f = msh!.split('|');
    assert.deepEqual([f[2], f[3], f[4], f[5], f[6], f[8], f[10], f[11]], ['MWL', 'HOSP', 'RIS', 'RAD', '20261123093000', 'ACK^O01^ACK', 'P', '2.3.1']);
    assert.match(f[9]!, /^A\d+$/);
    assert.equal(msa, 'MSA|AA|C42');
    assert.equal(extra, '');
  });

  it('gives each ACK its own control id', () => {
    const id = (): string => buildAck(source, 'AA', undefined, { bridgeApplication: 'X', now }).split('\r')[0]!.split('|')[9]!;
    assert.notEqual(id(), id());
  });

  it('writes ERR-1 for v2.3.1 receivers and ERR-2/3/4/8 for v2.5+', () => {
    const error = {
      condition: Hl7ErrorCondition.requiredFieldMissing,
      location: 'PID-3.1',
      message: 'PatientID | missing',
      detail: 'CODE at PID-3.1: PatientID | missing',
    };
    const old = buildAck(source, 'AE', error, { bridgeApplication: 'X', now }).split('\r');
    assert.equal(old[1], 'MSA|AE|C42|PatientID \\F\\ missing');
    assert.equal(old[2], 'ERR|PID^1^3^101&Required field missing&HL70357');
    const v25 = buildAck({ ...source, version: '2.5.1' }, 'AE', error, { bridgeApplication: 'X', now }).split('\r');
    assert.equal(v25[2], 'ERR||PID^1^3^1^1|101^Required field missing^HL70357|E||||CODE at PID-3.1: PatientID \\F\\ missing');
  });

  it('uses the bridge name when the message left MSH-5 empty', () => {
    const msh = buildAck({ ...source, receivingApplication: '' }, 'AA', undefined, { bridgeApplication: 'MWL_BRIDGE', now }).split('|');
    assert.equal(msh[2], 'MWL_BRIDGE');
  });

  it('escapes delimiters in text', () => {
    assert.equal(escapeHl7('a|b^c~d\\e&f'), 'a\\F\\b\\S\\c\\R\\d\\E\\e\\T\\f');
  });

  it('escapes every control character, so no ACK field carries a raw VT, FS or CR (issue 16, finding 4)', () => {
    const hostile = `C\x0b4\x1c\r\n\x1b\x00\x7f\u0085`;
    const ack = buildAck(
      { ...source, controlId: hostile, sendingApplication: hostile, triggerEvent: '\x0b' },
      'AR',
      { condition: Hl7ErrorCondition.segmentSequenceError, message: hostile },
      { bridgeApplication: 'X', now },
    );
    const segments = ack.split('\r').filter(Boolean);
    assert.equal(segments.length, 3, 'MSH, MSA, ERR and nothing else');
    // Any C0 or C1 control or DEL but CR (the segment separator).
    assert.ok(!/(?!\r)\p{Cc}/u.test(ack), JSON.stringify(ack));
    assert.equal(segments[1], 'MSA|AR|C\\X0B\\4\\X1C\\\\X0D\\\\X0A\\\\X1B\\\\X00\\\\X7F\\\\X85\\|C\\X0B\\4\\X1C\\\\X0D\\\\X0A\\\\X1B\\\\X00\\\\X7F\\\\X85\\');
  });

  it('never cuts an escape sequence when shortening MSA-3', () => {
    const msa = buildAck(source, 'AE', { condition: Hl7ErrorCondition.dataTypeError, message: 'x'.repeat(78) + '|||' }, { bridgeApplication: 'X', now }).split(
      '\r',
    )[1]!;
    assert.match(msa, /^MSA\|AE\|C42\|x{78}\\F\\\\F\\$/);
  });
});
