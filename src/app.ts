/**
 * Wires the running bridge: store, mapping, MLLP listener and DICOM SCP, from a validated config.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BridgeConfig } from './config/schema.js';
import { findWorklistItems } from './dicom/find.js';
import { WorklistScp } from './dicom/scp.js';
import { createOrderMessageHandler } from './hl7/order-handler.js';
import { MllpListener } from './hl7/mllp.js';
import type { Logger } from './log.js';
import { loadMappingFile, type Mapping } from './mapping/load.js';
import { WorklistStore } from './store/items.js';
import { OrderService } from './worklist/orders.js';

/** The folder the bridge is installed in (holds mappings/). */
export const installDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** A relative mapping path is looked up in the working folder first, then in the installation. */
export function resolveMappingPath(path: string): string {
  if (isAbsolute(path) || existsSync(path)) return resolve(path);
  const installed = resolve(installDir, path);
  return existsSync(installed) ? installed : resolve(path);
}

export interface RunningBridge {
  mllpPort: number | undefined;
  dicomPort: number;
  stop(): Promise<void>;
}

export async function startBridge(config: BridgeConfig, logger: Logger): Promise<RunningBridge> {
  const mappingFile = resolveMappingPath(config['mapping.file']);
  const mapping: Mapping = loadMappingFile(mappingFile);
  const store = WorklistStore.open(config['db.path']);
  logger.info('store.opened', { path: config['db.path'], items: store.countItems() });
  logger.info('mapping.loaded', { file: mappingFile, name: mapping.name, messages: mapping.messages.join(',') });

  let mllp: MllpListener | undefined;
  let scp: WorklistScp | undefined;
  try {
    scp = new WorklistScp({
      port: config['dicom.port'],
      aeTitle: config['dicom.aeTitle'],
      logger,
      find: (identifier) => findWorklistItems(store, identifier, { personNameCaseInsensitive: true }).answers,
    });
    const dicomPort = await scp.start();
    logger.info('dicom.ready', { port: dicomPort, ae_title: config['dicom.aeTitle'] });

    let mllpPort: number | undefined;
    if (config['mllp.port'] !== 0) {
      mllp = new MllpListener({
        host: config['mllp.host'],
        port: config['mllp.port'],
        maxFrameBytes: config['mllp.maxFrameBytes'],
        logger,
        onMessage: createOrderMessageHandler({
          mapping: () => mapping,
          uidRoot: config['uid.root'],
          bridgeApplication: config['dicom.aeTitle'],
          orders: new OrderService(store),
          logger,
        }),
      });
      mllpPort = await mllp.start();
      logger.info('mllp.ready', { host: config['mllp.host'], port: mllpPort });
    } else {
      logger.info('mllp.disabled', { reason: 'mllp.port is 0' });
    }
    return {
      mllpPort,
      dicomPort,
      async stop() {
        await mllp?.stop();
        scp?.stop();
        store.close();
      },
    };
  } catch (err) {
    await mllp?.stop();
    scp?.stop();
    store.close();
    throw err;
  }
}
