import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dimse from 'dcmjs-dimse';
import { readPlainIdentifier } from '../../src/dicom/identifier-reader.js';
import { checkReceivedDatasets, plainIdentifierOf } from '../../src/dicom/dimse-shim.js';
import { identifierFromNaturalized } from '../../src/dicom/identifier.js';
import type { DicomJson, DicomJsonElement } from '../../src/model/item.js';
import { EXPLICIT_LE, IMPLICIT_LE, dataset, dcmjsDimseReading } from '../helpers/dicom-wire.js';
import { seededRandom } from '../helpers/random.js';

/** The identifier as the SCP gets it through dcmjs (dcmjs-dimse 0.3.3's _fromElementsBuffer, then identifier.ts). */
function throughDcmjs(bytes: Buffer, transferSyntaxUid: string): DicomJson {
  return identifierFromNaturalized(dcmjsDimseReading(bytes, transferSyntaxUid));
}

const SYNTAXES = [EXPLICIT_LE, IMPLICIT_LE];

describe('readPlainIdentifier', () => {
  it("reads the bench's and a modality's usual identifiers as dcmjs does", () => {
    const identifiers: DicomJson[] = [
      {
        '00100010': { vr: 'PN' },
        '00100020': { vr: 'LO', Value: ['BP0001234'] },
        '00080050': { vr: 'SH' },
        '00400100': { vr: 'SQ', Value: [{ '00080060': { vr: 'CS' }, '00400001': { vr: 'AE' }, '00400002': { vr: 'DA' } }] },
      },
      {
        '00100010': { vr: 'PN', Value: [{ Alphabetic: 'DOE^J*' }] },
        '00100030': { vr: 'DA' },
        '0020000D': { vr: 'UI' },
        '00400100': {
          vr: 'SQ',
          Value: [
            {
              '00080060': { vr: 'CS', Value: ['MR'] },
              '00400001': { vr: 'AE', Value: ['MR_1'] },
              '00400002': { vr: 'DA', Value: ['20261201-20261203'] },
              '00400003': { vr: 'TM', Value: ['0800-1200'] },
            },
          ],
        },
      },
    ];
    for (const ts of SYNTAXES) {
      for (const identifier of identifiers) {
        const bytes = dataset(identifier, ts);
        const plain = readPlainIdentifier(bytes, ts);
        assert.ok(plain, 'read here');
        assert.deepEqual(plain, throughDcmjs(bytes, ts));
      }
    }
  });

  it('reads sequences and items of defined length', () => {
    const element = (group: number, elementNo: number, vr: string, value: Buffer): Buffer => {
      const header = Buffer.alloc(vr === 'SQ' ? 12 : 8);
      header.writeUInt16LE(group, 0);
      header.writeUInt16LE(elementNo, 2);
      header.write(vr, 4, 'latin1');
      if (vr === 'SQ') header.writeUInt32LE(value.length, 8);
      else header.writeUInt16LE(value.length, 6);
      return Buffer.concat([header, value]);
    };
    const itemBody = Buffer.concat([element(0x0008, 0x0060, 'CS', Buffer.from('CT')), element(0x0040, 0x0001, 'AE', Buffer.from('CT_1'))]);
    const itemHeader = Buffer.alloc(8);
    itemHeader.writeUInt16LE(0xfffe, 0);
    itemHeader.writeUInt16LE(0xe000, 2);
    itemHeader.writeUInt32LE(itemBody.length, 4);
    const bytes = Buffer.concat([element(0x0010, 0x0020, 'LO', Buffer.from('P1')), element(0x0040, 0x0100, 'SQ', Buffer.concat([itemHeader, itemBody]))]);
    const plain = readPlainIdentifier(bytes, EXPLICIT_LE);
    assert.ok(plain);
    assert.deepEqual(plain, throughDcmjs(bytes, EXPLICIT_LE));
  });

  it('leaves a data set cut anywhere to dcmjs instead of throwing', () => {
    const bytes = dataset(
      { '00100020': { vr: 'LO', Value: ['P1'] }, '00400100': { vr: 'SQ', Value: [{ '00080060': { vr: 'CS', Value: ['CT'] } }] } },
      EXPLICIT_LE,
    );
    for (let cut = 1; cut < bytes.length; cut++) {
      const read = readPlainIdentifier(bytes.subarray(0, cut), EXPLICIT_LE);
      if (read !== undefined) assert.deepEqual(read, throughDcmjs(bytes.subarray(0, cut), EXPLICIT_LE), `cut at ${cut}`);
    }
  });

  it('agrees with dcmjs on random identifiers, or leaves them to dcmjs', () => {
    const random = seededRandom(2323);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const texts = ['A', 'CT', 'odd', 'P 1', ' LEAD', 'TRAIL ', 'DOE^JOHN', 'DOE^J*', 'M?LLER', 'a\\b', 'x=y', 'MÜLLER', '   ', 'tab\tx', '*'];
    const dates = ['20261201', '20261201-20261203', '-20261203', '20261201-', '2026120', ' 20261201', '2026.12.01'];
    const times = ['0800', '080000', '0800-1200', '08', '0800 ', '1'];
    const uids = ['1.2.3', '1.2.840.10008.5.1.4.31', '1.22', '1.2.x'];
    const keys: [string, string][] = [
      ['00100010', 'PN'],
      ['00100020', 'LO'],
      ['00080050', 'SH'],
      ['00100030', 'DA'],
      ['00100040', 'CS'],
      ['0020000D', 'UI'],
      ['00401001', 'SH'],
      ['00321060', 'LO'],
      ['00101030', 'DS'],
      ['00080005', 'CS'],
    ];
    const stepKeys: [string, string][] = [
      ['00080060', 'CS'],
      ['00400001', 'AE'],
      ['00400002', 'DA'],
      ['00400003', 'TM'],
      ['00400006', 'PN'],
      ['00400009', 'SH'],
    ];
    const element = (vr: string): DicomJsonElement => {
      if (random() < 0.4) return { vr };
      switch (vr) {
        case 'PN':
          return { vr, Value: [{ Alphabetic: pick(texts) }] };
        case 'DA':
          return { vr, Value: [pick(dates)] };
        case 'TM':
          return { vr, Value: [pick(times)] };
        case 'UI':
          return { vr, Value: [pick(uids)] };
        case 'DS':
          return { vr, Value: ['70.5'] };
        case 'CS':
          return { vr, Value: [pick(['CT', 'MR ', 'ISO_IR 100', 'A\\B', ' X'])] };
        default:
          return { vr, Value: [pick(texts)] };
      }
    };
    const some = (list: [string, string][]): DicomJson => {
      const out: DicomJson = {};
      for (const [tag, vr] of list) if (random() < 0.5) out[tag] = element(vr);
      return out;
    };
    let readHere = 0;
    let tried = 0;
    for (let i = 0; i < 4000; i++) {
      const identifier = some(keys);
      if (random() < 0.7) identifier['00400100'] = { vr: 'SQ', Value: random() < 0.1 ? [] : [some(stepKeys)] };
      const ts = pick(SYNTAXES);
      let bytes: Buffer;
      try {
        bytes = dataset(identifier, ts);
      } catch {
        continue; // a value dcmjs will not write
      }
      tried++;
      const plain = readPlainIdentifier(bytes, ts);
      if (!plain) continue;
      readHere++;
      assert.deepEqual(plain, throughDcmjs(bytes, ts), `${ts} ${JSON.stringify(identifier)}`);
    }
    // Most random identifiers hold something left to dcmjs (a DS, a Specific Character Set, a list...).
    assert.ok(readHere > 300, `${readHere} of ${tried} read here`);
  });

  it("through the shim: the identifier is kept as read here, and the data set's elements are dcmjs's when asked for", () => {
    checkReceivedDatasets();
    const identifier: DicomJson = {
      '00100010': { vr: 'PN', Value: [{ Alphabetic: 'DOE^J*' }] },
      '00100020': { vr: 'LO' },
      '00400100': { vr: 'SQ', Value: [{ '00080060': { vr: 'CS', Value: ['CT'] }, '00400002': { vr: 'DA' } }] },
    };
    for (const ts of SYNTAXES) {
      const bytes = dataset(identifier, ts);
      const received = new dimse.Dataset(bytes, ts);
      assert.deepEqual(plainIdentifierOf(received), throughDcmjs(bytes, ts));
      assert.deepEqual(received.getElements(), dcmjsDimseReading(bytes, ts));
      received.setElement('PatientID', 'P2');
      assert.equal(received.getElement('PatientID'), 'P2');
      // A data set left to dcmjs (a value list) has no plain reading and its elements at once.
      const list = new dimse.Dataset(dataset({ '00080060': { vr: 'CS', Value: ['CT', 'MR'] } }, ts), ts);
      assert.equal(plainIdentifierOf(list), undefined);
      assert.deepEqual(list.getElement('Modality'), ['CT', 'MR']);
    }
  });
});
