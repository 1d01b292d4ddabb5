import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodedDatasetProblem, MAX_SEQUENCE_DEPTH } from '../../src/dicom/encoded-dataset.js';
import { encodeDataset } from '../../src/model/encoding.js';
import { lookupTag } from '../../src/model/dictionary.js';
import type { DicomJson } from '../../src/model/item.js';
import { seededRandom } from '../helpers/random.js';

const IMPLICIT = '1.2.840.10008.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';
const isSequenceTag = (tag: number) => lookupTag(tag.toString(16).toUpperCase().padStart(8, '0'))?.vr === 'SQ';
const problem = (bytes: Buffer, ts: string) => encodedDatasetProblem(bytes, ts, isSequenceTag);

const query: DicomJson = {
  '00080005': { vr: 'CS', Value: ['ISO_IR 100'] },
  '00100010': { vr: 'PN', Value: [{ Alphabetic: 'DOE^J*' }] },
  '00100020': { vr: 'LO' },
  '00400100': {
    vr: 'SQ',
    Value: [
      {
        '00080060': { vr: 'CS', Value: ['CT'] },
        '00400008': { vr: 'SQ', Value: [{ '00080100': { vr: 'SH' } }] },
        '00400002': { vr: 'DA', Value: ['20261201-20261203'] },
      },
    ],
  },
};

describe('encodedDatasetProblem', () => {
  it('passes data sets dcmjs writes, explicit and implicit VR, nested sequences of undefined length', () => {
    for (const ts of [EXPLICIT, IMPLICIT]) assert.equal(problem(encodeDataset(query, ts, false), ts), undefined, ts);
    assert.equal(problem(Buffer.alloc(0), EXPLICIT), undefined, 'an empty identifier is a universal query');
  });

  it('refuses random bytes (dcmjs reads each as an element of VR UN)', () => {
    const random = seededRandom(99);
    let passed = 0;
    for (let i = 0; i < 4000; i++) {
      const bytes = Buffer.from(Array.from({ length: 16 + (i % 300) }, () => Math.floor(random() * 256)));
      if (problem(bytes, i % 2 ? EXPLICIT : IMPLICIT) === undefined) passed++;
    }
    assert.equal(passed, 0);
  });

  it('names what is wrong: VR, length, delimiters, duplicates, depth', () => {
    const good = encodeDataset({ '00100020': { vr: 'LO', Value: ['PAT1'] } }, EXPLICIT, false);
    const badVr = Buffer.from(good);
    badVr.write('ZZ', 4, 'latin1');
    assert.match(problem(badVr, EXPLICIT)!, /\(0010,0020\) has VR "ZZ", which does not exist/);
    const long = Buffer.from(good);
    long.writeUInt16LE(200, 6);
    assert.match(problem(long, EXPLICIT)!, /announces 200 bytes, 4 are left/);
    assert.match(problem(Buffer.concat([good, good]), EXPLICIT)!, /appears twice/);
    assert.match(problem(Buffer.concat([good, Buffer.from([1, 2, 3])]), EXPLICIT)!, /too few for an element header/);
    const delimiter = Buffer.from([0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0]);
    assert.match(problem(delimiter, IMPLICIT)!, /outside its place in a sequence/);
    // Sequences nested past the limit, each of undefined length, never closed.
    const open = Buffer.from([0x40, 0x00, 0x00, 0x01, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff]);
    assert.match(problem(Buffer.concat(Array(MAX_SEQUENCE_DEPTH + 2).fill(open)), IMPLICIT)!, /nested deeper than 16/);
    assert.match(problem(open, IMPLICIT)!, /no item delimiter|no sequence delimiter/);
  });
});
