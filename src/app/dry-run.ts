/**
 * `mwl-bridge map`: what a message would become (the mapping applied, each item with where every
 * value came from) and the ACK it would get, without storing anything.
 */
import type { BridgeConfig } from '../config/schema.js';
import { ackErrorFor, ackFor, runOrderPipeline } from '../hl7/pipeline.js';
import type { MappedProcedure } from '../model/order.js';
import { loadMappingSet, mappingFiles } from './mappings.js';
import { pipelineSettings } from './pipeline-settings.js';

export { describeDerived } from '../model/order.js';

export type DryRunResult =
  | { accepted: true; mapping: { name: string; file: string }; procedures: MappedProcedure[]; ack: string }
  | { accepted: false; mapping: { name: string; file: string } | undefined; rejection: string; ack: string };

export function dryRunMessage(config: BridgeConfig, bytes: Buffer): DryRunResult {
  const mappings = loadMappingSet(mappingFiles(config));
  const bridgeApplication = config['dicom.aeTitle'];
  const result = runOrderPipeline(bytes, { mappings: () => mappings, ...pipelineSettings(config), bridgeApplication });
  const mapping = result.mapping && { name: result.mapping.name, file: result.mapping.file };
  if (result.ok) {
    return {
      accepted: true,
      mapping: mapping ?? { name: '?', file: '?' },
      procedures: result.order.procedures,
      ack: ackFor(result, 'AA', undefined, bridgeApplication),
    };
  }
  const { code, error } = ackErrorFor(result.error);
  return { accepted: false, mapping, rejection: result.error.describe(), ack: ackFor(result, code, error, bridgeApplication) };
}
