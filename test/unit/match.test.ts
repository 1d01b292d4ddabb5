import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { matchWorklistQuery } from '../../src/model/match.js';
import type { DicomJson } from '../../src/model/item.js';

const pn = (s: string) => ({ vr: 'PN', Value: [{ Alphabetic: s }] });
const item: DicomJson = {
  '00100010': pn('Müller^Hans'),
  '00100020': { vr: 'LO', Value: ['PAT1'] },
  '00080050': { vr: 'SH', Value: ['ACC1'] },
  '0020000D': { vr: 'UI', Value: ['1.2.3.4'] },
  '00400100': {
    vr: 'SQ',
    Value: [
      {
        '00080060': { vr: 'CS', Value: ['MR'] },
        '00400001': { vr: 'AE', Value: ['AA32', 'AA33'] },
        '00400002': { vr: 'DA', Value: ['20261123'] },
        '00400003': { vr: 'TM', Value: ['143000'] },
        '00400008': { vr: 'SQ', Value: [{ '00080100': { vr: 'SH', Value: ['PROT1'] } }] },
      },
    ],
  },
};
const sps = (keys: DicomJson): DicomJson => ({ '00400100': { vr: 'SQ', Value: [keys] } });
const matches = (identifier: DicomJson, caseless = true): boolean => matchWorklistQuery(item, { identifier, personNameCaseInsensitive: caseless });

describe('matchWorklistQuery (PS3.4 C.2.2.2)', () => {
  it('single value matching, exact and with trailing padding ignored', () => {
    assert.ok(matches({ '00100020': { vr: 'LO', Value: ['PAT1'] } }));
    assert.ok(matches({ '00100020': { vr: 'LO', Value: ['PAT1 '] } }));
    assert.ok(!matches({ '00100020': { vr: 'LO', Value: ['PAT'] } }));
    assert.ok(!matches({ '00100020': { vr: 'LO', Value: ['pat1'] } }), 'LO is case-sensitive');
  });

  it('universal matching: empty value, "*" and absent attributes', () => {
    assert.ok(matches({ '00100020': { vr: 'LO' }, '00100030': { vr: 'DA' } }));
    assert.ok(matches({ '00100030': { vr: 'DA', Value: ['*'] } }));
    assert.ok(!matches({ '00100030': { vr: 'DA', Value: ['19700101'] } }), 'a value never matches an absent attribute');
  });

  it('wildcards * and ?, person names case-insensitive by default', () => {
    assert.ok(matches({ '00100010': pn('MÜLL*') }));
    assert.ok(matches({ '00100010': pn('m?ller^*') }));
    assert.ok(!matches({ '00100010': pn('m?ller^*') }, false), 'case-sensitive when configured');
    assert.ok(matches({ '00080050': { vr: 'SH', Value: ['A*1'] } }));
    assert.ok(!matches({ '00080050': { vr: 'SH', Value: ['A?'] } }));
    assert.ok(matches({ '00080050': { vr: 'SH', Value: ['A.C1'.replace('.', '?')] } }));
    assert.ok(!matches({ '00080050': { vr: 'SH', Value: ['A.*'] } }), 'regex characters are literal');
  });

  it('date and time ranges, open at either end', () => {
    const date = (v: string) => sps({ '00400002': { vr: 'DA', Value: [v] } });
    assert.ok(matches(date('20261123')));
    assert.ok(matches(date('20261101-20261130')));
    assert.ok(matches(date('20261123-')));
    assert.ok(matches(date('-20261123')));
    assert.ok(!matches(date('20261124-')));
    assert.ok(!matches(date('-20261122')));
    const time = (v: string) => sps({ '00400003': { vr: 'TM', Value: [v] } });
    assert.ok(matches(time('1400-1500')));
    assert.ok(matches(time('14-14')), 'an hour-only upper bound covers the whole hour');
    assert.ok(!matches(time('150000-')));
    assert.ok(matches(time('143000')));
  });

  it('combined date-time range over SPS start date and time', () => {
    const q = (d: string, t: string) => sps({ '00400002': { vr: 'DA', Value: [d] }, '00400003': { vr: 'TM', Value: [t] } });
    // From 22 Nov 18:00 to 23 Nov 15:00: 23 Nov 14:30 is inside although 1430 < 1800.
    assert.ok(matches(q('20261122-20261123', '1800-1500')));
    assert.ok(!matches(q('20261122-20261123', '1800-1400')));
    assert.ok(!matches(q('20261123-20261124', '1500-0800')));
  });

  it('UID list matching', () => {
    assert.ok(matches({ '0020000D': { vr: 'UI', Value: ['9.9', '1.2.3.4'] } }));
    assert.ok(!matches({ '0020000D': { vr: 'UI', Value: ['1.2.3'] } }));
  });

  it('sequence matching: all keys of the query item in one sequence item; multi-valued attributes', () => {
    assert.ok(matches(sps({ '00080060': { vr: 'CS', Value: ['MR'] }, '00400001': { vr: 'AE', Value: ['AA33'] } })));
    assert.ok(!matches(sps({ '00400001': { vr: 'AE', Value: ['AA3'] } })), 'AA3 must not substring-match AA32');
    assert.ok(!matches(sps({ '00080060': { vr: 'CS', Value: ['CT'] } })));
    assert.ok(matches(sps({})), 'an empty query item is universal');
    assert.ok(matches({ '00400100': { vr: 'SQ', Value: [] } }));
    assert.ok(matches(sps({ '00400008': { vr: 'SQ', Value: [{ '00080100': { vr: 'SH', Value: ['PROT1'] } }] } })));
    assert.ok(!matches(sps({ '00400008': { vr: 'SQ', Value: [{ '00080100': { vr: 'SH', Value: ['PROT2'] } }] } })));
  });

  it('ignores Specific Character Set, private tags and binary numeric return keys', () => {
    assert.ok(matches({ '00080005': { vr: 'CS', Value: ['ISO_IR 192'] }, '80011001': { vr: 'LO', Value: ['X'] }, '001021C0': { vr: 'US', Value: [0] } }));
  });
});
