/**
 * Latency of single C-FIND queries, each timed from its request to its final response, over
 * associations held open (test/helpers/dicom-wire.ts's WireClient, Nagle off): one association
 * in turn for a selective query's p50/p99, or many at once (each running its queries back to
 * back, with no pause) for the latency under load.
 */
import type { DicomJson } from '../src/model/item.js';
import { EXPLICIT_LE, MWL_FIND, WireClient, cFind, dataset, releaseRequest } from '../test/helpers/dicom-wire.js';
import { percentile } from './mllp-load.js';

export interface LatencyResult {
  queries: number;
  failed: number;
  p50: number;
  p99: number;
  max: number;
  seconds: number;
  /** Why queries failed, with counts (association rejected, no answer in time, a failure status...). */
  failures: Record<string, number>;
}

/** A selective query by Patient ID, with the bench's return keys. */
export function patientIdQuery(patientId: string): DicomJson {
  return {
    '00100010': { vr: 'PN' },
    '00100020': { vr: 'LO', Value: [patientId] },
    '00080050': { vr: 'SH' },
    '00400100': { vr: 'SQ', Value: [{ '00080060': { vr: 'CS' }, '00400001': { vr: 'AE' }, '00400002': { vr: 'DA' } }] },
  };
}

async function runAssociation(port: number, aeTitle: string, identifiers: DicomJson[], latencies: number[], failures: Record<string, number>): Promise<void> {
  const fail = (why: string, count = 1): void => {
    failures[why] = (failures[why] ?? 0) + count;
  };
  const client = await WireClient.connect(port);
  try {
    client.socket.setNoDelay(true);
    const ac = await client.associate(
      { called: aeTitle, calling: 'BENCH', contexts: [{ id: 1, abstractSyntax: MWL_FIND, transferSyntaxes: [EXPLICIT_LE] }] },
      30000,
    );
    if (ac?.type !== 0x02) {
      fail(ac ? `association answered with PDU type ${ac.type}` : 'no association answer in 30 s', identifiers.length);
      return;
    }
    let messageId = 1;
    for (const identifier of identifiers) {
      const from = client.messages.length;
      const started = performance.now();
      client.sendMessage(1, cFind(messageId++), dataset(identifier));
      const final = await client.finalResponse(from, 30000);
      if (final?.status === 0) latencies.push(performance.now() - started);
      else fail(final ? `final status 0x${final.status?.toString(16) ?? '?'}` : client.closed ? 'association closed' : 'no final response in 30 s');
      // Only the final response is needed: what came before it is dropped as it is read.
      client.messages.length = 0;
    }
    client.send(releaseRequest());
    await client.waitFor(() => client.closed, 2000);
  } finally {
    client.close();
  }
}

/** Runs each association's queries (one list per association), all associations at once. */
export async function queryLatencies(port: number, aeTitle: string, perAssociation: DicomJson[][]): Promise<LatencyResult> {
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  const started = performance.now();
  await Promise.all(
    perAssociation.map((identifiers) =>
      runAssociation(port, aeTitle, identifiers, latencies, failures).catch((err: unknown) => {
        failures[String(err)] = (failures[String(err)] ?? 0) + identifiers.length;
      }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const queries = perAssociation.reduce((n, list) => n + list.length, 0);
  return {
    queries,
    failed: queries - latencies.length,
    failures,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1] ?? NaN,
    seconds,
  };
}
