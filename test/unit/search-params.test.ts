/** DICOMweb search parameters -> the C-FIND identifier (src/http/search-params.ts). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_PARAMETERS, parseSearchParameters, SearchParameterError } from '../../src/http/search-params.js';

describe('DICOMweb search parameters', () => {
  it('makes match parameters matching keys, by keyword, tag or sequence path', () => {
    const { identifier } = parseSearchParameters({ PatientID: 'P1', '00100010': 'DOE*', 'ScheduledProcedureStepSequence.Modality': 'CT' });
    assert.deepEqual(identifier['00100020'], { vr: 'LO', Value: ['P1'] });
    assert.deepEqual(identifier['00100010'], { vr: 'PN', Value: [{ Alphabetic: 'DOE*' }] });
    const step = identifier['00400100']?.Value?.[0] as Record<string, unknown>;
    assert.deepEqual(step['00080060'], { vr: 'CS', Value: ['CT'] });
    assert.deepEqual(step['00400001'], { vr: 'AE' }, 'default return keys share the one sequence item');
  });

  it('reads UID lists with commas or backslashes, other values with backslashes', () => {
    const { identifier } = parseSearchParameters({ StudyInstanceUID: '1.2,1.3\\1.4', AccessionNumber: 'A\\B' });
    assert.deepEqual(identifier['0020000D']?.Value, ['1.2', '1.3', '1.4']);
    assert.deepEqual(identifier['00080050']?.Value, ['A', 'B']);
  });

  it('adds includefield keys as return keys without replacing a matching key', () => {
    const { identifier, includeAll } = parseSearchParameters({ PatientID: 'P1', includefield: ['PatientID,PatientAge', '00400100.00400008.00080100'] });
    assert.deepEqual(identifier['00100020'], { vr: 'LO', Value: ['P1'] });
    assert.deepEqual(identifier['00101010'], { vr: 'AS' });
    assert.equal(includeAll, false);
    assert.equal(parseSearchParameters({ includefield: 'all' }).includeAll, true);
  });

  it('reads offset, limit and fuzzymatching', () => {
    assert.deepEqual(
      (({ offset, limit, fuzzymatching }) => ({ offset, limit, fuzzymatching }))(parseSearchParameters({ offset: '10', limit: '5', fuzzymatching: 'true' })),
      { offset: 10, limit: 5, fuzzymatching: true },
    );
  });

  it('refuses what it cannot read, saying why', () => {
    const cases: Array<[Record<string, string | string[]>, RegExp]> = [
      [{ Nope: '1' }, /neither a DICOM keyword nor a tag/],
      [{ '0010002': '1' }, /neither a DICOM keyword nor a tag/],
      [{ 'PatientID.PatientName': '1' }, /not a sequence/],
      [{ ScheduledProcedureStepSequence: 'CT' }, /sequence takes no value/],
      [{ PatientID: ['1', '2'] }, /more than once/],
      [{ limit: '0' }, /outside/],
      [{ offset: '1e3' }, /not a non-negative integer/],
      [{ fuzzymatching: 'yes' }, /neither true nor false/],
      [{ PatientID: 'x'.repeat(1025) }, /at most 1024/],
      [{ includefield: Array.from({ length: MAX_PARAMETERS + 1 }, () => 'PatientID') }, /query parameters/],
      [{ 'A.B.C.D.E': '1' }, /deeper than/],
      // Names of Object.prototype's members are no keywords (the dictionary is a plain object).
      [{ constructor: '1' }, /neither a DICOM keyword nor a tag/],
      [{ includefield: 'toString' }, /neither a DICOM keyword nor a tag/],
      [{ 'hasOwnProperty.PatientID': '1' }, /neither a DICOM keyword nor a tag/],
    ];
    for (const [query, why] of cases)
      assert.throws(
        () => parseSearchParameters(query),
        (err: unknown) => err instanceof SearchParameterError && why.test(err.message),
      );
  });

  it('accepts private attributes (ignored by matching, as in a C-FIND) and ignores the character set', () => {
    const { identifier } = parseSearchParameters({ '80011001': 'X', SpecificCharacterSet: 'ISO_IR 100' });
    assert.deepEqual(identifier['80011001'], { vr: 'UN', Value: ['X'] });
    assert.equal(identifier['00080005'], undefined);
  });
});
