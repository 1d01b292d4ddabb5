/**
 * Every metric the HTTP issue lists is in /metrics, and moves as real peers use the bridge: orders
 * over MLLP (mllp_send) by type, ACK code and outcome, with the ACK latency histogram; C-FIND
 * (findscu) and DICOMweb searches by calling AE title with latency and answer counts; associations
 * rejected by reason (echoscu to the wrong AE title); MLLP connections; items by status; the
 * mirror's backlog and failures; event-loop lag.
 */
import { after, before, describe, it } from '../helpers/suites.js';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { echoscu, findscu, ifStarted, mllpSendText, skipWithout, startBridge, tempDir, type RunningBridge } from '../helpers/peers.js';
import { order } from '../helpers/orders.js';

const skip = skipWithout('mllp_send', 'findscu', 'echoscu');

/** Every sample of an exposition, by its name with labels as written. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

const METRICS = [
  ['mwl_bridge_hl7_messages_total', 'counter'],
  ['mwl_bridge_hl7_ack_seconds', 'histogram'],
  ['mwl_bridge_worklist_searches_total', 'counter'],
  ['mwl_bridge_worklist_search_seconds', 'histogram'],
  ['mwl_bridge_worklist_search_answers', 'histogram'],
  ['mwl_bridge_worklist_search_answers_total', 'counter'],
  ['mwl_bridge_worklist_search_seconds_total', 'counter'],
  ['mwl_bridge_dicom_associations_open', 'gauge'],
  ['mwl_bridge_dicom_associations_rejected_total', 'counter'],
  ['mwl_bridge_mllp_connections_open', 'gauge'],
  ['mwl_bridge_mllp_connections_total', 'counter'],
  ['mwl_bridge_mllp_connections_refused_total', 'counter'],
  ['mwl_bridge_mirror_backlog', 'gauge'],
  ['mwl_bridge_mirror_failures_total', 'counter'],
  ['mwl_bridge_worklist_items', 'gauge'],
  ['mwl_bridge_nodejs_eventloop_lag_seconds', 'gauge'],
] as const;

describe('/metrics', { skip }, () => {
  let bridge: RunningBridge;
  let mirrorDir: string;
  const scrape = async (): Promise<{ text: string; values: Map<string, number> }> => {
    const text = await (await fetch(`http://127.0.0.1:${bridge.httpPort}/metrics`)).text();
    return { text, values: samples(text) };
  };
  before(async () => {
    mirrorDir = tempDir('mwl-metrics-mirror-');
    bridge = await startBridge(['--mirror-dir', join(mirrorDir, 'wl')]);
  });
  after(async () => {
    await ifStarted(bridge)?.stop();
    rmSync(mirrorDir, { recursive: true, force: true });
  });

  it('has every metric the issue lists, of its type', async () => {
    const { text } = await scrape();
    for (const [name, type] of METRICS) assert.match(text, new RegExp(`^# TYPE ${name} ${type}$`, 'm'), name);
  });

  it('moves as an order arrives over MLLP, is resent and is refused, and as findscu, DICOMweb and a wrong AE title ask', async () => {
    const { values: was } = await scrape();
    const moved = (now: Map<string, number>, name: string): number => (now.get(name) ?? 0) - (was.get(name) ?? 0);

    const orm = order({ controlId: 'MET1', accession: 'ACC-MET1', patientId: 'PAT-MET' });
    assert.equal(mllpSendText(bridge.mllpPort, orm)[0]?.[1]?.split('|')[1], 'AA');
    assert.equal(mllpSendText(bridge.mllpPort, orm)[0]?.[1]?.split('|')[1], 'AA', 'a resend: the original ACK again');
    const refused = mllpSendText(bridge.mllpPort, order({ controlId: 'MET2', accession: 'ACC-MET2', patientId: '' }))[0]?.[1]?.split('|')[1];
    assert.ok(refused === 'AR' || refused === 'AE', `refused with ${refused}`);

    const found = findscu(bridge.dicomPort, bridge.aeTitle, ['PatientID=PAT-MET', 'AccessionNumber'], { extra: ['-aet', 'METRICS_CT'] });
    assert.equal(found.answers.length, 1);
    const web = await fetch(`http://127.0.0.1:${bridge.httpPort}/dicom-web/modality-scheduled-procedure-steps?PatientID=PAT-MET`);
    assert.equal(web.status, 200);
    assert.notEqual(echoscu(bridge.dicomPort, 'NOT_THE_BRIDGE'), 0, 'the wrong called AE title is rejected');

    const { values: now } = await scrape();
    assert.equal(moved(now, 'mwl_bridge_hl7_messages_total{type="ORM^O01",ack="AA",outcome="stored"}'), 1);
    assert.equal(moved(now, 'mwl_bridge_hl7_messages_total{type="ORM^O01",ack="AA",outcome="duplicate"}'), 1);
    assert.equal(moved(now, `mwl_bridge_hl7_messages_total{type="ORM^O01",ack="${refused}",outcome="rejected"}`), 1);
    assert.equal(moved(now, 'mwl_bridge_hl7_ack_seconds_count'), 3);
    assert.ok(moved(now, 'mwl_bridge_hl7_ack_seconds_sum') > 0);
    assert.equal(moved(now, 'mwl_bridge_mllp_connections_total'), 3, 'one connection a mllp_send');

    assert.equal(moved(now, 'mwl_bridge_worklist_searches_total{protocol="dimse",calling_ae="METRICS_CT"}'), 1);
    assert.equal(moved(now, 'mwl_bridge_worklist_search_answers_total{protocol="dimse",calling_ae="METRICS_CT"}'), 1);
    assert.ok(moved(now, 'mwl_bridge_worklist_search_seconds_total{protocol="dimse",calling_ae="METRICS_CT"}') > 0);
    assert.equal(moved(now, 'mwl_bridge_worklist_searches_total{protocol="dicomweb",calling_ae="http"}'), 1);
    assert.equal(moved(now, 'mwl_bridge_worklist_search_answers_total{protocol="dicomweb",calling_ae="http"}'), 1);
    assert.equal(moved(now, 'mwl_bridge_worklist_search_seconds_count{protocol="dimse"}'), 1);
    assert.equal(moved(now, 'mwl_bridge_worklist_search_answers_sum{protocol="dicomweb"}'), 1);

    assert.equal(moved(now, 'mwl_bridge_dicom_associations_rejected_total{reason="calledAeNotRecognized"}'), 1);
    assert.equal(now.get('mwl_bridge_dicom_associations_open'), 0);
    assert.equal(moved(now, 'mwl_bridge_worklist_items{status="SCHEDULED"}'), 1);
    assert.equal(now.get('mwl_bridge_mirror_failures_total'), 0);
    assert.ok((now.get('mwl_bridge_mirror_backlog') ?? -1) >= 0);
    assert.ok((now.get('mwl_bridge_nodejs_eventloop_lag_seconds') ?? -1) >= 0);
  });
});
