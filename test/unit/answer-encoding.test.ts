import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { AnswerEncoder } from '../../src/model/answer-encoding.js';
import { encodeAnswer, encodeDataset, type CharacterSetTerm } from '../../src/model/encoding.js';
import type { DicomJson } from '../../src/model/item.js';
import { projectAnswer } from '../../src/model/project.js';
import { ParsedItems } from '../../src/store/parsed-items.js';

const EXPLICIT = '1.2.840.10008.1.2.1';
const IMPLICIT = '1.2.840.10008.1.2';
const opts = { personNameCaseInsensitive: false };

const code = (value: string): DicomJson => ({
  '00080100': { vr: 'SH', Value: [value] },
  '00080102': { vr: 'SH', Value: ['LOCAL'] },
  '00080104': { vr: 'LO', Value: [`${value} exam`] },
});
const step = (modality: string, station: string, date: string): DicomJson => ({
  '00080060': { vr: 'CS', Value: [modality] },
  '00400001': { vr: 'AE', Value: [station] },
  '00400002': { vr: 'DA', Value: [date] },
  '00400003': { vr: 'TM', Value: ['0930'] },
  '00400008': { vr: 'SQ', Value: [code(modality)] },
  '00400009': { vr: 'SH', Value: ['SPS1'] },
});
const item = (name: string, steps: DicomJson[], extra: DicomJson = {}): DicomJson => ({
  '00100010': { vr: 'PN', Value: [{ Alphabetic: name }] },
  '00100020': { vr: 'LO', Value: ['PAT1'] },
  '00100030': { vr: 'DA', Value: ['19700101'] },
  '00080050': { vr: 'SH', Value: ['ACC1'] },
  '00321064': { vr: 'SQ', Value: [code('CTHEAD')] },
  '00400100': { vr: 'SQ', Value: steps },
  ...extra,
});

const items: DicomJson[] = [
  item('DOE^JOHN', [step('CT', 'CT_1', '20260101')]),
  item('MÜLLER^ÄNNE', [step('MR', 'MR_1', '20260102'), step('CT', 'CT_2', '20260103')]),
  item('ŁUKASZ^ŻÓŁW', [step('CT', 'CT_1', '20260101')], { '00321060': { vr: 'LO', Value: ['Kopf \u4e2d'] } }),
  item('EMPTY^STEPS', []),
  { '00100010': { vr: 'PN', Value: [{ Alphabetic: 'NO^SEQUENCE' }] }, '00100020': { vr: 'LO', Value: ['P2'] }, '00080050': { vr: 'SH' } },
  item('ODD^LEN', [step('US', 'US_ODD', '20260104')], { '00101030': { vr: 'DS', Value: [72.5] }, '00201208': { vr: 'IS', Value: [3] } }),
];

const identifiers: DicomJson[] = [
  // The bench's keys.
  {
    '00100010': { vr: 'PN' },
    '00100020': { vr: 'LO' },
    '00080050': { vr: 'SH' },
    '00400100': { vr: 'SQ', Value: [{ '00080060': { vr: 'CS' }, '00400001': { vr: 'AE' }, '00400002': { vr: 'DA' } }] },
  },
  // A sequence asked whole, one asked with a matching key, keys the items lack, a character set, a group length.
  {
    '00080005': { vr: 'CS', Value: ['ISO_IR 100'] },
    '00080000': { vr: 'UL', Value: [0] },
    '00100010': { vr: 'PN' },
    '00321064': { vr: 'SQ', Value: [{}] },
    '00400100': { vr: 'SQ', Value: [{ '00080060': { vr: 'CS', Value: ['CT'] }, '00400008': { vr: 'SQ', Value: [{ '00080100': { vr: 'SH' } }] } }] },
    '00101030': { vr: 'DS' },
    '00201208': { vr: 'IS' },
    '00380010': { vr: 'LO' },
    '00081110': { vr: 'SQ', Value: [{ '00081150': { vr: 'UI' } }] },
  },
  // A sequence asked with no item, a private tag.
  { '00400100': { vr: 'SQ' }, '00110010': { vr: 'LO' }, '00100020': { vr: 'LO' } },
  // Only a key before (0008,0005).
  { '00080001': { vr: 'UL' }, '00100010': { vr: 'PN' } },
];

describe('AnswerEncoder', () => {
  it('assembles the bytes encodeDataset writes for projectAnswer, in both transfer syntaxes, UTF-8 and older repertoires', () => {
    let compared = 0;
    for (const ts of [EXPLICIT, IMPLICIT]) {
      for (const charset of [undefined, 'ISO_IR 100', 'ISO_IR 101', 'ISO_IR 6'] as (CharacterSetTerm | undefined)[]) {
        for (const identifier of identifiers) {
          const encoder = new AnswerEncoder(identifier, opts, { transferSyntaxUid: ts, charset });
          // Twice: the second answer comes from the cached encodings.
          for (const round of [1, 2]) {
            for (const it of items) {
              const projected = projectAnswer(it, identifier, opts);
              const expected = charset ? encodeAnswer(projected, charset) : { answer: projected, replaced: [] };
              const want = encodeDataset(expected.answer, ts, charset !== undefined);
              const got = encoder.encode(it);
              const bytes = Buffer.concat(got.parts);
              assert.equal(bytes.length, got.length);
              assert.equal(bytes.toString('hex'), want.toString('hex'), `${ts} ${charset} round ${round} ${JSON.stringify(identifier)} ${JSON.stringify(it)}`);
              assert.deepEqual([...got.replaced].sort(), [...expected.replaced].sort());
              compared++;
            }
          }
        }
      }
    }
    assert.equal(compared, 2 * 4 * identifiers.length * 2 * items.length);
  });
});

describe('ParsedItems', () => {
  it('hands out the kept data set while the text is unchanged, a new one when it changed, and keeps what fits when full', () => {
    let now = 0;
    // Room for three entries of this text (41 characters, estimated at 200 bytes and 5 bytes a character each).
    const cache = new ParsedItems(3 * (200 + 5 * 41) + 10, () => now);
    const text = (n: number): string => JSON.stringify({ '00100020': { vr: 'LO', Value: [`P${String(n).padStart(3, '0')}`] } });
    assert.equal(text(1).length, 41);
    const first = cache.get(1, text(1));
    assert.equal(cache.get(1, text(1)), first, 'same text: the same object');
    const changed = cache.get(1, text(2));
    assert.notEqual(changed, first);
    assert.deepEqual(changed, JSON.parse(text(2)));
    // Full: a scan over more items than fit keeps the first ones, not the last.
    for (let id = 1; id <= 10; id++) cache.get(id, text(id));
    assert.equal(cache.size.entries, 3);
    assert.equal(cache.get(1, text(1)), cache.get(1, text(1)), 'the first item is still kept');
    assert.notEqual(cache.get(10, text(10)), cache.get(10, text(10)), 'the last one was not kept');
    // An entry unused for a minute makes room.
    now += 61_000;
    const late = cache.get(99, text(99));
    assert.equal(cache.get(99, text(99)), late);
  });

  it('keeps what a query derived from an item while its text is unchanged, and drops the parsed data set for it', () => {
    const cache = new ParsedItems(100_000, () => 0);
    const text = JSON.stringify({ '00100020': { vr: 'LO', Value: ['P1'] } });
    const parsed = cache.get(1, text);
    const withDataset = cache.size.bytes;
    assert.equal(cache.derived(1, text, 'q'), undefined);
    cache.remember(1, text, 'q', 'answer', 6);
    assert.deepEqual(cache.derived(1, text, 'q'), { value: 'answer' });
    assert.ok(cache.size.bytes < withDataset, 'the data set is dropped once an answer is kept');
    assert.notEqual(cache.get(1, text), parsed, 'parsed again');
    assert.deepEqual(cache.derived(1, text, 'q'), { value: 'answer' }, 'a new parse keeps the derived values');
    cache.remember(1, text, 'not matched', null, 0);
    assert.deepEqual(cache.derived(1, text, 'not matched'), { value: null });
    // Changed text: nothing derived from the old one.
    const changed = JSON.stringify({ '00100020': { vr: 'LO', Value: ['P2'] } });
    assert.equal(cache.derived(1, changed, 'q'), undefined);
    assert.equal(cache.derived(1, text, 'q'), undefined, 'the old entry is gone');
    // At most four keys an item, the oldest pushed out.
    for (const key of ['a', 'b', 'c', 'd', 'e']) cache.remember(2, text, key, key, 1);
    assert.equal(cache.derived(2, text, 'a'), undefined);
    assert.deepEqual(cache.derived(2, text, 'e'), { value: 'e' });
    assert.equal(cache.size.entries, 1);
  });

  it('peeks at a kept data set without keeping anything new', () => {
    const cache = new ParsedItems(100_000, () => 0);
    const text = JSON.stringify({ '00100020': { vr: 'LO', Value: ['P1'] } });
    assert.equal(cache.peek(1, text), undefined);
    assert.equal(cache.size.entries, 0, 'nothing kept by a peek');
    const kept = cache.get(1, text);
    assert.equal(cache.peek(1, text), kept);
    assert.equal(cache.peek(1, JSON.stringify({})), undefined, 'changed text');
  });
});
