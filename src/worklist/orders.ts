/**
 * Applies mapped orders to the store: the order lifecycle rules live here and nowhere else.
 * Each order is stored together with its message log entry in one transaction.
 */
import { BridgeError } from '../errors.js';
import type { MappedOrder } from '../mapping/evaluate.js';
import type { MessageRecord, WorklistStore } from '../store/items.js';

export type MessageLogEntry = Omit<MessageRecord, 'itemIds' | 'outcome'>;

export interface OrderOutcome {
  action: 'created';
  itemIds: number[];
}

export class OrderService {
  constructor(private readonly store: WorklistStore) {}

  /** Checks that an order can be applied, before any ACK is promised. Throws a BridgeError. */
  check(order: MappedOrder): void {
    if (order.orderControl !== 'NW') {
      throw new BridgeError('HL7_UNSUPPORTED_ORDER_CONTROL', `order control "${order.orderControl || '(empty)'}" is not supported`, {
        location: 'ORC-1',
        hint: 'this version creates worklist items from new orders (ORC-1 = NW)',
      });
    }
  }

  /** Stores the order and its log entry; durable when this returns. */
  apply(order: MappedOrder, log: MessageLogEntry): OrderOutcome {
    this.check(order);
    return this.store.transaction(() => {
      const id = this.store.insertItem({ dataset: order.item, source: 'hl7' });
      this.store.recordMessage({ ...log, outcome: 'stored', itemIds: [id] });
      return { action: 'created' as const, itemIds: [id] };
    });
  }

  /** Logs a message that was answered with AE or AR. */
  logRejected(log: MessageLogEntry, outcome: 'rejected' | 'error'): void {
    this.store.transaction(() => this.store.recordMessage({ ...log, outcome, itemIds: [] }));
  }
}
