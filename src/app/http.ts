/**
 * Wires the HTTP server to the bridge: the worklist search with the same service and policies as
 * the C-FIND SCP, the readiness checks, and the metrics. http/ sees only these closures.
 */
import { readFileSync } from 'node:fs';
import type { BridgeConfig } from '../config/schema.js';
import { BridgeError } from '../errors.js';
import { HttpServer } from '../http/server.js';
import type { OrderMessageProcessor } from '../hl7/order-handler.js';
import type { MirrorView, ReadinessCheck, SearchLog } from '../http/services.js';
import { managementReads, managementTools } from './management.js';
import { consoleServices } from './console-services.js';
import type { Logger } from '../log.js';
import type { WorklistStore } from '../store/worklist-store.js';
import { streamWorklistAnswers } from '../worklist/find.js';
import type { MppsService } from '../worklist/mpps.js';
import { ManualItems } from '../worklist/manual-items.js';
import type { PrometheusMetrics } from './prometheus.js';
import { isLoopbackHost, readTokens, tokenHash } from './tokens.js';

export interface HttpDeps {
  store: WorklistStore;
  /** The MPPS service the DIMSE SCP uses (same state machine, same HL7 status messages). */
  mpps: MppsService;
  metrics: PrometheusMetrics;
  /** The protocol listeners, by name, and whether each is up (a listener turned off is not listed). */
  listeners(): Record<string, boolean>;
  /** The query log the C-FIND SCP writes: DICOMweb searches go there too. */
  queryLog: SearchLog;
  /** The order pipeline MLLP uses: the management API runs rejected messages through it again. */
  processor: OrderMessageProcessor;
  /** The folder mirror, when one runs. */
  mirror: MirrorView | undefined;
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
  const host = config['http.host'];
  const tokens = readTokens(config['http.tokensFile']);
  // Without tokens, only this host can reach the server: requests without one cannot come from elsewhere.
  if (tokens.size === 0 && !isLoopbackHost(host)) {
    throw new BridgeError('CONFIG_INVALID', `http.host ${host} is not a loopback address, and no access tokens are configured (http.tokensFile)`, {
      hint: 'create one with "mwl-bridge token NAME --role read --http-tokens-file FILE" and set http.tokensFile, or keep http.host on 127.0.0.1',
    });
  }
  const maxBacklog = config['http.readyMaxMirrorBacklog'];
  const server = new HttpServer(
    { host, port, maxResults: config['http.maxResults'], version: bridgeVersion() },
    {
      access: { tokensConfigured: tokens.size > 0, holderOf: (token) => tokens.get(tokenHash(token)) },
      // The DIMSE defaults for a client without an AE title of its own (no per-AE settings apply).
      search: (identifier, opts) =>
        streamWorklistAnswers(store, identifier, {
          personNameCaseInsensitive: config['dicom.personNameMatching'] === 'case-insensitive',
          maxAnswers: opts.maxAnswers,
          wholeItems: opts.wholeItems,
        }),
      queryLog: deps.queryLog,
      readiness: () => {
        const checks: Record<string, ReadinessCheck> = {};
        const unavailable = store.unavailableError;
        checks.store = unavailable ? { ok: false, detail: unavailable.message } : { ok: true, detail: 'writable' };
        for (const [name, up] of Object.entries(deps.listeners())) checks[name] = { ok: up, detail: up ? 'listening' : 'not listening' };
        const backlog = deps.mirrorBacklog();
        if (backlog !== undefined) checks.mirror = { ok: backlog <= maxBacklog, detail: `${backlog} changes to write (at most ${maxBacklog})` };
        return checks;
      },
      management: managementReads(store, config),
      status: () => ({
        associationsOpen: metrics.sources.associationsOpen(),
        mllpConnectionsOpen: metrics.sources.mllpConnectionsOpen(),
        mirrorBacklog: metrics.sources.mirrorBacklog(),
        itemsByStatus: metrics.sources.itemsByStatus(),
      }),
      console: consoleServices(config, store, deps.mirror !== undefined),
      items: new ManualItems(store),
      tools: managementTools(config, store, deps.processor, deps.mirror),
      mpps: {
        create: (uid, dataset, caller) => deps.mpps.create(uid, dataset, caller),
        set: (uid, changes, caller) => deps.mpps.set(uid, changes, caller),
        get: (uid) => store.mpps.get(uid)?.dataset,
      },
      metrics,
      metricsText: async () => ({ text: await metrics.text(), contentType: metrics.contentType }),
    },
    logger,
  );
  const bound = await server.start();
  logger.info('http.ready', { host, port: bound, tokens: tokens.size, bound: server.address()?.address, max_results: config['http.maxResults'] });
  return { server, port: bound };
}

/** The bridge's version, from its package.json (two folders up from src/app and from dist/app alike). */
function bridgeVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
