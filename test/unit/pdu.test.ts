import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_ASSOCIATE_RQ_BYTES,
  MessageFragments,
  PduFramer,
  PduProtocolError,
  commandHasDataset,
  readPresentationDataValues,
  type UpperLayerState,
} from '../../src/dicom/pdu.js';
import { associateRequest, cEcho, cFind, pData, releaseRequest, MWL_FIND, EXPLICIT_LE } from '../helpers/dicom-wire.js';
import { seededRandom } from '../helpers/random.js';

function framer(state: UpperLayerState = 'awaiting-request', maxPduLength = 16384) {
  const s = { state, maxPduLength };
  return { s, framer: new PduFramer({ state: () => s.state, maxPduLength: () => s.maxPduLength }) };
}

const rq = associateRequest({ called: 'SCP', calling: 'SCU', contexts: [{ id: 1, abstractSyntax: MWL_FIND, transferSyntaxes: [EXPLICIT_LE] }] });

describe('PduFramer (PS3.8 9.3 headers, acceptor states)', () => {
  it('frames whole PDUs from any split of the stream, in order', () => {
    const random = seededRandom(15);
    const stream = Buffer.concat([rq]);
    for (let run = 0; run < 200; run++) {
      const { framer: f } = framer();
      const out = [];
      for (let at = 0; at < stream.length;) {
        const size = 1 + Math.floor(random() * 40);
        out.push(...f.push(stream.subarray(at, at + size)));
        at += size;
      }
      assert.equal(out.length, 1);
      assert.deepEqual(out[0]!.bytes, rq);
    }
    // Several PDUs in one chunk.
    const { s, framer: f } = framer('associated');
    s.state = 'associated';
    const many = Buffer.concat([pData(1, true, true, Buffer.alloc(20)), pData(1, false, true, Buffer.alloc(30)), releaseRequest()]);
    assert.deepEqual(
      f.push(many).map((p) => p.type),
      [4, 4, 5],
    );
  });

  it('refuses a PDU longer than its limit at the header, before keeping its body', () => {
    const { framer: f } = framer('associated', 16384);
    const header = Buffer.from([0x04, 0, 0, 0, 0x40, 0x01]); // 16385 bytes
    assert.throws(
      () => f.push(header),
      (e: unknown) => e instanceof PduProtocolError && /16385 bytes is longer than the 16384 bytes accepted/.test(e.message),
    );
    assert.equal(f.bufferedBytes, 0);
    // Every later call fails the same way: the connection is to be aborted.
    assert.throws(() => f.push(Buffer.alloc(10)), PduProtocolError);

    const before = framer().framer;
    assert.throws(() => before.push(Buffer.from([0x01, 0, 0xff, 0xff, 0xff, 0xff])), new RegExp(`longer than the ${MAX_ASSOCIATE_RQ_BYTES} bytes accepted`));
  });

  it('refuses PDUs the state does not allow, and unknown types', () => {
    assert.throws(
      () => framer('awaiting-request').framer.push(pData(1, true, true, Buffer.alloc(4))),
      /P-DATA-TF is not expected before the association request/,
    );
    assert.throws(() => framer('associated').framer.push(rq), /A-ASSOCIATE-RQ is not expected on an established association/);
    assert.throws(() => framer('deciding').framer.push(pData(1, true, true, Buffer.alloc(4))), /while the association request is answered/);
    assert.throws(() => framer('associated').framer.push(Buffer.from([0x09, 0, 0, 0, 0, 0])), /unknown PDU type 0x09/);
    assert.throws(() => framer('associated').framer.push(Buffer.from([0x05, 0, 0, 0, 0, 5])), /A-RELEASE-RQ of 5 bytes/);
    assert.throws(() => framer('associated').framer.push(Buffer.from([0x05, 0, 0, 0, 0, 1, 0])), /A-RELEASE-RQ of 1 bytes instead of 4/);
    assert.throws(() => framer('awaiting-request').framer.push(Buffer.from([0x07, 0, 0, 0, 0, 0])), /A-ABORT of 0 bytes instead of 4/);
  });

  it('reports a PDU begun and not finished', () => {
    const { framer: f } = framer();
    f.push(rq.subarray(0, 10));
    assert.ok(f.inPdu);
    assert.equal(f.bufferedBytes, 10);
    f.push(rq.subarray(10));
    assert.ok(!f.inPdu);
  });
});

describe('readPresentationDataValues', () => {
  it('reads the PDVs of a P-DATA-TF', () => {
    const pdu = pData(3, true, true, Buffer.alloc(12));
    assert.deepEqual(readPresentationDataValues(pdu), [{ contextId: 3, isCommand: true, isLast: true, length: 12, value: Buffer.alloc(12) }]);
  });

  it('refuses PDVs that do not fill the PDU exactly or are shorter than their header', () => {
    const pdu = pData(1, false, false, Buffer.alloc(8));
    const longer = Buffer.from(pdu);
    longer.writeUInt32BE(20, 6);
    assert.throws(() => readPresentationDataValues(longer), /does not fit/);
    const tiny = Buffer.from(pdu);
    tiny.writeUInt32BE(1, 6);
    assert.throws(() => readPresentationDataValues(tiny), /does not fit/);
    assert.throws(() => readPresentationDataValues(Buffer.from([4, 0, 0, 0, 0, 0])), /without any presentation data value/);
    assert.throws(() => readPresentationDataValues(Buffer.from([4, 0, 0, 0, 0, 3, 0, 0, 0])), /too few for a presentation data value/);
  });
});

describe('MessageFragments (PS3.7 6.3.1: command set, then the data set it announces)', () => {
  const pdvs = (pdu: Buffer) => readPresentationDataValues(pdu);
  const take = (m: MessageFragments, pdu: Buffer) => {
    pdvs(pdu).forEach((v) => {
      m.take(v);
    });
  };

  it('knows from Command Data Set Type whether a data set follows', () => {
    assert.equal(commandHasDataset(cEcho(1)), false);
    assert.equal(commandHasDataset(cFind(1)), true);
    assert.equal(commandHasDataset(Buffer.alloc(0)), true, 'without the element, as dcmjs-dimse reads it');
  });

  it('takes messages in order, split into fragments', () => {
    const m = new MessageFragments(1 << 20);
    const find = cFind(1);
    take(m, pData(1, true, false, find.subarray(0, 10)));
    take(m, pData(1, true, true, find.subarray(10)));
    take(m, pData(1, false, false, Buffer.alloc(8)));
    take(m, pData(1, false, true, Buffer.alloc(8)));
    take(m, pData(3, true, true, cEcho(2)));
    take(m, pData(1, true, true, cFind(3)));
  });

  it('refuses a data fragment no command announced, a command where data was due, a context change mid-message, and oversize parts', () => {
    assert.throws(() => {
      take(new MessageFragments(1 << 20), pData(1, false, true, Buffer.alloc(4)));
    }, /no command set announcing it/);
    const afterEcho = new MessageFragments(1 << 20);
    take(afterEcho, pData(3, true, true, cEcho(1)));
    assert.throws(() => {
      take(afterEcho, pData(3, false, true, Buffer.alloc(4)));
    }, /no command set announcing it/);
    const dataDue = new MessageFragments(1 << 20);
    take(dataDue, pData(1, true, true, cFind(1)));
    assert.throws(() => {
      take(dataDue, pData(1, true, true, cEcho(2)));
    }, /where the data set of the message was due/);
    const switching = new MessageFragments(1 << 20);
    take(switching, pData(1, true, true, cFind(1)));
    assert.throws(() => {
      take(switching, pData(3, false, true, Buffer.alloc(4)));
    }, /presentation context 3 in the middle of a message on context 1/);
    const small = new MessageFragments(100);
    take(small, pData(1, true, true, cFind(1)));
    take(small, pData(1, false, false, Buffer.alloc(60)));
    assert.throws(() => {
      take(small, pData(1, false, true, Buffer.alloc(60)));
    }, /data set of more than 100 bytes/);
  });
});
