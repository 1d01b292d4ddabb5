import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MllpFrameDecoder, frameMllp } from '../../src/hl7/mllp-frame.js';

const frame = (s: string): Buffer => frameMllp(Buffer.from(s, 'latin1'));
const frames = (events: ReturnType<MllpFrameDecoder['push']>): string[] =>
  events.filter((e) => e.type === 'frame').map((e) => (e as { bytes: Buffer }).bytes.toString('latin1'));

describe('MllpFrameDecoder', () => {
  it('splits two frames arriving in one chunk', () => {
    const d = new MllpFrameDecoder(1000);
    assert.deepEqual(frames(d.push(Buffer.concat([frame('MSH|A'), frame('MSH|B')]))), ['MSH|A', 'MSH|B']);
  });

  it('joins a frame split over chunks, including between FS and CR', () => {
    const d = new MllpFrameDecoder(1000);
    const bytes = frame('MSH|SPLIT\rPID|1');
    const out: string[] = [];
    for (let i = 0; i < bytes.length; i++) out.push(...frames(d.push(bytes.subarray(i, i + 1))));
    assert.deepEqual(out, ['MSH|SPLIT\rPID|1']);
  });

  it('keeps bytes as bytes (no charset decoding at this layer)', () => {
    const d = new MllpFrameDecoder(1000);
    const latin1 = Buffer.from([0x4d, 0x53, 0x48, 0x7c, 0xc4]); // "MSH|Ä" in ISO 8859-1
    const [event] = d.push(frameMllp(latin1));
    assert.equal(event?.type, 'frame');
    assert.deepEqual((event as { bytes: Buffer }).bytes, latin1);
  });

  it('reports bytes outside a frame, ignoring blank lines between frames', () => {
    const d = new MllpFrameDecoder(1000);
    const events = d.push(Buffer.concat([Buffer.from('junk'), frame('MSH|A'), Buffer.from('\r\n')]));
    assert.deepEqual(
      events.map((e) => e.type),
      ['junk', 'frame'],
    );
  });

  it('drops a frame larger than the limit and recovers for the next one', () => {
    const d = new MllpFrameDecoder(10);
    const big = frame('MSH|' + 'X'.repeat(50));
    const first = d.push(big.subarray(0, 30));
    assert.deepEqual(
      first.map((e) => e.type),
      ['oversize'],
    );
    const rest = d.push(Buffer.concat([big.subarray(30), frame('MSH|OK')]));
    assert.deepEqual(frames(rest), ['MSH|OK']);
  });

  it('treats a FS not followed by CR as content', () => {
    const d = new MllpFrameDecoder(1000);
    assert.deepEqual(frames(d.push(frame('MSH|\x1cX'))), ['MSH|\x1cX']);
  });

  it('starts a new frame at every VT: a frame cut short is reported as truncated, the next one is whole (issue 16, finding 4)', () => {
    const d = new MllpFrameDecoder(1000);
    const partial = Buffer.from('\x0bMSH|^~\\&|RIS|H|MWL|H|20261123||ORM^O01|CUT', 'latin1');
    const events = d.push(Buffer.concat([partial, frame('MSH|^~\\&|RIS|H|MWL|H|20261123||ORM^O01|WHOLE|P|2.3.1')]));
    assert.deepEqual(
      events.map((e) => e.type),
      ['truncated', 'frame'],
    );
    assert.equal((events[0] as { head: Buffer }).head.toString('latin1'), partial.subarray(1).toString('latin1'));
    assert.equal(frames(events)[0], 'MSH|^~\\&|RIS|H|MWL|H|20261123||ORM^O01|WHOLE|P|2.3.1');
  });

  it('finds a VT that arrives in a later chunk than the frame it cuts short', () => {
    const d = new MllpFrameDecoder(1000);
    assert.deepEqual(d.push(Buffer.from('\x0bMSH|A\x1c', 'latin1')), []);
    const events = d.push(Buffer.concat([Buffer.from([0x0b]), Buffer.from('MSH|B\x1c\r', 'latin1')]));
    assert.deepEqual(
      events.map((e) => e.type),
      ['truncated', 'frame'],
    );
    assert.equal(frames(events)[0], 'MSH|B');
  });

  it('takes a 1 MB frame sent one byte at a time in linear time', () => {
    const d = new MllpFrameDecoder(2 * 1024 * 1024);
    const bytes = frame('MSH|' + 'x'.repeat(1024 * 1024));
    const started = process.hrtime.bigint();
    const out: string[] = [];
    for (let i = 0; i < bytes.length; i++) out.push(...frames(d.push(bytes.subarray(i, i + 1))));
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.equal(out.length, 1);
    assert.equal(out[0]!.length, 4 + 1024 * 1024);
    // Joining the chunks on every byte (the old decoder) copies ~550 GB here and never finishes.
    assert.ok(ms < 20000, `${ms} ms`);
  });
});
