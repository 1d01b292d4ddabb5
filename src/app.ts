/**
 * Wires the running bridge: store, mapping, MLLP listener and DICOM SCP, from a validated config.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BridgeConfig, CallingAeSetting } from './config/schema.js';
import { streamWorklistAnswers } from './dicom/find.js';
import { WorklistScp } from './dicom/scp.js';
import { createOrderMessageHandler, createOversizeReply } from './hl7/order-handler.js';
import { MllpListener } from './hl7/mllp.js';
import { PipelineRunner } from './hl7/pipeline-runner.js';
import type { CharsetMismatchPolicy } from './hl7/charset.js';
import { claimDatabase } from './store/owner-lock.js';
import type { Logger } from './log.js';
import { loadMappingSet } from './mapping/load.js';
import { errorMessage } from './errors.js';
import { BackgroundCheckpointer } from './store/checkpointer.js';
import { WorklistStore } from './store/items.js';
import { OrderService, type UnknownOrderPolicy } from './worklist/orders.js';
import { scheduleRetention } from './worklist/retention.js';
import { MppsService, type MppsNotifier } from './worklist/mpps.js';
import { Hl7Sender } from './hl7/outbound.js';
import { buildStatusMessage } from './hl7/status-message.js';
import { WorklistFolder, type MirrorLayoutKind } from './mirror/folder.js';
import { WorklistMirror } from './mirror/mirror.js';
import type { WorklistFileCharset } from './dicom/wl-file.js';

/** The folder the bridge is installed in (holds mappings/). */
export const installDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** A relative mapping path is looked up in the working folder first, then in the installation. */
export function resolveMappingPath(path: string): string {
  if (isAbsolute(path) || existsSync(path)) return resolve(path);
  const installed = resolve(installDir, path);
  return existsSync(installed) ? installed : resolve(path);
}

/** The mapping files named by mapping.files (comma-separated), resolved. */
export function mappingFiles(config: BridgeConfig): string[] {
  return config['mapping.files']
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean)
    .map(resolveMappingPath);
}

/** The mirror folder the config describes, or undefined when mirror.dir is empty (mirror off). */
export function mirrorFolderOf(config: BridgeConfig): WorklistFolder | undefined {
  if (!config['mirror.dir']) return undefined;
  return new WorklistFolder({
    root: resolve(config['mirror.dir']),
    layout: config['mirror.layout'],
    aeTitle: config['mirror.aeTitle'] || config['dicom.aeTitle'],
  });
}

export function openStore(config: BridgeConfig, opts: { busyTimeoutMs?: number } = {}): WorklistStore {
  return WorklistStore.open(config['db.path'], { showClosedItems: config['worklist.showClosedItems'], ...opts });
}

/**
 * How long the running bridge's own writes may wait, blocking, for another process's write lock.
 * Group commits of orders never wait here: they retry from a timer (store/items.ts); this bounds the
 * other writes (MPPS, value index, purge) so that an import never holds the event loop for long.
 */
const BRIDGE_BUSY_TIMEOUT_MS = 20;

export interface RunningBridge {
  mllpPort: number | undefined;
  dicomPort: number;
  /** Loads the mapping files again; an invalid set keeps the current one (and says why). */
  reloadMappings(): boolean;
  stop(): Promise<void>;
}

export async function startBridge(config: BridgeConfig, logger: Logger): Promise<RunningBridge> {
  const files = mappingFiles(config);
  let mappings = loadMappingSet(files);
  const dbPath = config['db.path'];
  if (dbPath !== ':memory:') mkdirSync(dirname(resolve(dbPath)), { recursive: true });
  // One bridge per database: a second one stops here, naming the process that owns it.
  const ownership = dbPath === ':memory:' ? undefined : await claimDatabase(dbPath);
  let store: WorklistStore;
  try {
    store = openStore(config, { busyTimeoutMs: BRIDGE_BUSY_TIMEOUT_MS });
  } catch (err) {
    ownership?.release();
    throw err;
  }
  store.onUnavailable = (err) =>
    logger.error('store.database_file_gone', { path: dbPath, error: err.message, effect: 'every order is answered AE until the bridge is restarted on a real database file' });
  store.onBackgroundError = (err) => logger.error('store.value_index_failed', { code: err.code, error: err.message, effect: 'queries still find the items; retried with the next orders' });
  const checkpointer =
    config['db.checkpointIntervalMs'] > 0 && store.inWalMode
      ? BackgroundCheckpointer.start(store.db.name, {
          intervalMs: config['db.checkpointIntervalMs'],
          onError: (message) => logger.warn('store.checkpoint_failed', { error: message, effect: 'the commits checkpoint the WAL themselves meanwhile' }),
          onReport: ({ walFrames, checkpointed }) => {
            if (checkpointed > 0) logger.debug('store.checkpointed', { wal_frames: walFrames, copied: checkpointed });
          },
        })
      : undefined;
  const stopRetention = scheduleRetention(
    store,
    {
      closedItemDays: config['retention.closedItemDays'],
      scheduledItemDays: config['retention.scheduledItemDays'],
      messageDays: config['retention.messageDays'],
    },
    config['retention.intervalMinutes'],
    logger,
  );
  logger.info('store.opened', { path: config['db.path'], items: store.countItems() });
  logger.info('mapping.loaded', { mappings: mappings.describe() });

  // MPPS status changes go to the RIS as HL7, queued in the same transaction and sent with retries.
  const destination = config['mpps.hl7Destination'];
  const sender = destination ? new Hl7Sender(store, { retrySeconds: config['mpps.hl7RetrySeconds'], ackTimeoutMs: 10000, logger }) : undefined;
  const mppsNotifier: MppsNotifier | undefined =
    sender && destination
    ? (item, performed) => {
        const code = performed === 'IN PROGRESS' ? 'IP' : performed === 'COMPLETED' ? 'CM' : 'DC';
        const message = buildStatusMessage(item, code, { sendingApplication: config['dicom.aeTitle'] });
        store.enqueueOutbound(`${destination.host}:${destination.port}`, message.controlId, message.text);
        sender.kick();
      }
    : undefined;
  sender?.start();

  let mllp: MllpListener | undefined;
  let runner: PipelineRunner | undefined;
  let scp: WorklistScp | undefined;
  let mirror: WorklistMirror | undefined;
  try {
    const folder = mirrorFolderOf(config);
    if (folder) {
      mirror = new WorklistMirror(store, {
        folder,
        characterSet: config['mirror.characterSet'],
        retrySeconds: config['mirror.retrySeconds'],
        logger,
      });
      await mirror.start();
    } else {
      // No journal while there is no mirror; turning it on later reconciles the folder first.
      store.mirrorJournal().disable();
    }
    scp = new WorklistScp({
      host: config['dicom.host'],
      port: config['dicom.port'],
      logger,
      find: (identifier, request) =>
        streamWorklistAnswers(store, identifier, {
          personNameCaseInsensitive: config['dicom.personNameMatching'] === 'case-insensitive',
          maxAnswers: request.maxAnswers ?? config['dicom.maxAnswers'],
          onlyStation: request.onlyStation,
        }),
      callingAeSettings: config['dicom.callingAeSettings'],
      mpps: new MppsService(store, mppsNotifier),
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
    const dicomPort = await scp.start();
    logger.info('dicom.ready', { host: config['dicom.host'], port: dicomPort, ae_title: config['dicom.aeTitle'] });

    let mllpPort: number | undefined;
    const mllpPortSetting = config['mllp.port'];
    if (mllpPortSetting !== 'off') {
      const orders = new OrderService(store, { unknownOrder: config['orders.unknownOrder'] });
      const bridgeApplication = config['dicom.aeTitle'];
      const maxFrameBytes = config['mllp.maxFrameBytes'];
      runner = new PipelineRunner(
        {
          mappings: () => mappings,
          uidRoot: config['uid.root'],
          bridgeApplication,
          limits: { maxSegments: config['hl7.maxSegments'], maxFieldsPerSegment: config['hl7.maxFieldsPerSegment'] },
          charsetMismatch: config['hl7.charsetMismatch'],
        },
        files,
      );
      mllp = new MllpListener({
        host: config['mllp.host'],
        port: mllpPortSetting,
        maxFrameBytes,
        maxConnections: config['mllp.maxConnections'],
        idleTimeoutMs: config['mllp.idleTimeoutSeconds'] * 1000,
        frameTimeoutMs: config['mllp.frameTimeoutSeconds'] * 1000,
        logger,
        onMessage: createOrderMessageHandler({ bridgeApplication, orders, logger, runner }),
        onOversize: createOversizeReply({ bridgeApplication, maxFrameBytes, orders, logger }),
      });
      mllpPort = await mllp.start();
      const bound = mllp.address();
      logger.info('mllp.ready', { host: config['mllp.host'], port: mllpPort, bound: bound?.address, max_connections: config['mllp.maxConnections'] });
      warnIfFewDescriptors(config, logger);
    } else {
      logger.info('mllp.disabled', { reason: 'mllp.port is off' });
    }
    return {
      mllpPort,
      dicomPort,
      reloadMappings() {
        try {
          mappings = loadMappingSet(files);
          runner?.reloadMappings(files);
          logger.info('mapping.reloaded', { mappings: mappings.describe() });
          return true;
        } catch (err) {
          logger.error('mapping.reload_failed', { error: errorMessage(err), kept: mappings.describe() });
          return false;
        }
      },
      async stop() {
        stopRetention();
        sender?.stop();
        await mllp?.stop();
        await runner?.close();
        await scp?.stop();
        await mirror?.stop();
        await checkpointer?.stop();
        store.close();
        ownership?.release();
      },
    };
  } catch (err) {
    stopRetention();
    sender?.stop();
    await mllp?.stop();
    await runner?.close();
    await scp?.stop();
    await mirror?.stop();
    await checkpointer?.stop();
    store.close();
    ownership?.release();
    throw err;
  }
}

/**
 * Warns when the process may run out of file descriptors before mllp.maxConnections and
 * dicom.maxAssociations are reached: at that limit accept() fails and new orders get no ACK.
 */
function warnIfFewDescriptors(config: BridgeConfig, logger: Logger): void {
  let limit: number | undefined;
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    limit = m ? Number(m[1]) : undefined;
  } catch {
    return; // not Linux: nothing to read
  }
  const needed = config['mllp.maxConnections'] + config['dicom.maxAssociations'] + 64;
  if (limit !== undefined && limit < needed) {
    logger.warn('bridge.fd_limit_low', {
      limit,
      needed,
      hint: 'raise the open-files limit (ulimit -n, systemd LimitNOFILE) or lower mllp.maxConnections / dicom.maxAssociations',
    });
  }
}
