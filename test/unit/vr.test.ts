/**
 * One validator by VR (issue 16, finding 2): every value is checked against the rules of its DICOM
 * VR, taken from the dictionary, before an item is stored.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkValue, validateItem } from '../../src/model/vr.js';

const ok = (vr: string, ...values: string[]): void => {
  for (const v of values) assert.equal(checkValue(vr, v), undefined, `${vr} ${JSON.stringify(v)} is valid`);
};
const bad = (vr: string, rule: RegExp, ...values: string[]): void => {
  for (const v of values) assert.match(checkValue(vr, v) ?? 'accepted', rule, `${vr} ${JSON.stringify(v)}`);
};

describe('checkValue', () => {
  it('DA: YYYYMMDD with month 01-12 and day 01-31 (as DCMTK checks: 17320431 is in its own example worklists)', () => {
    ok('DA', '20261123', '20240229', '19000101', '17320431');
    bad('DA', /DA is YYYYMMDD/, '2013-08-', '02282020_150014', '2026112', '202611231', '2013-08-24', '20261301', '20261100', '20261132', '20260001');
  });

  it('TM: HH[MM[SS[.FFFFFF]]] within range', () => {
    ok('TM', '14', '1430', '143000', '143000.5', '235960.123456');
    bad('TM', /TM (is|has)/, '24', '1460', '14:30', '143000.1234567', '2013-08-24 17:00');
  });

  it('DT: YYYY[MM[DD[HH[MM[SS[.F]]]]]][&ZZXX] within range', () => {
    ok('DT', '2026', '20261123', '20261123143000.5+0100', '202611231430-0500');
    bad('DT', /DT/, '2026-11-23', '20261323', '2026113214', '20261132', '20261123143000+1500');
  });

  it('lengths are counted in characters per VR (SH 16, LO 64, CS 16, AE 16, LT 10240)', () => {
    ok('SH', 'A'.repeat(16), 'Ü'.repeat(16));
    bad('SH', /SH max 16 characters \(got 17\)/, 'A'.repeat(17));
    bad('LO', /LO max 64/, 'x'.repeat(65));
    bad('CS', /CS max 16/, 'A'.repeat(17));
    ok('LT', 'x'.repeat(10240));
    bad('LT', /LT max 10240/, 'x'.repeat(10241));
  });

  it('control characters: none in PN, LO, SH, CS, AE; LT, ST, UT allow TAB, LF, FF, CR and ESC only', () => {
    for (const vr of ['PN', 'LO', 'SH', 'CS', 'AE']) {
      for (const ch of ['\r', '\n', '\t', '\x1b', '\x00', '\x07', '\x7f', '\u0085', '\u0087']) bad(vr, /allows no control character U\+/, `A${ch}B`);
    }
    for (const vr of ['LT', 'ST', 'UT']) {
      ok(vr, 'line one\r\nline two\tand\fmore\x1b');
      bad(vr, /allows no control character U\+0007/, 'bell\x07');
      bad(vr, /allows no control character U\+0087/, 'GONÃ\u0087ALVES');
    }
  });

  it('CS: upper-case letters, digits, space and underscore', () => {
    ok('CS', 'MR', 'ISO_IR 100', 'SCHEDULED');
    bad('CS', /CS allows only/, 'mr', 'M-R', 'MR.');
  });

  it('UI: digits in dot-separated components without leading zeros, at most 64', () => {
    ok('UI', '1.2.840.10008.5.1.4.31', '2.25.0', '0.1');
    bad('UI', /UI is digits and dots/, '1.2.03', '1..2', '1.2.', 'a.b', '1.2 3');
    bad('UI', /UI max 64/, '1.' + '2'.repeat(63));
  });

  it('PN: at most three groups of five components, 64 characters per group, no backslash', () => {
    ok('PN', 'DOE^JOHN^M^DR^JR', 'DOE^JOHN=山田^太郎=やまだ^たろう');
    bad('PN', /at most 5 components/, 'A^B^C^D^E^F');
    bad('PN', /at most 3 component groups/, 'A=B=C=D');
    bad('PN', /PN max 64 characters per component group/, 'X'.repeat(65));
    bad('PN', /no backslash/, 'A\\B');
  });

  it('IS, DS, AS, AE syntax', () => {
    ok('IS', '42', '-7', ' 12 ');
    bad('IS', /IS is/, '4.2', '99999999999');
    ok('DS', '72.5', '-1.2E3', '.5');
    bad('DS', /DS is/, '7,5', 'abc');
    ok('AS', '045Y');
    bad('AS', /AS is/, '45Y');
    ok('AE', 'CT_1', '../x');
    bad('AE', /AE is/, '   ');
  });
});

describe('validateItem', () => {
  it('checks nested sequence items by the dictionary VR of each tag, and names the attribute path', () => {
    const problems = validateItem({
      '00100010': { vr: 'PN', Value: [{ Alphabetic: 'DOE\r\nJOHN' }] },
      '00400100': { vr: 'SQ', Value: [{ '00400002': { vr: 'DA', Value: ['2013-08-'] }, '00080060': { vr: 'CS', Value: ['MR'] } }] },
      // The dictionary says DA, whatever the element claims.
      '00100030': { vr: 'LO', Value: ['not a date'] },
    });
    assert.deepEqual(
      problems.map((p) => [p.attribute, p.vr, p.value]),
      [
        ['PatientName', 'PN', 'DOE\r\nJOHN'],
        ['ScheduledProcedureStepSequence[1].ScheduledProcedureStepStartDate', 'DA', '2013-08-'],
        ['PatientBirthDate', 'DA', 'not a date'],
      ],
    );
  });

  it('refuses several values where the dictionary allows one', () => {
    const [problem] = validateItem({ '00100020': { vr: 'LO', Value: ['A', 'B'] } });
    assert.match(problem!.rule, /LO takes one value here \(got 2\)/);
  });
});
