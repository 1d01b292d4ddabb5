/**
 * Golden tests: every sample in samples/ maps to the item recorded in samples/expected/.
 * Each sample's file name says what it shows; those of issue 18 (real RIS feeds) show which values
 * were derived and why. Samples from STRICT_RIS use the per-sender profile mappings/examples/strict-ris.yaml.
 * After a deliberate change, review `mwl-bridge map` output and rewrite them with
 * UPDATE_GOLDEN=1 npm run test:unit.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BridgeError } from '../../src/errors.js';
import { decodeHl7Message } from '../../src/hl7/message.js';
import { evaluateMapping } from '../../src/mapping/evaluate.js';
import { messageHeader } from '../../src/mapping/message.js';
import { loadShippedMappings } from '../helpers/mappings.js';
import { checkOrderSupported } from '../../src/worklist/order-controls.js';
import { projectDir } from '../helpers/project-dir.js';

const samplesDir = join(projectDir, 'samples');
const expectedDir = join(samplesDir, 'expected');
const mappings = loadShippedMappings();

function mapSample(file: string): unknown {
  try {
    const { message } = decodeHl7Message(readFileSync(join(samplesDir, file)));
    const mapping = mappings.select(messageHeader(message));
    const order = evaluateMapping(mapping, message, { uidRoot: '2.25' });
    checkOrderSupported(order);
    return {
      mapping: order.mapping,
      procedures: order.procedures.map((p) => ({
        orderControl: p.orderControl,
        orderStatus: p.orderStatus,
        attributes: Object.fromEntries(p.trace.map((t) => [t.attribute, `${t.value}  <- ${t.source}`])),
        // Values not from their entry's first source, with why (issue 18: never invented in silence).
        ...(p.trace.some((t) => t.derived)
          ? { derived: Object.fromEntries(p.trace.flatMap((t) => (t.derived ? [[t.attribute, `${t.derived.kind}: ${t.derived.reason}`]] : []))) }
          : {}),
        ...(p.nonImaging ? { ignored: `not an imaging order: ${p.nonImaging.reason}` } : {}),
      })),
    };
  } catch (err) {
    if (!(err instanceof BridgeError)) throw err;
    return { rejected: { code: err.code, location: err.location ?? null } };
  }
}

const samples = readdirSync(samplesDir)
  .filter((f) => f.endsWith('.hl7'))
  .sort();

describe('golden: samples map to their expected items', () => {
  it('has at least 12 samples, each with an expected result', () => {
    assert.ok(samples.length >= 12, `${samples.length} samples`);
  });
  for (const sample of samples) {
    it(sample, () => {
      const expectedFile = join(expectedDir, sample.replace(/\.hl7$/, '.json'));
      const actual = mapSample(sample);
      if (process.env.UPDATE_GOLDEN === '1') {
        mkdirSync(expectedDir, { recursive: true });
        writeFileSync(expectedFile, JSON.stringify(actual, null, 2) + '\n');
      }
      assert.ok(existsSync(expectedFile), `missing ${expectedFile} (UPDATE_GOLDEN=1 writes it)`);
      assert.deepEqual(actual, JSON.parse(readFileSync(expectedFile, 'utf8')));
    });
  }
});
