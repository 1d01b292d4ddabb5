/**
 * The order lifecycle: how mapped orders and patient updates change the stored worklist. These
 * rules live here and nowhere else. Everything one message does is applied, together with its
 * message log entry, in one transaction; a message already applied (same sender and MSH-10) has no
 * second effect and is answered with its original ACK.
 *
 *   NW         create (or update, when the order already exists)
 *   XO         change an existing order (identified by placer, else filler order number, else accession)
 *   CA, OC     cancel            DC, OD     discontinue
 *   SC         status change from ORC-5: SC scheduled, IP in progress, CM completed, CA cancelled, DC discontinued, HD held
 *   HD, OH     hold              RL, OR     release (back to scheduled)
 *   ADT^A08/A31  update the demographics of the patient's open items
 *   ADT^A40      move the merged patient's open items to the surviving patient
 * An order group the mapping's nonImaging rule matches is ignored (AA, logged with the reason) or
 * refuses the message (AR), as policies.nonImaging says. The policies are the message's own
 * (settings, then the sender's mapping: mapping/policies.ts).
 */
import { checkOrderSupported, isPatientMessage, targetStatus, unknownOrder, type ItemAction } from './order-controls.js';
import { Hl7Error } from '../model/hl7-error.js';
import { messageNotes, type MappedOrder, type MappedProcedure } from '../model/order.js';
import type { WorklistStore } from '../store/worklist-store.js';
import type { StoredItem } from '../store/item-table.js';
import type { MessageRecord } from '../store/message-log.js';
export type { MessageOrigin } from '../store/message-log.js';
import { Tags, elementStrings, firstString, sequenceItems, withStepStatus, type DicomJson } from '../model/item.js';

export type MessageLogEntry = Omit<MessageRecord, 'itemIds' | 'outcome' | 'action' | 'patientId' | 'accessionNumber'>;

/** What to do with XO, CA, DC, SC, HD or RL for an order the bridge does not know. */
export type UnknownOrderPolicy = 'reject' | 'apply';

/** Told of each order durably applied (for the audit trail); never of duplicates or ignored messages. */
export type OrderObserver = (applied: {
  sendingApplication: string;
  actions: ItemAction[];
  patientId: string;
  patientName: string;
  accessionNumber: string;
}) => void;

export interface OrderOutcome {
  /** The ACK to send: the new one, or the original one for a duplicate. */
  ack: string;
  duplicate: boolean;
  actions: ItemAction[];
  itemIds: number[];
  /** This message's entry in the message log. */
  messageId: number;
  /** For a duplicate, the entry of the message it repeats. */
  originalMessageId?: number;
  /**
   * Set when another message with the same sender and control id was applied before, with other
   * content: this one was applied as a message of its own (a RIS that reuses control ids).
   */
  controlIdReusedFrom?: number;
}

export class OrderService {
  constructor(
    private readonly store: WorklistStore,
    private readonly opts: { onApplied?: OrderObserver } = {},
  ) {}

  check(order: MappedOrder): void {
    checkOrderSupported(order);
  }

  /** Applies a message and logs it, in one transaction; durable when this returns. */
  apply(order: MappedOrder, log: MessageLogEntry & { ack: string }): OrderOutcome {
    this.check(order);
    const first = order.procedures[0]?.item ?? {};
    const logKeys = {
      patientId: firstString(first, Tags.PatientID) ?? null,
      accessionNumber: firstString(first, Tags.AccessionNumber) ?? null,
      notes: messageNotes(order) ?? null,
    };
    return this.store.transaction(() => {
      // A resend is the same sender, control id and content; another message with a known control id
      // is applied like any other (RIS systems reuse control ids: a counter reset, one id per batch).
      const original = log.controlId
        ? this.store.messages.findApplied(
            { sendingApplication: log.sendingApplication, sendingFacility: log.sendingFacility, controlId: log.controlId },
            log.raw,
            log.contentHash,
          )
        : undefined;
      if (original) {
        const messageId = this.store.messages.record({
          ...log,
          ...logKeys,
          ack: original.ack,
          action: 'duplicate',
          outcome: 'duplicate',
          itemIds: original.itemIds,
          error: null,
        });
        return { ack: original.ack ?? log.ack, duplicate: true, actions: [], itemIds: original.itemIds, messageId, originalMessageId: original.id };
      }
      const reusedFrom = log.controlId
        ? this.store.messages.appliedWithControlId({
            sendingApplication: log.sendingApplication,
            sendingFacility: log.sendingFacility,
            controlId: log.controlId,
          })
        : undefined;
      const results = isPatientMessage(order)
        ? this.applyPatientMessage(order)
        : order.procedures.flatMap((p) => this.applyProcedure(p, order.policies.unknownOrder));
      const itemIds = [...new Set(results.flatMap((r) => r.itemIds))];
      const actions = results.map((r) => r.action);
      const ignored = actions.every((a) => a === 'ignored');
      const messageId = this.store.messages.record({
        ...log,
        ...logKeys,
        action: [...new Set(actions)].join(','),
        outcome: ignored ? 'ignored' : 'stored',
        itemIds,
      });
      return { ack: log.ack, duplicate: false, actions, itemIds, messageId, ...(reusedFrom !== undefined ? { controlIdReusedFrom: reusedFrom } : {}) };
    });
  }

  /**
   * apply() in a group commit: resolves once the transaction holding this message (and those that
   * arrived with it) has committed, so the ACK can be sent.
   */
  applyDurably(order: MappedOrder, log: MessageLogEntry & { ack: string }): Promise<OrderOutcome> {
    const applied = this.store.inCommitGroup(() => this.apply(order, log));
    const observer = this.opts.onApplied;
    if (!observer) return applied;
    return applied.then((outcome) => {
      if (!outcome.duplicate && outcome.actions.some((a) => a !== 'ignored')) {
        const first = order.procedures[0]?.item ?? {};
        observer({
          sendingApplication: log.sendingApplication ?? '',
          actions: outcome.actions,
          patientId: firstString(first, Tags.PatientID) ?? '',
          patientName: firstString(first, Tags.PatientName) ?? '',
          accessionNumber: firstString(first, Tags.AccessionNumber) ?? '',
        });
      }
      return outcome;
    });
  }

  /**
   * Logs a message that was answered with AE or AR, in a group commit (so that its write neither
   * waits for an fsync nor for another process's write lock on the event loop).
   */
  logRejected(log: MessageLogEntry, outcome: 'rejected' | 'error', keys: { patientId?: string | null; accessionNumber?: string | null } = {}): Promise<number> {
    return this.store.inCommitGroup(() =>
      this.store.messages.record({
        ...log,
        patientId: keys.patientId ?? null,
        accessionNumber: keys.accessionNumber ?? null,
        action: null,
        outcome,
        itemIds: [],
      }),
    );
  }

  private applyProcedure(p: MappedProcedure, unknownOrderPolicy: UnknownOrderPolicy): { action: ItemAction; itemIds: number[] }[] {
    if (p.nonImaging) return [{ action: 'ignored', itemIds: [] }];
    const existing = this.matchingItems(p);
    const control = p.orderControl;
    if (control === 'NW' || control === 'XO') {
      if (existing.length === 0) {
        if (control === 'XO' && unknownOrderPolicy === 'reject') throw unknownOrder(p);
        return [{ action: 'created', itemIds: [this.store.items.insert({ dataset: p.item, source: 'hl7' })] }];
      }
      return existing.map((item) => {
        // NW re-sent for a known order replaces it and schedules it again; XO keeps the status.
        const status = control === 'NW' ? 'SCHEDULED' : item.status;
        this.store.items.update(item.id, withStepStatus(p.item, status), status);
        return { action: 'updated' as const, itemIds: [item.id] };
      });
    }
    const target = targetStatus(p);
    if (existing.length === 0) {
      if (unknownOrderPolicy === 'reject') throw unknownOrder(p);
      return [{ action: 'ignored', itemIds: [] }];
    }
    return existing.map((item) => {
      // A status change: the stored values stay as they are.
      this.store.items.update(item.id, withStepStatus(item.dataset, target.status), target.status, { validate: false });
      return { action: target.action, itemIds: [item.id] };
    });
  }

  /** The stored items a procedure refers to; with several items in one order, the one with its SPS ID. */
  private matchingItems(p: MappedProcedure): StoredItem[] {
    const items = this.store.items.findOrderItems({
      placerOrderNumber: firstString(p.item, Tags.PlacerOrderNumberImagingServiceRequest) ?? '',
      fillerOrderNumber: firstString(p.item, Tags.FillerOrderNumberImagingServiceRequest) ?? '',
      accessionNumber: firstString(p.item, Tags.AccessionNumber) ?? '',
    });
    const spsId = stepValue(p.item, Tags.ScheduledProcedureStepID);
    const bySps = spsId ? items.filter((i) => stepValue(i.dataset, Tags.ScheduledProcedureStepID) === spsId) : [];
    if (bySps.length > 0) return bySps;
    // Status changes apply to the whole order.
    if (p.orderControl !== 'NW' && p.orderControl !== 'XO') return items;
    // A new or changed procedure is the order's only item unless that item is another step (SPS ID).
    const only = items.length === 1 ? items[0] : undefined;
    const otherStep = only && spsId && stepValue(only.dataset, Tags.ScheduledProcedureStepID);
    return only && !otherStep ? [only] : [];
  }

  private applyPatientMessage(order: MappedOrder): { action: ItemAction; itemIds: number[] }[] {
    return order.procedures.map((p) => {
      const patientId = firstString(p.item, Tags.PatientID) ?? '';
      const merge = order.messageType === 'ADT^A40';
      const oldId = merge ? p.mergedPatientId : patientId;
      if (merge && !oldId) {
        throw new Hl7Error('HL7_REQUIRED_FIELD_MISSING', 'ADT^A40 without the merged patient ID', {
          location: 'MRG-1',
          hint: 'send the prior patient identifier in MRG-1',
        });
      }
      const items = this.store.items.openOfPatient(oldId);
      if (items.length === 0) return { action: 'ignored' as const, itemIds: [] };
      for (const item of items) this.store.items.update(item.id, withPatient(item.dataset, p.item), item.status);
      return { action: merge ? ('merged' as const) : ('demographics' as const), itemIds: items.map((i) => i.id) };
    });
  }
}

function stepValue(item: DicomJson, tag: string): string | undefined {
  const step = sequenceItems(item, Tags.ScheduledProcedureStepSequence)[0];
  return step ? elementStrings(step[tag])[0] : undefined;
}

/** The item with the patient-level attributes of an ADT message copied onto it. */
function withPatient(item: DicomJson, patient: DicomJson): DicomJson {
  const updated = { ...item };
  for (const [tag, element] of Object.entries(patient)) {
    if (element.vr !== 'SQ') updated[tag] = element;
  }
  return updated;
}
