/**
 * The policies in force for one message, computed in one place: the bridge's defaults, then the
 * settings (hl7.emptyControlId, orders.unknownOrder, orders.nonImaging, mapping.fallbacks), then the
 * `policies:` of the mapping selected for the message (a per-sender profile when its appliesTo names
 * the sending application or facility).
 */
import type { MessagePolicies } from '../model/order.js';
import type { MappingPolicies } from './model.js';

export const DEFAULT_POLICIES: MessagePolicies = {
  type1: 'reject',
  unknownOrder: 'reject',
  emptyControlId: 'accept',
  nonImaging: 'ignore',
  fallbacks: 'all',
};

export function effectivePolicies(settings: Partial<MessagePolicies> | undefined, mapping: MappingPolicies): MessagePolicies {
  const { invalid: _invalid, ...own } = mapping;
  return { ...DEFAULT_POLICIES, ...settings, ...own };
}
