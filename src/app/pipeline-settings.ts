/**
 * What the order pipeline takes from the settings, in one place for the listener and the `map` dry
 * run: the UID root, the policies every sender gets (a mapping's policies: override them for its
 * senders), and the $callingAeTitles table (modality -> the AE titles dicom.callingAeSettings gives it).
 */
import type { BridgeConfig } from '../config/schema.js';
import type { OrderPipelineOptions } from '../hl7/pipeline.js';

export function pipelineSettings(config: BridgeConfig): Pick<OrderPipelineOptions, 'uidRoot' | 'policies' | 'callingAeTitles'> {
  const byModality = new Map<string, string[]>();
  for (const [ae, setting] of Object.entries(config['dicom.callingAeSettings'])) {
    if (setting.modality) byModality.set(setting.modality, [...(byModality.get(setting.modality) ?? []), ae]);
  }
  return {
    uidRoot: config['uid.root'],
    policies: {
      unknownOrder: config['orders.unknownOrder'],
      nonImaging: config['orders.nonImaging'],
      emptyControlId: config['hl7.emptyControlId'],
      fallbacks: config['mapping.fallbacks'],
    },
    // Several AE titles of one modality: the step is scheduled on each (ScheduledStationAETitle A\B).
    callingAeTitles: Object.fromEntries([...byModality].map(([modality, aes]) => [modality, aes.join('\\')])),
  };
}
