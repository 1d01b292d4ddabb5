/**
 * Hostile DICOM sessions for the fuzz test and the soak run: mutations of PDUs captured from real
 * peers (test/fixtures/dicom-pdus.json) and random PDUs, sent over fresh connections in random
 * chunks. Deterministic for a seed.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { projectDir } from './project-dir.js';
import { seededRandom } from './random.js';

export interface CapturedSession {
  name: string;
  pdus: Buffer[];
}

export function capturedSessions(): CapturedSession[] {
  const file = join(projectDir, 'test', 'fixtures', 'dicom-pdus.json');
  const json = JSON.parse(readFileSync(file, 'utf8')) as { sessions: Array<{ name: string; pdus: string[] }> };
  return json.sessions.map((s) => ({ name: s.name, pdus: s.pdus.map((h) => Buffer.from(h, 'hex')) }));
}

/** A session with the called AE title of the SCP under test (the captures were made against MWL_TEST). */
export function withCalledAeTitle(session: CapturedSession, aeTitle: string): CapturedSession {
  return {
    name: session.name,
    pdus: session.pdus.map((pdu) => {
      if (pdu[0] !== 0x01) return pdu;
      const copy = Buffer.from(pdu);
      copy.write(aeTitle.padEnd(16, ' ').slice(0, 16), 10, 'latin1');
      return copy;
    }),
  };
}

const INTERESTING_8 = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x20, 0x5c];
const INTERESTING_32 = [0, 1, 2, 4, 5, 6, 0x7f, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0xffffffff];

export class DicomMutator {
  private readonly next: () => number;

  constructor(
    seed: number,
    private readonly seeds: CapturedSession[],
  ) {
    this.next = seededRandom(seed);
  }

  private pick(n: number): number {
    return Math.floor(this.next() * n);
  }

  private randomBytes(n: number): Buffer {
    return Buffer.from(Array.from({ length: n }, () => this.pick(256)));
  }

  /** A random PDU: a known or unknown type, a plausible or absurd length, random body. */
  randomPdu(): Buffer {
    const body = this.randomBytes(this.pick(300));
    const header = Buffer.alloc(6);
    header[0] = this.pick(10) === 0 ? this.pick(256) : 1 + this.pick(7);
    header.writeUInt32BE(this.pick(4) === 0 ? INTERESTING_32[this.pick(INTERESTING_32.length)]! : body.length, 2);
    return Buffer.concat([header, body]);
  }

  /** One mutated copy of a captured session (a list of PDUs), or a session of random PDUs. */
  session(): Buffer[] {
    if (this.pick(10) === 0) return Array.from({ length: 1 + this.pick(4) }, () => this.randomPdu());
    const base = this.seeds[this.pick(this.seeds.length)]!;
    let pdus: Buffer[] = base.pdus.map((p) => Buffer.from(p));
    const rounds = 1 + this.pick(4);
    for (let r = 0; r < rounds; r++) pdus = this.mutate(pdus);
    return pdus;
  }

  private mutate(pdus: Buffer[]): Buffer[] {
    if (pdus.length === 0) return [this.randomPdu()];
    const i = this.pick(pdus.length);
    const pdu = pdus[i]!;
    const at = 6 + this.pick(Math.max(1, pdu.length - 6));
    switch (this.pick(11)) {
      case 0: // flip bits of a byte
        if (at < pdu.length) pdu[at]! ^= 1 << this.pick(8);
        break;
      case 1: // an interesting byte
        if (at < pdu.length) pdu[at] = INTERESTING_8[this.pick(INTERESTING_8.length)]!;
        break;
      case 2: // an interesting 16- or 32-bit value (lengths, IDs), either byte order
        if (at + 4 <= pdu.length) {
          const v = INTERESTING_32[this.pick(INTERESTING_32.length)]!;
          if (this.pick(2)) pdu.writeUInt32BE(v, at);
          else pdu.writeUInt32LE(v, at);
        }
        break;
      case 3: // the PDU length itself
        if (pdu.length >= 6)
          pdu.writeUInt32BE(this.pick(3) === 0 ? INTERESTING_32[this.pick(INTERESTING_32.length)]! : Math.max(0, pdu.length - 6 + this.pick(9) - 4), 2);
        break;
      case 4: // truncate
        pdus[i] = pdu.subarray(0, this.pick(pdu.length));
        break;
      case 5: // drop
        pdus.splice(i, 1);
        break;
      case 6: // duplicate
        pdus.splice(i, 0, Buffer.from(pdu));
        break;
      case 7: // swap with another
        {
          const j = this.pick(pdus.length);
          [pdus[i], pdus[j]] = [pdus[j]!, pdus[i]!];
        }
        break;
      case 8: // splice in a PDU of another captured session
        {
          const other = this.seeds[this.pick(this.seeds.length)]!;
          pdus.splice(i, 0, Buffer.from(other.pdus[this.pick(other.pdus.length)]!));
        }
        break;
      case 9: // insert random bytes inside
        pdus[i] = Buffer.concat([pdu.subarray(0, at), this.randomBytes(1 + this.pick(64)), pdu.subarray(at)]);
        break;
      default: // a random PDU
        pdus.splice(i, 0, this.randomPdu());
    }
    return pdus;
  }

  /**
   * How a session goes over the wire, as a peer sends it: up to and including each association
   * request, then a wait for the SCP's answer, then the rest; each part cut into random chunks (so
   * PDU headers and bodies arrive split).
   */
  steps(pdus: Buffer[]): Buffer[][] {
    const parts: Buffer[][] = [[]];
    for (const pdu of pdus) {
      parts[parts.length - 1]!.push(pdu);
      if (pdu[0] === 0x01) parts.push([]);
    }
    return parts.filter((p) => p.length > 0).map((p) => this.chunks(Buffer.concat(p)));
  }

  private chunks(bytes: Buffer): Buffer[] {
    const out: Buffer[] = [];
    for (let at = 0; at < bytes.length;) {
      const size = this.pick(3) === 0 ? 1 + this.pick(8) : 1 + this.pick(2048);
      out.push(bytes.subarray(at, at + size));
      at += size;
    }
    return out;
  }
}

/**
 * Sends one session's steps over a fresh connection: each step's chunks, then a wait for something
 * from the SCP (or quietMs without anything); stops when the SCP closes. Resolves with the types of
 * the PDUs that came back.
 */
export function sendSession(
  port: number,
  steps: Buffer[][],
  opts: { quietMs?: number; maxMs?: number } = {},
): Promise<{ closedByScp: boolean; pduTypes: number[] }> {
  const quietMs = opts.quietMs ?? 150;
  const maxMs = opts.maxMs ?? 3000;
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let closedByScp = false;
    let pending = Buffer.alloc(0);
    const pduTypes: number[] = [];
    let step = 0;
    let quiet: NodeJS.Timeout | undefined;
    const done = (): void => {
      clearTimeout(quiet);
      clearTimeout(hard);
      socket.destroy();
      resolve({ closedByScp, pduTypes });
    };
    const hard = setTimeout(done, maxMs);
    /** Sends the next step, or ends the session when none is left. */
    const sendNext = (): void => {
      clearTimeout(quiet);
      const chunks = steps[step++];
      if (!chunks || socket.destroyed) {
        done();
        return;
      }
      for (const chunk of chunks) socket.write(chunk);
      quiet = setTimeout(sendNext, quietMs);
    };
    socket.on('connect', sendNext);
    socket.on('data', (d: Buffer) => {
      pending = Buffer.concat([pending, d]);
      while (pending.length >= 6 && pending.length >= 6 + pending.readUInt32BE(2)) {
        pduTypes.push(pending[0]!);
        pending = pending.subarray(6 + pending.readUInt32BE(2));
      }
      // An answer came: go on with the next step soon (let the rest of the answer arrive first).
      clearTimeout(quiet);
      quiet = setTimeout(sendNext, 5);
    });
    socket.on('end', () => {
      closedByScp = true;
      done();
    });
    socket.on('error', () => {
      done();
    });
  });
}
