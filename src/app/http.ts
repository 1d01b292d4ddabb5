/**
 * Wires the HTTP server to the bridge: the worklist search with the same service and policies as
 * the C-FIND SCP, the readiness checks, and the metrics. http/ sees only these closures.
 */
import type { BridgeConfig } from '../config/schema.js';
import { HttpServer } from '../http/server.js';
import type { ReadinessCheck } from '../http/services.js';
import type { Logger } from '../log.js';
import type { WorklistStore } from '../store/worklist-store.js';
import { streamWorklistAnswers } from '../worklist/find.js';
import type { PrometheusMetrics } from './prometheus.js';

export interface HttpDeps {
  store: WorklistStore;
  metrics: PrometheusMetrics;
  /** The protocol listeners, by name, and whether each is up (a listener turned off is not listed). */
  listeners(): Record<string, boolean>;
  /** Changes the folder mirror has still to write, or undefined without a mirror. */
  mirrorBacklog(): number | undefined;
}

/** Starts the HTTP server unless http.port is off; resolves with it and its bound port. */
export async function startHttp(config: BridgeConfig, deps: HttpDeps, logger: Logger): Promise<{ server: HttpServer; port: number } | undefined> {
  const port = config['http.port'];
  if (port === 'off') {
    logger.info('http.disabled', { reason: 'http.port is off' });
    return undefined;
  }
  const { store, metrics } = deps;
  const maxBacklog = config['http.readyMaxMirrorBacklog'];
  const server = new HttpServer(
    { host: config['http.host'], port, maxResults: config['http.maxResults'] },
    {
      // The DIMSE defaults for a client without an AE title of its own (no per-AE settings apply).
      search: (identifier, opts) =>
        streamWorklistAnswers(store, identifier, {
          personNameCaseInsensitive: config['dicom.personNameMatching'] === 'case-insensitive',
          maxAnswers: opts.maxAnswers,
          wholeItems: opts.wholeItems,
        }),
      readiness: () => {
        const checks: Record<string, ReadinessCheck> = {};
        const unavailable = store.unavailableError;
        checks.store = unavailable ? { ok: false, detail: unavailable.message } : { ok: true, detail: 'writable' };
        for (const [name, up] of Object.entries(deps.listeners())) checks[name] = { ok: up, detail: up ? 'listening' : 'not listening' };
        const backlog = deps.mirrorBacklog();
        if (backlog !== undefined) checks.mirror = { ok: backlog <= maxBacklog, detail: `${backlog} changes to write (at most ${maxBacklog})` };
        return checks;
      },
      metrics,
      metricsText: async () => ({ text: await metrics.text(), contentType: metrics.contentType }),
    },
    logger,
  );
  const bound = await server.start();
  logger.info('http.ready', { host: config['http.host'], port: bound, bound: server.address()?.address, max_results: config['http.maxResults'] });
  return { server, port: bound };
}
