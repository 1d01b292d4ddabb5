/**
 * Applies mapped orders to the store: the order lifecycle rules live here and nowhere else.
 * All worklist items of one message are stored with its message log entry in one transaction.
 */
import { BridgeError } from '../errors.js';
import type { MappedOrder } from '../mapping/evaluate.js';
import type { MessageRecord, WorklistStore } from '../store/items.js';

export type MessageLogEntry = Omit<MessageRecord, 'itemIds' | 'outcome'>;

export interface OrderOutcome {
  action: 'created';
  itemIds: number[];
}

/** Checks that an order can be applied, before any ACK is promised. Throws a BridgeError. */
export function checkOrderSupported(order: MappedOrder): void {
  for (const [i, p] of order.procedures.entries()) {
    if (p.orderControl !== 'NW') {
      const group = order.procedures.length > 1 ? ` (order group ${i + 1})` : '';
      throw new BridgeError('HL7_UNSUPPORTED_ORDER_CONTROL', `order control "${p.orderControl || '(empty)'}" is not supported${group}`, {
        location: 'ORC-1',
        hint: 'this version creates worklist items from new orders (ORC-1 = NW)',
      });
    }
  }
}

export class OrderService {
  constructor(private readonly store: WorklistStore) {}

  check(order: MappedOrder): void {
    checkOrderSupported(order);
  }

  /** Stores the order's items and its log entry; durable when this returns. */
  apply(order: MappedOrder, log: MessageLogEntry): OrderOutcome {
    this.check(order);
    return this.store.transaction(() => {
      const itemIds = order.procedures.map((p) => this.store.insertItem({ dataset: p.item, source: 'hl7' }));
      this.store.recordMessage({ ...log, outcome: 'stored', itemIds });
      return { action: 'created' as const, itemIds };
    });
  }

  /** Logs a message that was answered with AE or AR. */
  logRejected(log: MessageLogEntry, outcome: 'rejected' | 'error'): void {
    this.store.transaction(() => this.store.recordMessage({ ...log, outcome, itemIds: [] }));
  }
}
