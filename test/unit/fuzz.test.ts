/**
 * Property test: random and mutated HL7 input never makes the decoder, parser, mapping selection
 * or mapper throw anything but a typed BridgeError, and the pipeline always produces an ACK.
 * Deterministic (seeded), FUZZ_CASES cases (default 3,000, as CI runs it; FUZZ_CASES=100000 for a
 * longer search).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BridgeError } from '../../src/errors.js';
import { decodeHl7Message } from '../../src/hl7/message.js';
import { runOrderPipeline, ackErrorFor, ackFor } from '../../src/hl7/pipeline.js';
import { evaluateMapping } from '../../src/mapping/evaluate.js';
import { messageHeader } from '../../src/mapping/message.js';
import { loadShippedMappings } from '../helpers/mappings.js';
import { seededRandom } from '../helpers/random.js';
import { projectDir } from '../helpers/project-dir.js';

const mappings = loadShippedMappings();
const seeds = readdirSync(join(projectDir, 'samples'))
  .filter((f) => f.endsWith('.hl7'))
  .map((f) => readFileSync(join(projectDir, 'samples', f)));
const CASES = Number(process.env.FUZZ_CASES ?? 3000);

const rng = seededRandom;

const SPECIAL = Buffer.from('|^~\\&\r\n\x0b\x1c\x00\xff\xc3MSHPIDORCOBRIPC0123456789 ');
const SEGMENTS = ['MSH|^~\\&|', 'PID|', 'ORC|', 'OBR|', 'IPC|', 'ZDS|', 'TQ1|', 'PV1|', 'MSH|', 'XXX|', '|||', '^^^', '~~', '\\X\\', '\\Xzz\\', '\\'];

function mutate(input: Buffer, next: () => number): Buffer {
  const pick = (n: number) => Math.floor(next() * n);
  let bytes = Buffer.from(input);
  const rounds = 1 + pick(8);
  for (let r = 0; r < rounds; r++) {
    const at = pick(bytes.length + 1);
    switch (pick(8)) {
      case 0: // flip a byte
        if (bytes.length) bytes[Math.min(at, bytes.length - 1)] = pick(256);
        break;
      case 1: // insert a delimiter or special byte
        bytes = Buffer.concat([bytes.subarray(0, at), SPECIAL.subarray(pick(SPECIAL.length)).subarray(0, 1), bytes.subarray(at)]);
        break;
      case 2: // delete a span
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + pick(20))]);
        break;
      case 3: // truncate
        bytes = bytes.subarray(0, at);
        break;
      case 4: // insert a segment-ish token
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(SEGMENTS[pick(SEGMENTS.length)]!, 'latin1'), bytes.subarray(at)]);
        break;
      case 5: {
        // duplicate a span
        const len = pick(60);
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at, at + len), bytes.subarray(at)]);
        break;
      }
      case 6: // random bytes
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(Array.from({ length: pick(16) }, () => pick(256))), bytes.subarray(at)]);
        break;
      default: // splice in part of another sample
        bytes = Buffer.concat([bytes.subarray(0, at), seeds[pick(seeds.length)]!.subarray(pick(200))]);
    }
  }
  return bytes;
}

describe('fuzz: HL7 decoding and mapping', () => {
  it(`${CASES} random and mutated messages raise only typed errors`, () => {
    const next = rng(20261123);
    const counts = { mapped: 0, rejected: 0 };
    for (let i = 0; i < CASES; i++) {
      const input =
        i % 10 === 0 ? Buffer.from(Array.from({ length: Math.floor(next() * 300) }, () => Math.floor(next() * 256))) : mutate(seeds[i % seeds.length]!, next);
      try {
        const { message } = decodeHl7Message(input);
        if (!messageHeader(message).controlId) throw new BridgeError('HL7_REQUIRED_FIELD_MISSING', 'no MSH-10');
        evaluateMapping(mappings.select(messageHeader(message)), message, { uidRoot: '2.25' });
        counts.mapped++;
      } catch (err) {
        if (!(err instanceof BridgeError)) {
          assert.fail(`case ${i} threw ${(err as Error).stack}\ninput: ${JSON.stringify(input.toString('latin1'))}`);
        }
        counts.rejected++;
      }
      // The listener's pipeline answers every input with an ACK (AA echoes MSH-10; an empty one, accepted by default, as an empty MSA-2).
      const result = runOrderPipeline(input, { mappings: () => mappings, uidRoot: '2.25', bridgeApplication: 'MWL' });
      const ack = result.ok ? ackFor(result, 'AA', undefined, 'MWL') : ackFor(result, ackErrorFor(result.error).code, ackErrorFor(result.error).error, 'MWL');
      assert.match(ack, result.header.controlId ? /^MSH\|\^~\\&\|[^\r]*\rMSA\|(AA\|[^\r|]+|A[ER]\|)/ : /^MSH\|\^~\\&\|[^\r]*\rMSA\|(AA\r|A[ER]\|)/);
    }
    // Both paths were exercised, so the test means something.
    assert.ok(counts.mapped > CASES / 50, `mapped ${counts.mapped}`);
    assert.ok(counts.rejected > CASES / 50, `rejected ${counts.rejected}`);
  });
});
