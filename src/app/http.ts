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
import type { Logger } from '../log.js';
import type { WorklistStore } from '../store/worklist-store.js';
import { streamWorklistAnswers } from '../worklist/find.js';
import type { MppsService } from '../worklist/mpps.js';
import { ManualItems } from '../worklist/manual-items.js';
import type { PrometheusMetrics } from './prometheus.js';
import { isLoopbackHost, readTokens, tokenHash, type TokenHolder } from './tokens.js';

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
  const aeSettings = config['dicom.callingAeSettings'];
  refuseUnassociableAeTitles(config, tokens);
  const maxBacklog = config['http.readyMaxMirrorBacklog'];
  const server = new HttpServer(
    { host, port, maxResults: config['http.maxResults'], callingAeTitle: config['http.callingAeTitle'] || undefined, version: bridgeVersion() },
    {
      access: { tokensConfigured: tokens.size > 0, holderOf: (token) => tokens.get(tokenHash(token)) },
      // As bridge.ts's C-FIND handler: the same matcher, and the calling AE title's onlyOwnStation.
      search: (identifier, opts) =>
        streamWorklistAnswers(store, identifier, {
          personNameCaseInsensitive: config['dicom.personNameMatching'] === 'case-insensitive',
          maxAnswers: opts.maxAnswers,
          wholeItems: opts.wholeItems,
          onlyStation: opts.callingAeTitle && aeSettings[opts.callingAeTitle]?.onlyOwnStation ? opts.callingAeTitle : undefined,
        }),
      searchPolicy: (callingAeTitle) => {
        // A search without an AE title keeps to http.maxResults a page (no per-AE settings apply).
        if (callingAeTitle === undefined) return { maxAnswers: undefined, aeSetting: null };
        const setting = aeSettings[callingAeTitle];
        const maxAnswers = setting?.maxAnswers ?? config['dicom.maxAnswers'];
        return { maxAnswers: maxAnswers > 0 ? maxAnswers : undefined, aeSetting: setting ?? null };
      },
      queryLog: deps.queryLog,
      readiness: () => {
        const checks: Record<string, ReadinessCheck> = {};
        const unavailable = store.checkWritable();
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

/**
 * A search answered as an AE title that may not associate would get what a C-FIND from it cannot:
 * a token's or http.callingAeTitle's AE title outside dicom.allowedCallingAeTitles stops the start.
 */
function refuseUnassociableAeTitles(config: BridgeConfig, tokens: Map<string, TokenHolder>): void {
  const allowed = config['dicom.allowedCallingAeTitles'];
  if (allowed.length === 0) return;
  const named: Array<[string, string]> = [...tokens.values()].flatMap((t): Array<[string, string]> => (t.aeTitle ? [[`token ${t.name}`, t.aeTitle]] : []));
  if (config['http.callingAeTitle']) named.push(['http.callingAeTitle', config['http.callingAeTitle']]);
  for (const [who, aeTitle] of named) {
    if (!allowed.includes(aeTitle)) {
      throw new BridgeError('CONFIG_INVALID', `${who} searches as AE title ${aeTitle}, which is not in dicom.allowedCallingAeTitles`, {
        hint: 'add the AE title to dicom.allowedCallingAeTitles, or give the token another one',
      });
    }
  }
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
