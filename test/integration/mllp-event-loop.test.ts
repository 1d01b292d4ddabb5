/**
 * No single message may hold the event loop (issue 16, finding 5): the bridge's MLLP listener, order
 * handler and store run in this process, a raw socket sends messages that are expensive to parse,
 * and a 5 ms interval timer measures how long the event loop was held meanwhile. Before, a 1 MB
 * order of 209,000 NTE segments held it for ~10 s (and every C-ECHO with it); a 900 KB field of
 * 450,000 components is ~1 s of hl7-standard parsing.
 */
import { after, before, describe, it } from '../helpers/suites.js';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PipelineRunner } from '../../src/hl7/pipeline-runner.js';
import { MllpListener } from '../../src/hl7/mllp.js';
import { createOrderMessageHandler, createOversizeReply } from '../../src/hl7/order-handler.js';
import { silentLogger } from '../../src/log.js';
import { WorklistStore } from '../../src/store/worklist-store.js';
import { OrderService } from '../../src/worklist/orders.js';
import { loadShippedMappings, SHIPPED_MAPPINGS } from '../helpers/mappings.js';
import { projectDir } from '../helpers/project-dir.js';
import { RawMllpClient, msa } from '../helpers/mllp-client.js';
import { order } from '../helpers/orders.js';
import { tempDir } from '../helpers/peers.js';
import { readMappingSources } from '../../src/app/mappings.js';

/** Generous for a loaded 2-core machine; parsing these messages inline takes 0.5-10 s. */
const MAX_BLOCK_MS = 300;

/** Runs fn while timing the event loop; resolves with fn's result and the longest stall seen. */
async function withStallMeter<T>(fn: () => Promise<T>): Promise<{ result: T; maxStallMs: number }> {
  let maxStallMs = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    maxStallMs = Math.max(maxStallMs, now - last - 5);
    last = now;
  }, 5);
  try {
    const result = await fn();
    return { result, maxStallMs };
  } finally {
    clearInterval(timer);
  }
}

describe('MLLP: no message holds the event loop', () => {
  let store: WorklistStore;
  let listener: MllpListener;
  let runner: PipelineRunner;
  let port: number;

  before(async () => {
    store = WorklistStore.open(join(tempDir('mwl-loop-'), 'wl.db'));
    const orders = new OrderService(store);
    const mappings = loadShippedMappings();
    runner = new PipelineRunner(
      { mappings: () => mappings, uidRoot: '2.25', bridgeApplication: 'MWL', limits: { maxSegments: 1000, maxFieldsPerSegment: 500 } },
      readMappingSources(SHIPPED_MAPPINGS.map((f) => join(projectDir, 'mappings', f))),
    );
    listener = new MllpListener({
      host: '127.0.0.1',
      port: 0,
      maxFrameBytes: 2 * 1024 * 1024,
      logger: silentLogger,
      onMessage: createOrderMessageHandler({ bridgeApplication: 'MWL', orders, logger: silentLogger, runner }),
      onOversize: createOversizeReply({ bridgeApplication: 'MWL', maxFrameBytes: 2 * 1024 * 1024, orders, logger: silentLogger }),
    });
    port = await listener.start();
  });
  after(async () => {
    await listener.stop();
    await runner.close();
    store.close();
  });

  async function send(message: string): Promise<{ reply: string; maxStallMs: number }> {
    const client = await RawMllpClient.connect(port);
    try {
      const { result, maxStallMs } = await withStallMeter(async () => {
        client.send(message);
        return client.replies(1, 60000);
      });
      assert.equal(result.length, 1, 'one reply');
      return { reply: result[0]!, maxStallMs };
    } finally {
      client.close();
    }
  }

  it('a segment bomb (1 MB of 209,000 NTE segments) is answered AR naming hl7.maxSegments, at once', async () => {
    const bomb = order({ controlId: 'BOMB1' }) + 'NTE|\r'.repeat(209000);
    const { reply, maxStallMs } = await send(bomb);
    assert.deepEqual(msa(reply), ['AR', 'BOMB1']);
    assert.match(reply, /more than 1000 segments \(hl7\.maxSegments\)/);
    assert.match(reply, /\rERR\|[^\r]*207/);
    assert.ok(maxStallMs < MAX_BLOCK_MS, `event loop held ${maxStallMs.toFixed(0)} ms`);
  });

  it('a field bomb (one segment of 100,000 fields) is answered AR naming hl7.maxFieldsPerSegment', async () => {
    const { reply, maxStallMs } = await send(order({ controlId: 'BOMB2', extra: ['NTE' + '|x'.repeat(100000)] }));
    assert.deepEqual(msa(reply), ['AR', 'BOMB2']);
    assert.match(reply, /more than 500 fields \(hl7\.maxFieldsPerSegment\)/);
    assert.ok(maxStallMs < MAX_BLOCK_MS, `event loop held ${maxStallMs.toFixed(0)} ms`);
  });

  // Within the limits, but ~1 s of parsing each: decoded on the worker thread.
  for (const [kind, filler, id] of [
    ['450,000 components in one field', 'a^', 'COMPS'],
    ['450,000 repetitions in one field', 'a~', 'REPS'],
  ] as const) {
    it(`a message of ${kind} is parsed off the event loop and answered`, async () => {
      const { reply, maxStallMs } = await send(order({ controlId: id, accession: `ACC${id}`, extra: [`NTE|1||${filler.repeat(450000)}`] }));
      assert.deepEqual(msa(reply), ['AA', id]);
      assert.ok(maxStallMs < MAX_BLOCK_MS, `event loop held ${maxStallMs.toFixed(0)} ms`);
    });
  }

  it('900 segments of 499 fields each (within both limits) are parsed off the event loop', async () => {
    const segments = Array.from({ length: 900 }, () => 'NTE' + '|a'.repeat(499));
    const { reply, maxStallMs } = await send(order({ controlId: 'WIDE', accession: 'ACCWIDE', extra: segments }));
    assert.deepEqual(msa(reply), ['AA', 'WIDE']);
    assert.ok(maxStallMs < MAX_BLOCK_MS, `event loop held ${maxStallMs.toFixed(0)} ms`);
  });
});
