/**
 * The order controls the bridge applies (ORC-1, with ORC-5 for SC) and what each does to an item's
 * status; the check, before any store access, that a message asks only for these.
 */
import { BridgeError } from '../errors.js';
import { Hl7Error } from '../model/hl7-error.js';
import type { MappedOrder, MappedProcedure } from '../model/order.js';
import { Tags, firstString, type ItemStatus } from '../model/item.js';

export type ItemAction = 'created' | 'updated' | 'cancelled' | 'discontinued' | 'status' | 'held' | 'released' | 'demographics' | 'merged' | 'ignored';

const CANCEL = new Set(['CA', 'OC']);
const DISCONTINUE = new Set(['DC', 'OD']);
const HOLD = new Set(['HD', 'OH']);
const RELEASE = new Set(['RL', 'OR']);
const SUPPORTED_CONTROLS = new Set(['NW', 'XO', 'SC', ...CANCEL, ...DISCONTINUE, ...HOLD, ...RELEASE]);

/** ORC-5 order status (HL7 table 0038) -> item status. */
const ORDER_STATUS: Record<string, ItemStatus> = {
  SC: 'SCHEDULED',
  IP: 'STARTED',
  CM: 'COMPLETED',
  CA: 'CANCELED',
  DC: 'DISCONTINUED',
  HD: 'HELD',
};

/** Checks, before any store access, that the message asks for something this bridge does. */
export function checkOrderSupported(order: MappedOrder): void {
  if (isPatientMessage(order)) {
    // Patient updates copy their values onto stored items: each must be valid.
    for (const p of order.procedures) if (p.valueProblem) throw p.valueProblem;
    return;
  }
  for (const [i, p] of order.procedures.entries()) {
    if (p.nonImaging) {
      if (order.policies.nonImaging === 'reject') {
        throw new Hl7Error('HL7_NOT_IMAGING_ORDER', `not an imaging order: ${p.nonImaging.reason}${groupLabel(order, i)}`, {
          location: p.nonImaging.location,
          hint: 'this interface takes imaging orders only; route other orders elsewhere, or set orders.nonImaging (policies.nonImaging) to ignore',
        });
      }
      // Ignored: none of its values is stored, so none is checked.
      continue;
    }
    if (!SUPPORTED_CONTROLS.has(p.orderControl)) {
      throw new Hl7Error('HL7_UNSUPPORTED_ORDER_CONTROL', `order control "${p.orderControl || '(empty)'}" is not supported${groupLabel(order, i)}`, {
        location: 'ORC-1',
        hint: `supported: ${[...SUPPORTED_CONTROLS].join(', ')}`,
      });
    }
    // Values its VR does not allow are refused whenever the item is stored (not for cancels and status changes).
    if ((p.orderControl === 'NW' || p.orderControl === 'XO') && p.valueProblem) throw p.valueProblem;
    if ((p.orderControl === 'NW' || p.orderControl === 'XO') && p.type1Problem) throw p.type1Problem;
    if (p.orderControl === 'SC' && !ORDER_STATUS[p.orderStatus]) {
      throw new Hl7Error('HL7_BAD_VALUE', `order status "${p.orderStatus || '(empty)'}" cannot be applied by SC${groupLabel(order, i)}`, {
        location: 'ORC-5',
        hint: `SC needs ORC-5 one of ${Object.keys(ORDER_STATUS).join(', ')}`,
      });
    }
  }
}

export function isPatientMessage(order: MappedOrder): boolean {
  return order.messageType.startsWith('ADT^');
}

function groupLabel(order: MappedOrder, i: number): string {
  return order.procedures.length > 1 ? ` (order group ${i + 1})` : '';
}

export function targetStatus(p: MappedProcedure): { status: ItemStatus; action: ItemAction } {
  const c = p.orderControl;
  if (CANCEL.has(c)) return { status: 'CANCELED', action: 'cancelled' };
  if (DISCONTINUE.has(c)) return { status: 'DISCONTINUED', action: 'discontinued' };
  if (HOLD.has(c)) return { status: 'HELD', action: 'held' };
  if (RELEASE.has(c)) return { status: 'SCHEDULED', action: 'released' };
  const status = ORDER_STATUS[p.orderStatus];
  // checkOrderSupported refused SC with any other order status before the store was touched.
  if (!status) throw new Hl7Error('HL7_BAD_VALUE', `order status "${p.orderStatus || '(empty)'}" cannot be applied by SC`, { location: 'ORC-5' });
  return { status, action: 'status' };
}

export function unknownOrder(p: MappedProcedure): BridgeError {
  const keys = [
    ['placer order number', firstString(p.item, Tags.PlacerOrderNumberImagingServiceRequest)],
    ['filler order number', firstString(p.item, Tags.FillerOrderNumberImagingServiceRequest)],
    ['accession number', firstString(p.item, Tags.AccessionNumber)],
  ].filter(([, v]) => v);
  return new Hl7Error('HL7_UNKNOWN_ORDER', `${p.orderControl} for an unknown order (${keys.map(([k, v]) => `${k} ${v}`).join(', ') || 'no order number'})`, {
    location: 'ORC-2',
    hint: 'send the NW first, or set orders.unknownOrder to apply',
  });
}
