/**
 * Wires the HTTP server to the bridge: the worklist search with the same service and policies as
 * the C-FIND SCP, the readiness checks, and the metrics. http/ sees only these closures.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BridgeConfig } from '../config/schema.js';
import { BridgeError } from '../errors.js';
import { installDir } from '../install-dir.js';
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
import { isLoopbackHost, readTokens, tokenHash, type TokenHolder } from './tokens.js';
import type { SecureListener } from '../tls/secure-listener.js';
import { startTlsListener } from './tls-listeners.js';
import type { AuditRecorder } from './audit.js';
import { auditAuthentication, auditedItemWrites, auditedSearchLog } from './http-audit.js';

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
  /** The audit trail: searches, items changed by hand, logins and tokens go there. */
  audit: AuditRecorder;
  /** An HTTPS client refused during the handshake (no or a wrong certificate): for the audit trail. */
  onTlsRefused?: (remote: string, reason: string) => void;
}

/** TCP connections of the HTTPS listener at once, handshaking ones included (the HTTP server bounds established ones). */
const HTTPS_MAX_CONNECTIONS = 512;

/** Starts the HTTP server unless http.port is off; resolves with it and its bound port. */
export interface StartedHttp {
  server: HttpServer;
  /** The plain port, undefined when http.port is off. */
  port: number | undefined;
  /** The HTTPS listener, when http.tls.certFile is set. */
  tls: { listener: SecureListener; port: number } | undefined;
}

/**
 * Starts the HTTP server on http.port and its HTTPS listener on http.tls.port (either may be off);
 * undefined when neither runs. What it starts is pushed on the bridge's stop stack.
 */
export async function startHttp(
  config: BridgeConfig,
  deps: HttpDeps,
  logger: Logger,
  push: (stop: () => void | Promise<void>) => void,
): Promise<StartedHttp | undefined> {
  const port = config['http.port'];
  const httpsConfigured = config['http.tls.certFile'] !== '' && config['http.tls.port'] !== 'off';
  if (port === 'off' && !httpsConfigured) {
    logger.info('http.disabled', { reason: 'http.port is off', https: 'not configured (http.tls.certFile, http.tls.port)' });
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
    {
      host,
      port: port === 'off' ? 0 : port,
      maxResults: config['http.maxResults'],
      callingAeTitle: config['http.callingAeTitle'] || undefined,
      version: bridgeVersion(),
    },
    {
      access: {
        tokensConfigured: tokens.size > 0,
        holderOf: (token) => tokens.get(tokenHash(token)),
        onAuthentication: auditAuthentication(deps.audit),
      },
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
      queryLog: auditedSearchLog(deps.queryLog, deps.audit),
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
      console: consoleServices(config, store, deps.mirror !== undefined),
      items: auditedItemWrites(new ManualItems(store), deps.audit),
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
  const bound = await server.start(port !== 'off');
  push(() => server.stop());
  if (bound !== undefined)
    logger.info('http.ready', { host, port: bound, tokens: tokens.size, bound: server.address()?.address, max_results: config['http.maxResults'] });
  // HTTPS: the TLS listener decrypts and hands each connection to the same server (same routes and tokens).
  const tls = await startTlsListener(
    config,
    {
      area: 'http',
      host,
      maxConnections: HTTPS_MAX_CONNECTIONS,
      onConnection: (socket) => {
        server.accept(socket);
      },
      onRefused: deps.onTlsRefused,
    },
    logger,
    push,
  );
  return { server, port: bound, tls };
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

/** The bridge's version, from its package.json. */
function bridgeVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(installDir, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
