/**
 * What the message log knows of an order: for an item of interest that is not in the store (was it
 * rejected, purged, never received?), and for a closed item (which message closed it).
 */
import type { StoredItem } from '../model/item.js';
import type { StoredMessage } from '../store/message-log.js';
import type { WorklistStore } from '../store/worklist-store.js';

/** The item of interest: by accession number, or by patient ID. */
export interface ExplainTarget {
  accessionNumber?: string;
  patientId?: string;
}

export interface RetentionDays {
  closedItemDays: number;
  scheduledItemDays: number;
  messageDays: number;
}

/** Messages looked at, at most. */
const MAX_MESSAGES = 20;

function describeMessage(m: StoredMessage): string {
  const sender = [m.sendingApplication, m.sendingFacility].filter(Boolean).join('/');
  return `message ${m.id} (${m.messageType ?? 'unknown type'}, control id "${m.controlId ?? ''}"${sender ? ` from ${sender}` : ''}, received ${m.receivedAt})`;
}

export function historyWithoutItems(store: Pick<WorklistStore, 'messages'>, retention: RetentionDays, target: ExplainTarget): string[] {
  const what = target.accessionNumber ? `accession number "${target.accessionNumber}"` : `patient ID "${target.patientId ?? ''}"`;
  const messages = store.messages.list({
    accessionNumber: target.accessionNumber,
    patientId: target.accessionNumber ? undefined : target.patientId,
    limit: MAX_MESSAGES,
  });
  if (messages.length === 0) {
    return [
      `no item with ${what} is in the store, and no message with it was received in the last ${retention.messageDays} days (retention.messageDays):`,
      'the RIS did not send it to this bridge, or sent the value in another field than the mapping reads (try `mwl-bridge map` on the message)',
    ];
  }
  const lines = [`no item with ${what} is in the store; the message log has:`];
  for (const m of messages) {
    const name = describeMessage(m);
    switch (m.outcome) {
      case 'rejected':
      case 'error':
        lines.push(`${name} was rejected with ${m.ackCode}: ${m.error ?? 'no error logged'}`);
        break;
      case 'duplicate':
        lines.push(`${name} was a resend of an earlier message (acknowledged, not applied again)`);
        break;
      case 'ignored':
        lines.push(`${name} was acknowledged and ignored: ${m.error ?? m.action ?? 'no reason logged'}`);
        break;
      default:
        lines.push(
          m.itemIds.length
            ? `${name} ${m.action ?? 'stored'} item(s) ${m.itemIds.join(', ')}, which are gone: purged by retention (closed items after ${retention.closedItemDays} days, retention.closedItemDays; scheduled items unchanged for ${retention.scheduledItemDays} days, retention.scheduledItemDays)`
            : `${name} was stored without creating an item: ${m.action ?? 'no action logged'}`,
        );
    }
  }
  return lines;
}

/** The newest logged message that touched a (closed) item, in one line, or undefined. */
export function lastMessageOf(store: Pick<WorklistStore, 'messages'>, item: StoredItem, accessionNumber: string | undefined): string | undefined {
  if (!accessionNumber) return undefined;
  const m = store.messages.list({ accessionNumber, outcome: 'stored', limit: MAX_MESSAGES }).find((msg) => msg.itemIds.includes(item.id));
  return m && `${describeMessage(m)}: ${m.action ?? 'stored'}`;
}
