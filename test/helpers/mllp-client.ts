/**
 * A small MLLP test client for what mllp_send cannot do: send broken framing (no VT, truncated
 * frames, oversize frames, random bytes) and see what comes back on the same connection.
 */
import { connect, type Socket } from 'node:net';

export class RawMllpClient {
  private buffer = Buffer.alloc(0);
  private closed = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => (this.buffer = Buffer.concat([this.buffer, d])));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => (this.closed = true));
  }

  static async connect(port: number): Promise<RawMllpClient> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => {
        resolve();
      });
      socket.once('error', reject);
    });
    return new RawMllpClient(socket);
  }

  write(bytes: Buffer | string): void {
    this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  /** Sends one message in a proper MLLP frame. */
  send(message: string): void {
    this.write(Buffer.concat([Buffer.from([0x0b]), Buffer.from(message, 'utf8'), Buffer.from([0x1c, 0x0d])]));
  }

  /** Waits for n framed replies (or the timeout), returns the complete ones as text. */
  async replies(n: number, timeoutMs = 5000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frames = this.frames();
      if (frames.length >= n || this.closed || Date.now() > deadline) return frames;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Resolves true if the server closed the connection within the timeout. */
  async closedByServer(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.closed;
  }

  private frames(): string[] {
    const out: string[] = [];
    let start = this.buffer.indexOf(0x0b);
    while (start >= 0) {
      const end = this.buffer.indexOf(Buffer.from([0x1c, 0x0d]), start);
      if (end < 0) break;
      out.push(this.buffer.subarray(start + 1, end).toString('utf8'));
      start = this.buffer.indexOf(0x0b, end);
    }
    return out;
  }

  /** Ends the sending side once what was written is sent (FIN): the server reads everything, then the end. */
  end(): void {
    this.socket.end();
  }

  close(): void {
    this.socket.destroy();
  }
}

/** MSA-1 and MSA-2 of an ACK. */
export function msa(ack: string): [string, string] {
  const seg = ack.split('\r').find((s) => s.startsWith('MSA|')) ?? '';
  const f = seg.split('|');
  return [f[1] ?? '', f[2] ?? ''];
}
