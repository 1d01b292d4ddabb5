/** The message log, read from the configured store (`mwl-bridge messages`). */
import type { BridgeConfig } from '../config/schema.js';
import type { MessageFilter, StoredMessage } from '../store/message-log.js';
import { openStore } from './store.js';

export type { MessageFilter, StoredMessage } from '../store/message-log.js';
export { describeDerived } from '../model/order.js';

export function listMessages(config: BridgeConfig, filter: MessageFilter): StoredMessage[] {
  const store = openStore(config);
  try {
    return store.messages.list(filter);
  } finally {
    store.close();
  }
}

export function findMessage(config: BridgeConfig, id: number): StoredMessage | undefined {
  const store = openStore(config);
  try {
    return store.messages.get(id);
  } finally {
    store.close();
  }
}
