import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readPlainCommandSet } from '../../src/dicom/command-set-reader.js';
import { IMPLICIT_LE, cCancel, cEcho, cFind, commandSet, dcmjsDimseReading } from '../helpers/dicom-wire.js';
import { seededRandom } from '../helpers/random.js';

type Element = { vr: string; value: string | number };

describe('readPlainCommandSet', () => {
  it('reads the requests the SCP serves as dcmjs does', () => {
    const sets = [
      cFind(1),
      cFind(65535),
      cEcho(7),
      cCancel(3),
      commandSet({
        '00000003': { vr: 'UI', value: '1.2.840.10008.3.1.2.3.3' },
        '00000100': { vr: 'US', value: 0x0120 },
        '00000110': { vr: 'US', value: 9 },
        '00000800': { vr: 'US', value: 0x0000 },
        '00001001': { vr: 'UI', value: '1.2.3.44' },
      }),
    ];
    for (const bytes of sets) {
      const plain = readPlainCommandSet(bytes);
      assert.ok(plain, 'read here');
      assert.deepEqual(plain, dcmjsDimseReading(bytes, IMPLICIT_LE));
    }
  });

  it('agrees with dcmjs on random command sets, or leaves them to dcmjs', () => {
    const random = seededRandom(23);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const texts = ['A', 'AE1', ' PADDED ', 'x y', 'odd', 'MWL_BRIDGE      ', '   ', 'a\\b', 'Müller', 'tab\there', '', 'z'.repeat(64)];
    const uids = ['1.2.840.10008.5.1.4.31', '1.2.3', '1.22', '1.2.3.4.5', '1.2.x', '', '1.2 '];
    const tags: [string, string][] = [
      ['00000002', 'UI'],
      ['00000003', 'UI'],
      ['00000100', 'US'],
      ['00000110', 'US'],
      ['00000120', 'US'],
      ['00000600', 'AE'],
      ['00000700', 'US'],
      ['00000800', 'US'],
      ['00000900', 'US'],
      ['00000902', 'LO'],
      ['00001000', 'UI'],
      ['00001030', 'AE'],
      ['00001031', 'US'],
      ['00000901', 'AT'],
      ['00004000', 'LT'],
    ];
    let readHere = 0;
    for (let i = 0; i < 2000; i++) {
      const elements: Record<string, Element> = {};
      for (let k = 1 + Math.floor(random() * 6); k > 0; k--) {
        const [tag, vr] = pick(tags);
        if (vr === 'US') elements[tag] = { vr, value: Math.floor(random() * 65536) };
        else if (vr === 'UI') elements[tag] = { vr, value: pick(uids) };
        else if (vr === 'AT') elements[tag] = { vr, value: 0x00100020 };
        else elements[tag] = { vr, value: pick(texts) };
      }
      let bytes: Buffer;
      try {
        bytes = commandSet(elements);
      } catch {
        continue; // a value dcmjs will not write (too long for its VR)
      }
      const plain = readPlainCommandSet(bytes);
      if (!plain) continue;
      readHere++;
      assert.deepEqual(plain, dcmjsDimseReading(bytes, IMPLICIT_LE), JSON.stringify(elements));
    }
    assert.ok(readHere > 500, `${readHere} of 2,000 read here`);
  });

  it('leaves to dcmjs what is not a plain command set', () => {
    // A data set element (group 0010), a zero-length element, a cut-short header.
    assert.equal(readPlainCommandSet(commandSet({ '00100020': { vr: 'LO', value: 'P1' } })), undefined);
    assert.equal(readPlainCommandSet(Buffer.from('0000000200000000', 'hex')), undefined);
    assert.equal(readPlainCommandSet(Buffer.from('00000001', 'hex')), undefined);
  });
});
