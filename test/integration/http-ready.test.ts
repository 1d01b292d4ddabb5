/**
 * /ready's three checks failing one at a time on a running bridge: the mirror's backlog over
 * http.readyMaxMirrorBacklog (a mirror folder that cannot be written), and the store no longer
 * writable (its database file removed: seen by /ready itself, before any order fails). /health stays
 * 200 throughout: the process is alive.
 */
import { after, describe, it } from '../helpers/suites.js';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mllpSendText, skipWithout, startBridge, tempDir, type RunningBridge } from '../helpers/peers.js';
import { order } from '../helpers/orders.js';

const skip = skipWithout('mllp_send');

interface Readiness {
  status: string;
  checks: Partial<Record<string, { ok: boolean; detail: string }>>;
}

describe('/ready when not ready', { skip }, () => {
  const started: RunningBridge[] = [];
  after(async () => {
    for (const bridge of started) await bridge.stop();
  });
  const ready = async (bridge: RunningBridge): Promise<{ status: number; body: Readiness }> => {
    const r = await fetch(`http://127.0.0.1:${bridge.httpPort}/ready`);
    return { status: r.status, body: (await r.json()) as Readiness };
  };

  it('answers 503 naming the mirror while its backlog is over the bound', async () => {
    const dir = tempDir();
    // A regular file where the mirror's folder should be: no change can be written.
    const blocked = join(dir, 'not-a-folder');
    writeFileSync(blocked, '');
    const bridge = await startBridge(['--mirror-dir', join(blocked, 'wl'), '--http-ready-max-mirror-backlog', '0', '--mirror-retry-seconds', '60'], { dir });
    started.push(bridge);
    assert.equal((await ready(bridge)).status, 200, 'nothing to write yet');
    assert.equal(mllpSendText(bridge.mllpPort, order({ controlId: 'RDY1', accession: 'ACC-RDY1' }))[0]?.[1]?.split('|')[1], 'AA');
    await bridge.waitForLog(/mirror\.\S*fail/);
    const { status, body } = await ready(bridge);
    assert.equal(status, 503);
    assert.equal(body.status, 'not ready');
    assert.equal(body.checks.mirror?.ok, false);
    assert.match(body.checks.mirror.detail, /^[1-9]\d* changes to write \(at most 0\)$/);
    assert.equal(body.checks.store?.ok, true);
    assert.equal((await fetch(`http://127.0.0.1:${bridge.httpPort}/health`)).status, 200);
  });

  it('answers 503 naming the store once its database file is removed', async () => {
    const bridge = await startBridge();
    started.push(bridge);
    assert.equal((await ready(bridge)).status, 200);
    rmSync(bridge.dbPath);
    const { status, body } = await ready(bridge);
    assert.equal(status, 503);
    assert.equal(body.checks.store?.ok, false);
    assert.match(body.checks.store.detail, /database file .* while the bridge was running/);
    assert.equal(body.checks.dicom?.ok, true);
    assert.equal((await fetch(`http://127.0.0.1:${bridge.httpPort}/health`)).status, 200);
  });
});
