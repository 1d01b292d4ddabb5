/**
 * Sends orders over MLLP on k connections at once, each connection one order at a time (send, wait
 * for the ACK), and records every ACK's latency. Framing uses the bridge's own MLLP frame decoder.
 */
import { connect, type Socket } from 'node:net';
import { MllpFrameDecoder, frameMllp } from '../src/hl7/mllp-frame.js';

export interface IngestResult {
  orders: number;
  seconds: number;
  /** ACK latencies in ms, sorted. */
  latencies: number[];
  refused: number;
}

async function openConnection(port: number): Promise<{ socket: Socket; nextFrame(): Promise<Buffer> }> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.setNoDelay(true);
  const decoder = new MllpFrameDecoder(1 << 20);
  const frames: Buffer[] = [];
  let waiting: ((frame: Buffer) => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    for (const event of decoder.push(chunk)) {
      if (event.type !== 'frame') continue;
      if (waiting) {
        const w = waiting;
        waiting = undefined;
        w(event.bytes);
      } else frames.push(event.bytes);
    }
  });
  return {
    socket,
    nextFrame: () => (frames.length ? Promise.resolve(frames.shift()!) : new Promise((resolve) => (waiting = resolve))),
  };
}

/** Orders sent as fast as the ACKs come back, on `connections` connections; latency from each send to its ACK. */
export function ingestOrders(port: number, messages: string[], connections: number): Promise<IngestResult> {
  return sendOrders(port, messages, connections);
}

/**
 * Orders offered at a fixed rate: order i is due i/rate seconds after the start and is sent by the
 * next free connection once due; its latency runs from when it was due to its ACK, so time spent
 * waiting for a free connection (a backlog) counts.
 */
export function ingestAtRate(port: number, messages: string[], connections: number, perSecond: number): Promise<IngestResult> {
  return sendOrders(port, messages, connections, perSecond);
}

/** Each connection takes the next order, sends it (once due, at an offered rate) and waits for its ACK. */
async function sendOrders(port: number, messages: string[], connections: number, perSecond?: number): Promise<IngestResult> {
  const latencies: number[] = [];
  let refused = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      const conn = await openConnection(port);
      for (let i = next++; i < messages.length; i = next++) {
        let from = performance.now();
        if (perSecond !== undefined) {
          from = started + (i * 1000) / perSecond;
          const wait = from - performance.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        }
        conn.socket.write(frameMllp(Buffer.from(messages[i]!, 'utf8')));
        const ack = (await conn.nextFrame()).toString('utf8');
        latencies.push(performance.now() - from);
        if (!/\rMSA\|AA\|/.test(ack)) refused++;
      }
      conn.socket.end();
    }),
  );
  latencies.sort((a, b) => a - b);
  return { orders: messages.length, seconds: (performance.now() - started) / 1000, latencies, refused };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
