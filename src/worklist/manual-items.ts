/**
 * Worklist items made and changed by hand (the management API), for a RIS downtime: create, update,
 * cancel, delete. They pass the checks an order's item passes (every value against its VR when
 * stored, the type-1 attributes of PS3.4 K.6-1) and follow the order lifecycle: a new item is
 * SCHEDULED, an update keeps the status (like XO), a cancel sets CANCELED (like CA), and a closed
 * item (completed, discontinued, cancelled) is never changed again. Each change is logged in the
 * message log in the same transaction, with its source (http) and the token's name. Items made by
 * hand are items of their order: the RIS's own messages for the order, once it is back, apply to them.
 */
import { BridgeError } from '../errors.js';
import { CLOSED_STATUSES, Tags, firstString, sequenceItems, elementStrings, withStepStatus, type DicomJson, type StoredItem } from '../model/item.js';
import { describeTag, lookupTag } from '../model/dictionary.js';
import { missingType1 } from '../model/type1.js';
import type { WorklistStore } from '../store/worklist-store.js';

/** Who asks for a change: the peer's address and the token's name (null without tokens). */
export interface Requester {
  remote: string;
  token: string | null;
}

export interface ManualChange {
  item: StoredItem;
  /** The message log entry of the change. */
  messageId: number;
}

type ManualAction = 'created' | 'updated' | 'cancelled' | 'deleted';

export class ManualItems {
  constructor(private readonly store: Pick<WorklistStore, 'items' | 'messages' | 'inCommitGroup'>) {}

  /** Stores a new SCHEDULED item; 409 (ITEM_CONFLICT) when its order's step is stored already. */
  async create(dataset: DicomJson, who: Requester, body: Buffer): Promise<ManualChange> {
    checkType1(dataset);
    return await this.store.inCommitGroup(() => {
      const existing = this.sameStep(dataset);
      if (existing) {
        throw new BridgeError('ITEM_CONFLICT', `item ${existing.id} is this order's scheduled step already (status ${existing.status})`, {
          hint: `change it with PUT /api/v1/items/${existing.id}, or give another ScheduledProcedureStepID (0040,0009)`,
        });
      }
      const scheduled = withStepStatus(dataset, 'SCHEDULED');
      const id = this.store.items.insert({ dataset: scheduled, source: 'http' });
      const item = { id, status: 'SCHEDULED' as const, dataset: scheduled };
      return { item, messageId: this.log('created', item, who, body) };
    });
  }

  /** Replaces an open item's data set, keeping its status. */
  async update(id: number, dataset: DicomJson, who: Requester, body: Buffer): Promise<ManualChange> {
    checkType1(dataset);
    return await this.store.inCommitGroup(() => {
      const stored = this.openItem(id, 'changed');
      const updated = withStepStatus(dataset, stored.status);
      this.store.items.update(id, updated, stored.status);
      const item = { id, status: stored.status, dataset: updated };
      return { item, messageId: this.log('updated', item, who, body) };
    });
  }

  /** Cancels an open item (status CANCELED: it leaves the worklist like a cancelled order). */
  async cancel(id: number, who: Requester): Promise<ManualChange> {
    return await this.store.inCommitGroup(() => {
      const stored = this.openItem(id, 'cancelled');
      const dataset = withStepStatus(stored.dataset, 'CANCELED');
      this.store.items.update(id, dataset, 'CANCELED', { validate: false });
      const item = { id, status: 'CANCELED' as const, dataset };
      return { item, messageId: this.log('cancelled', item, who, Buffer.from(JSON.stringify({ cancel: id }))) };
    });
  }

  /** Deletes an item that is not in progress (STARTED: a modality performs it now). */
  async delete(id: number, who: Requester): Promise<ManualChange> {
    return await this.store.inCommitGroup(() => {
      const item = this.existing(id);
      if (item.status === 'STARTED') {
        throw new BridgeError('ITEM_CONFLICT', `item ${id} is STARTED: a modality performs it now`, {
          hint: 'let the modality complete or discontinue it (MPPS), or cancel it, before deleting it',
        });
      }
      this.store.items.delete(id);
      return { item, messageId: this.log('deleted', item, who, Buffer.from(JSON.stringify({ delete: id }))) };
    });
  }

  private existing(id: number): StoredItem {
    const item = this.store.items.get(id);
    if (!item) throw new BridgeError('ITEM_NOT_FOUND', `no item ${id}`, { hint: 'list the items with GET /api/v1/items' });
    return item;
  }

  private openItem(id: number, verb: string): StoredItem {
    const item = this.existing(id);
    if ((CLOSED_STATUSES as readonly string[]).includes(item.status)) {
      throw new BridgeError('ITEM_CONFLICT', `item ${id} is ${item.status}: a closed item cannot be ${verb}`, {
        hint: 'create a new item for the procedure instead',
      });
    }
    return item;
  }

  /** The stored item of the same order (placer, filler or accession number, as orders find theirs) and SPS ID. */
  private sameStep(dataset: DicomJson): StoredItem | undefined {
    const spsId = stepId(dataset);
    const items = this.store.items.findOrderItems({
      placerOrderNumber: firstString(dataset, Tags.PlacerOrderNumberImagingServiceRequest) ?? '',
      fillerOrderNumber: firstString(dataset, Tags.FillerOrderNumberImagingServiceRequest) ?? '',
      accessionNumber: firstString(dataset, Tags.AccessionNumber) ?? '',
    });
    return items.find((i) => !(CLOSED_STATUSES as readonly string[]).includes(i.status) && stepId(i.dataset) === spsId);
  }

  private log(action: ManualAction, item: StoredItem, who: Requester, body: Buffer): number {
    return this.store.messages.record({
      receivedAt: new Date().toISOString(),
      remote: who.remote,
      sendingApplication: null,
      sendingFacility: null,
      controlId: null,
      messageType: `HTTP item ${action}`,
      patientId: firstString(item.dataset, Tags.PatientID) ?? null,
      accessionNumber: firstString(item.dataset, Tags.AccessionNumber) ?? null,
      action,
      outcome: 'stored',
      ackCode: action === 'created' ? '201' : '200',
      error: null,
      itemIds: [item.id],
      raw: body,
      ack: null,
      origin: { source: 'http', token: who.token },
    });
  }
}

function stepId(dataset: DicomJson): string | undefined {
  const step = sequenceItems(dataset, Tags.ScheduledProcedureStepSequence)[0];
  return step ? elementStrings(step[Tags.ScheduledProcedureStepID])[0] : undefined;
}

/** VRs a dictionary entry may list as alternatives ("US or SS", "OB or OW"). */
const ALTERNATIVE_VRS = new Set(['US', 'SS', 'OB', 'OW']);

/**
 * Each attribute declares the VR the dictionary gives its tag (the VR checks and the C-FIND answers
 * go by it), and person names are objects (PS3.18 F.2.2): a wrong one is refused rather than stored.
 */
function checkDeclaredVrs(dataset: DicomJson, prefix = ''): void {
  for (const [tag, element] of Object.entries(dataset)) {
    const def = lookupTag(tag);
    const where = `${prefix}${describeTag(tag)}`;
    if (def && def.vr !== element.vr && !(ALTERNATIVE_VRS.has(def.vr) && ALTERNATIVE_VRS.has(element.vr))) {
      throw new BridgeError('ITEM_INVALID', `${where} is declared "vr": "${element.vr}", but its VR is ${def.vr}`, {
        location: tagText(tag),
        hint: `send "${tag}": { "vr": "${def.vr}", ... }`,
      });
    }
    if (element.vr === 'PN' && element.Value?.some((v) => typeof v === 'string')) {
      throw new BridgeError('ITEM_INVALID', `${where}: a person name value is an object, not a string (PS3.18 F.2.2)`, {
        location: tagText(tag),
        hint: `send "${tag}": { "vr": "PN", "Value": [{ "Alphabetic": "DOE^JANE" }] }`,
      });
    }
    if (element.vr === 'SQ') for (const [i, child] of sequenceItems(dataset, tag).entries()) checkDeclaredVrs(child, `${where}[${i + 1}] > `);
  }
}

/** An item made by hand must have every type-1 attribute (nothing fills one in for it), and its VRs as declared. */
function checkType1(dataset: DicomJson): void {
  checkDeclaredVrs(dataset);
  const [missing] = missingType1(dataset);
  if (!missing) return;
  const where = missing.inStep ? `ScheduledProcedureStepSequence (0040,0100) > ${missing.keyword}` : missing.keyword;
  throw new BridgeError('ITEM_INVALID', `${where} ${tagText(missing.tag)} has no value; it is type 1 in worklist items (PS3.4 Table K.6-1)`, {
    location: tagText(missing.tag),
    hint: missing.inStep
      ? `give the first item of 00400100 (ScheduledProcedureStepSequence) a "${missing.tag}" attribute with a value`
      : `add "${missing.tag}": { "vr": ..., "Value": [...] } with a value`,
  });
}

function tagText(tag: string): string {
  return `(${tag.slice(0, 4)},${tag.slice(4)})`;
}
