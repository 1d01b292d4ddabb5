/**
 * MLLP framing for one connection: <VT> message bytes <FS><CR>. Bytes are kept as bytes (the
 * character set is decided per message from MSH-18, later), several frames in one TCP chunk and a
 * frame split over many chunks both come out as whole frames, in order.
 *
 * A VT always starts a new frame (MLLP release 2, as HAPI and dcm4che read it): the bytes of a frame
 * that had not ended are reported as truncated, never joined to the next message. A frame's bytes
 * are kept as a list of chunks and joined once, when it ends: a sender of one byte at a time costs
 * one small copy per byte, not a copy of everything received so far.
 */

const VT = 0x0b;
const FS = 0x1c;
const CR = 0x0d;
/** How much of an oversize or truncated frame is kept: enough for its MSH, to address a reply or a log line. */
const HEAD_BYTES = 4096;

export type MllpEvent =
  | { type: 'frame'; bytes: Buffer }
  /** Bytes outside any frame (before a VT), other than blank lines. Counted so that a framing fault can be logged. */
  | { type: 'junk'; bytes: number }
  /** A frame grew past the limit; the decoder dropped it, keeping its first bytes (head) for the reply. */
  | { type: 'oversize'; bytes: number; head: Buffer }
  /** A frame that a new VT cut short; its bytes were dropped (head: the first of them). */
  | { type: 'truncated'; bytes: number; head: Buffer };

export class MllpFrameDecoder {
  private inFrame = false;
  /** The current frame went over the limit: its bytes are dropped until it ends. */
  private discarding = false;
  private parts: Buffer[] = [];
  private length = 0;
  /** The previous chunk ended with a FS inside a frame: a CR at the start of the next one ends the frame. */
  private pendingFs = false;

  constructor(private readonly maxFrameBytes: number) {}

  /** Bytes of a frame begun but not finished (what a dropped connection loses). */
  pendingBytes(): number {
    return this.inFrame ? this.length + (this.pendingFs ? 1 : 0) : 0;
  }

  /** Whether a frame has begun and not ended. */
  inPartialFrame(): boolean {
    return this.inFrame;
  }

  push(chunk: Buffer): MllpEvent[] {
    const events: MllpEvent[] = [];
    let pos = 0;
    while (pos < chunk.length) {
      if (!this.inFrame) {
        const start = chunk.indexOf(VT, pos);
        const end = start < 0 ? chunk.length : start;
        if (end > pos && !isWhitespace(chunk, pos, end)) events.push({ type: 'junk', bytes: end - pos });
        if (start < 0) break;
        this.startFrame();
        pos = start + 1;
        continue;
      }
      if (this.pendingFs) {
        this.pendingFs = false;
        if (chunk[pos] === CR) {
          this.endFrame(events);
          pos += 1;
          continue;
        }
        this.append(Buffer.from([FS]), events);
      }
      const vt = chunk.indexOf(VT, pos);
      const stop = vt < 0 ? chunk.length : vt;
      const trailer = findTrailer(chunk, pos, stop);
      if (trailer.at >= 0) {
        this.append(chunk.subarray(pos, trailer.at), events);
        this.endFrame(events);
        pos = trailer.at + 2;
        continue;
      }
      if (vt >= 0) {
        this.append(chunk.subarray(pos, vt), events);
        if (!this.discarding) events.push({ type: 'truncated', bytes: this.length, head: this.head() });
        this.startFrame();
        pos = vt + 1;
        continue;
      }
      // No end in this chunk: keep the bytes (a FS at its very end may be the start of the trailer).
      this.append(chunk.subarray(pos, trailer.fsAtEnd ? chunk.length - 1 : chunk.length), events);
      this.pendingFs = trailer.fsAtEnd;
      break;
    }
    return events;
  }

  private startFrame(): void {
    this.inFrame = true;
    this.discarding = false;
    this.parts = [];
    this.length = 0;
    this.pendingFs = false;
  }

  private append(bytes: Buffer, events: MllpEvent[]): void {
    if (bytes.length === 0) return;
    if (this.discarding) {
      this.length += bytes.length;
      return;
    }
    // A copy: the chunk's memory belongs to the socket's read buffer.
    this.parts.push(Buffer.from(bytes));
    this.length += bytes.length;
    if (this.length > this.maxFrameBytes) {
      events.push({ type: 'oversize', bytes: this.length, head: this.head() });
      this.discarding = true;
      this.parts = [];
    }
  }

  private endFrame(events: MllpEvent[]): void {
    if (!this.discarding) {
      // One chunk is passed on as it is; several are joined.
      const single = this.parts.length === 1 ? this.parts[0] : undefined;
      events.push({ type: 'frame', bytes: single ?? Buffer.concat(this.parts, this.length) });
    }
    this.inFrame = false;
    this.discarding = false;
    this.parts = [];
    this.length = 0;
  }

  private head(): Buffer {
    const head: Buffer[] = [];
    let n = 0;
    for (const part of this.parts) {
      if (n >= HEAD_BYTES) break;
      const slice = part.subarray(0, HEAD_BYTES - n);
      head.push(slice);
      n += slice.length;
    }
    return Buffer.concat(head);
  }
}

/** The first FS CR in chunk[from, to), and whether a FS is the chunk's last byte (its CR may follow). */
function findTrailer(chunk: Buffer, from: number, to: number): { at: number; fsAtEnd: boolean } {
  for (let i = chunk.indexOf(FS, from); i >= 0 && i < to; i = chunk.indexOf(FS, i + 1)) {
    if (i + 1 >= chunk.length) return { at: -1, fsAtEnd: true };
    if (chunk[i + 1] === CR) return { at: i, fsAtEnd: false };
  }
  return { at: -1, fsAtEnd: false };
}

function isWhitespace(bytes: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const b = bytes[i];
    if (b !== 0x0d && b !== 0x0a && b !== 0x20 && b !== 0x09) return false;
  }
  return true;
}

/** Wraps reply bytes in an MLLP frame. */
export function frameMllp(payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([VT]), payload, Buffer.from([FS, CR])]);
}
