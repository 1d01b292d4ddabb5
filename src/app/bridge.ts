/**
 * Wires the running bridge from a validated config: the store (one owner per database), the
 * mapping set, the worklist services, and the adapters (DICOM SCP, MLLP listener, mirror, MPPS
 * status sender). Each part started is pushed on one stack of stop functions, so that a stop, or
 * a failure half way through starting, ends exactly what was started, in reverse order.
 */
import type { BridgeConfig } from '../config/schema.js';
import { WorklistScp } from '../dicom/scp.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { BridgeMetrics } from '../metrics.js';
import { WorklistMirror } from '../mirror/mirror.js';
import type { WorklistStore } from '../store/worklist-store.js';
import { streamWorklistAnswers } from '../worklist/find.js';
import { emptyAnswerHint } from '../worklist/empty-answer-hint.js';
import { QueryRecorder } from '../worklist/query-recorder.js';
import { MppsService } from '../worklist/mpps.js';
import { startStatusSender } from './status-sender.js';
import { mappingFiles, readMappingSources } from './mappings.js';
import { compileMappingSet } from '../mapping/compile.js';
import { mirrorFolderOf } from './store.js';
import { openOwnedStore } from './owned-store.js';
import { StopStack } from './stop-stack.js';
import { certificateExpiry, startTlsListener } from './tls-listeners.js';
import { startAuditTrail } from './audit.js';
import type { SecureListener } from '../tls/secure-listener.js';
import { startHttp } from './http.js';
import { PrometheusMetrics } from './prometheus.js';
import { startMllp, startOrderPipeline } from './order-pipeline.js';

export interface RunningBridge {
  mllpPort: number | undefined;
  /** undefined with dicom.port off (the TLS port serves alone). */
  dicomPort: number | undefined;
  /** Ports of the TLS listeners, when configured. */
  dicomTlsPort: number | undefined;
  mllpTlsPort: number | undefined;
  /** Reads the TLS certificates, keys and CAs again (SIGHUP); a set that fails to load is kept. */
  reloadCertificates(): void;
  httpPort: number | undefined;
  httpTlsPort: number | undefined;
  /** Loads the mapping files again; an invalid set keeps the current one (and says why). */
  reloadMappings(): boolean;
  stop(): Promise<void>;
}

export async function startBridge(config: BridgeConfig, logger: Logger): Promise<RunningBridge> {
  const files = mappingFiles(config);
  let sources = readMappingSources(files);
  let mappings = compileMappingSet(sources);
  const started = new StopStack();
  try {
    const store = await openOwnedStore(config, logger, started);
    logger.info('store.opened', { path: config['db.path'], items: store.items.count() });
    logger.info('mapping.loaded', { mappings: mappings.describe() });
    const audit = startAuditTrail(config, store, logger);
    audit.applicationActivity('start');
    started.push(async () => {
      audit.applicationActivity('stop');
      await audit.stop();
    });

    const push = (stop: () => void | Promise<void>): void => {
      started.push(stop);
    };
    const statusSender = startStatusSender(config, store, logger, push);
    // The gauges read the mirror and the listeners when scraped, which can only happen once the HTTP
    // server runs, after them all.
    const metrics: PrometheusMetrics = new PrometheusMetrics({
      associationsOpen: (): number => scp.associations,
      mllpConnectionsOpen: (): number => mllp?.connections() ?? 0,
      itemsByStatus: () => store.items.countByStatus(),
      mirrorBacklog: (): number | undefined => mirrorBacklog(),
      certificateExpiry: () => certificateExpiry(secure, statusSender?.tls),
    });
    const mirror = await startMirror(config, store, logger, started, metrics);
    const mirrorBacklog = (): number | undefined => (mirror ? store.mirrorJournal.backlog() : undefined);
    const queryLog = new QueryRecorder(store.queries, logger);
    started.push(() => {
      queryLog.close();
    });
    const mpps = new MppsService(store, statusSender?.notify);
    const scp: WorklistScp = new WorklistScp({
      queryLog,
      emptyAnswerHint: (identifier) => emptyAnswerHint(store, identifier),
      host: config['dicom.host'],
      port: config['dicom.port'] === 'off' ? 0 : config['dicom.port'],
      logger,
      find: (identifier, request) => {
        audit.query({ remote: request.remote ?? '', callingAeTitle: request.callingAeTitle }, identifier);
        return streamWorklistAnswers(store, identifier, {
          personNameCaseInsensitive: config['dicom.personNameMatching'] === 'case-insensitive',
          maxAnswers: request.maxAnswers ?? config['dicom.maxAnswers'],
          onlyStation: request.onlyStation,
        });
      },
      onAssociationRejected: (peer, reason) => {
        audit.securityAlert(peer, `association rejected: ${reason}`);
      },
      callingAeSettings: config['dicom.callingAeSettings'],
      metrics,
      mpps,
      policy: {
        aeTitle: config['dicom.aeTitle'],
        checkCalledAeTitle: config['dicom.checkCalledAeTitle'],
        allowedCallingAeTitles: config['dicom.allowedCallingAeTitles'],
        maxAssociations: config['dicom.maxAssociations'],
        maxPduLength: config['dicom.maxPduLength'],
        maxMessageBytes: config['dicom.maxMessageBytes'],
        acseTimeoutMs: config['dicom.acseTimeoutSeconds'] * 1000,
        dimseTimeoutMs: config['dicom.dimseTimeoutSeconds'] * 1000,
      },
    });
    let dicomPort: number | undefined;
    if (config['dicom.port'] === 'off') scp.startWithoutPort();
    else dicomPort = await scp.start();
    started.push(() => scp.stop());
    logger.info('dicom.ready', { host: config['dicom.host'], port: dicomPort ?? 'off', ae_title: config['dicom.aeTitle'] });
    const maxAssociations = config['dicom.maxAssociations'];
    const dicomTls = await startTlsListener(
      config,
      {
        area: 'dicom',
        host: config['dicom.host'],
        maxConnections: maxAssociations + Math.max(64, maxAssociations),
        onConnection: (socket) => {
          scp.accept(socket);
        },
        onRefused: (remote, reason) => {
          audit.securityAlert({ remote }, `TLS connection refused: ${reason}`);
        },
      },
      logger,
      push,
    );

    const pipeline = startOrderPipeline(config, store, () => mappings, sources, audit, logger, started, metrics);
    const mllp: Awaited<ReturnType<typeof startMllp>> = await startMllp(config, pipeline, logger, started, metrics);
    const mllpTls = mllp
      ? await startTlsListener(
          config,
          {
            area: 'mllp',
            host: config['mllp.host'],
            maxConnections: config['mllp.maxConnections'],
            onConnection: (socket) => {
              mllp.listener.accept(socket);
            },
            onRefused: (remote, reason) => {
              audit.securityAlert({ remote }, `MLLP TLS connection refused: ${reason}`);
            },
          },
          logger,
          push,
        )
      : undefined;
    const secure = [dicomTls?.listener, mllpTls?.listener].filter((l): l is SecureListener => l !== undefined);
    const http = await startHttp(
      config,
      {
        store,
        mpps,
        metrics,
        mirrorBacklog,
        mirror,
        queryLog,
        processor: pipeline.processor,
        listeners: () => ({
          dicom: scp.address() !== undefined || dicomTls !== undefined,
          ...(mllp ? { mllp: mllp.listening() || mllpTls !== undefined } : {}),
        }),
        audit,
        onTlsRefused: (remote, reason) => {
          audit.securityAlert({ remote }, `HTTPS connection refused: ${reason}`);
        },
      },
      logger,
      push,
    );
    if (http?.tls) secure.push(http.tls.listener);
    return {
      mllpPort: mllp?.port,
      dicomPort,
      dicomTlsPort: dicomTls?.port,
      mllpTlsPort: mllpTls?.port,
      httpPort: http?.port,
      httpTlsPort: http?.tls?.port,
      reloadCertificates() {
        for (const listener of secure) listener.reload();
        statusSender?.tls?.reload();
      },
      reloadMappings() {
        try {
          sources = readMappingSources(files);
          mappings = compileMappingSet(sources);
          pipeline.runner.reloadMappings(sources);
          logger.info('mapping.reloaded', { mappings: mappings.describe() });
          return true;
        } catch (err) {
          logger.error('mapping.reload_failed', { error: errorMessage(err), kept: mappings.describe() });
          return false;
        }
      },
      stop: () => started.stopAll(),
    };
  } catch (err) {
    await started.stopAll();
    throw err;
  }
}

/** Starts the folder mirror when one is configured; resolves with it, or undefined. */
async function startMirror(
  config: BridgeConfig,
  store: WorklistStore,
  logger: Logger,
  started: StopStack,
  metrics: BridgeMetrics,
): Promise<WorklistMirror | undefined> {
  const folder = mirrorFolderOf(config);
  if (!folder) {
    // No journal while there is no mirror; turning it on later reconciles the folder first.
    store.mirrorJournal.disable();
    return undefined;
  }
  const mirror = new WorklistMirror(store, {
    folder,
    characterSet: config['mirror.characterSet'],
    retrySeconds: config['mirror.retrySeconds'],
    logger,
    metrics,
  });
  await mirror.start();
  started.push(() => mirror.stop());
  return mirror;
}
