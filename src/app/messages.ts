/** The message log, read from the configured store (`mwl-bridge messages`). */
import type { BridgeConfig } from '../config/schema.js';
import type { MessageFilter, StoredMessage } from '../store/message-log.js';
import { withStore } from './store.js';

export type { MessageFilter, StoredMessage } from '../store/message-log.js';
export { describeDerived } from '../model/order.js';

export function listMessages(config: BridgeConfig, filter: MessageFilter): StoredMessage[] {
  return withStore(config, (store) => store.messages.list(filter));
}

export function findMessage(config: BridgeConfig, id: number): StoredMessage | undefined {
  return withStore(config, (store) => store.messages.get(id));
}
