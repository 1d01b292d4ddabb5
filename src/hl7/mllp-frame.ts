/**
 * MLLP framing for one connection: <VT> message bytes <FS><CR>. Bytes are kept as bytes (the
 * character set is decided per message from MSH-18, later), several frames in one TCP chunk and a
 * frame split over many chunks both come out as whole frames, in order.
 */

const VT = 0x0b;
const FS = 0x1c;
const CR = 0x0d;
/** How much of an oversize frame is kept: enough for its MSH, to address the rejection. */
const HEAD_BYTES = 4096;

export type MllpEvent =
  | { type: 'frame'; bytes: Buffer }
  /** Bytes outside any frame (before a VT). Reported so that a framing fault can be logged. */
  | { type: 'junk'; bytes: Buffer }
  /** A frame grew past the limit; the decoder dropped it, keeping its first bytes (head) for the reply. */
  | { type: 'oversize'; bytes: number; head: Buffer };

export class MllpFrameDecoder {
  private pending: Buffer = Buffer.alloc(0);
  private inFrame = false;
  private discarding = false;

  constructor(private readonly maxFrameBytes: number) {}

  /** Bytes of a frame begun but not finished (what a dropped connection loses). */
  pendingBytes(): number {
    return this.inFrame ? this.pending.length : 0;
  }

  push(chunk: Buffer): MllpEvent[] {
    const events: MllpEvent[] = [];
    let data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    for (;;) {
      if (!this.inFrame) {
        const start = data.indexOf(VT);
        const junk = start < 0 ? data : data.subarray(0, start);
        if (junk.length > 0 && !isWhitespace(junk)) events.push({ type: 'junk', bytes: Buffer.from(junk) });
        if (start < 0) return events;
        data = data.subarray(start + 1);
        this.inFrame = true;
        this.discarding = false;
      }
      const end = findTrailer(data);
      if (end < 0) {
        // Keep a trailing FS: its CR may come in the next chunk.
        if (this.discarding) {
          this.pending = data.length > 0 && data[data.length - 1] === FS ? Buffer.from([FS]) : Buffer.alloc(0);
        } else if (data.length > this.maxFrameBytes) {
          events.push({ type: 'oversize', bytes: data.length, head: Buffer.from(data.subarray(0, HEAD_BYTES)) });
          this.discarding = true;
          this.pending = Buffer.alloc(0);
        } else {
          this.pending = Buffer.from(data);
        }
        return events;
      }
      if (!this.discarding) {
        if (end > this.maxFrameBytes) events.push({ type: 'oversize', bytes: end, head: Buffer.from(data.subarray(0, HEAD_BYTES)) });
        else events.push({ type: 'frame', bytes: Buffer.from(data.subarray(0, end)) });
      }
      data = data.subarray(end + 2);
      this.inFrame = false;
      this.discarding = false;
    }
  }
}

function findTrailer(data: Buffer): number {
  let from = 0;
  for (;;) {
    const i = data.indexOf(FS, from);
    if (i < 0 || i + 1 >= data.length) return -1;
    if (data[i + 1] === CR) return i;
    from = i + 1;
  }
}

function isWhitespace(bytes: Buffer): boolean {
  return bytes.every((b) => b === 0x0d || b === 0x0a || b === 0x20 || b === 0x09);
}

/** Wraps reply bytes in an MLLP frame. */
export function frameMllp(payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([VT]), payload, Buffer.from([FS, CR])]);
}
