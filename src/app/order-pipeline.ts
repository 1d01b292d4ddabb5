/**
 * The order pipeline of the running bridge (decode, map, store, ACK), built whether or not MLLP
 * listens (the management API runs rejected messages through it again), and the MLLP listener on it.
 */
import type { BridgeConfig } from '../config/schema.js';
import { createOrderMessageHandler, createOrderProcessor, createOversizeReply, type OrderMessageProcessor } from '../hl7/order-handler.js';
import { MllpListener } from '../hl7/mllp.js';
import { PipelineRunner } from '../hl7/pipeline-runner.js';
import type { Logger } from '../log.js';
import type { BridgeMetrics } from '../metrics.js';
import type { WorklistStore } from '../store/worklist-store.js';
import { OrderService } from '../worklist/orders.js';
import { warnIfFewDescriptors } from './descriptors.js';
import type { MappingSet, readMappingSources } from './mappings.js';
import { pipelineSettings } from './pipeline-settings.js';
import { tlsListenerSettings } from './tls-listeners.js';
import type { AuditRecorder } from './audit.js';

/** Where what is started registers its stop. */
interface Stops {
  push(stop: () => void | Promise<void>): void;
}

export interface OrderPipeline {
  orders: OrderService;
  runner: PipelineRunner;
  /** One message through decode, mapping, store and ACK: MLLP's, and the management API's reprocessing. */
  processor: OrderMessageProcessor;
}

/** The order pipeline, with or without an MLLP listener (a logged message can be processed again with MLLP off). */
export function startOrderPipeline(
  config: BridgeConfig,
  store: WorklistStore,
  mappings: () => MappingSet,
  sources: ReturnType<typeof readMappingSources>,
  audit: AuditRecorder,
  logger: Logger,
  started: Stops,
  metrics: BridgeMetrics,
): OrderPipeline {
  const orders = new OrderService(store, { onApplied: audit.order });
  const bridgeApplication = config['dicom.aeTitle'];
  const runner = new PipelineRunner(
    {
      mappings,
      ...pipelineSettings(config),
      bridgeApplication,
      limits: { maxSegments: config['hl7.maxSegments'], maxFieldsPerSegment: config['hl7.maxFieldsPerSegment'] },
      charsetMismatch: config['hl7.charsetMismatch'],
    },
    sources,
  );
  started.push(() => runner.close());
  return { orders, runner, processor: createOrderProcessor({ bridgeApplication, orders, logger, runner, metrics }) };
}

export async function startMllp(
  config: BridgeConfig,
  pipeline: OrderPipeline,
  logger: Logger,
  started: Stops,
  metrics: BridgeMetrics,
): Promise<{ port: number | undefined; listener: MllpListener; listening: () => boolean; connections: () => number } | undefined> {
  const port = config['mllp.port'];
  // mllp.port off with an MLLP TLS listener: the listener serves only what the TLS port hands it.
  const tlsOnly = port === 'off' && tlsListenerSettings(config, 'mllp') !== undefined;
  if (port === 'off' && !tlsOnly) {
    logger.info('mllp.disabled', { reason: 'mllp.port is off' });
    return undefined;
  }
  const { orders } = pipeline;
  const bridgeApplication = config['dicom.aeTitle'];
  const maxFrameBytes = config['mllp.maxFrameBytes'];
  const mllp = new MllpListener({
    host: config['mllp.host'],
    port: port === 'off' ? 0 : port,
    maxFrameBytes,
    maxConnections: config['mllp.maxConnections'],
    idleTimeoutMs: config['mllp.idleTimeoutSeconds'] * 1000,
    frameTimeoutMs: config['mllp.frameTimeoutSeconds'] * 1000,
    logger,
    metrics,
    onMessage: createOrderMessageHandler({ bridgeApplication, orders, logger, runner: pipeline.runner, metrics }, pipeline.processor),
    onOversize: createOversizeReply({ bridgeApplication, maxFrameBytes, orders, logger }),
  });
  started.push(() => mllp.stop());
  if (port === 'off') {
    logger.info('mllp.plain_port_off', { reason: 'mllp.port is off: orders arrive only on the MLLP TLS port (mllp.tls.port)' });
    warnIfFewDescriptors(config, logger);
    return { port: undefined, listener: mllp, listening: () => false, connections: () => mllp.connections };
  }
  const bound = await mllp.start();
  logger.info('mllp.ready', { host: config['mllp.host'], port: bound, bound: mllp.address()?.address, max_connections: config['mllp.maxConnections'] });
  warnIfFewDescriptors(config, logger);
  return { port: bound, listener: mllp, listening: () => mllp.address() !== undefined, connections: () => mllp.connections };
}
