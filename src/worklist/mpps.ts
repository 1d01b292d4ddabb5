/**
 * Modality Performed Procedure Step (IHE SWF RAD-6/7): a modality reports that it started
 * (N-CREATE, IN PROGRESS), completed or discontinued (N-SET) the steps it took from the worklist.
 * The referenced scheduled steps change status accordingly, so they stay on or leave the worklist.
 */
import { CLOSED_STATUSES, Tags, elementStrings, firstString, sequenceItems, withStepStatus, type DicomJson, type ItemStatus } from '../model/item.js';
import type { WorklistStore } from '../store/worklist-store.js';
import type { StoredItem } from '../store/item-table.js';

export const MppsTags = {
  ScheduledStepAttributesSequence: '00400270',
  PerformedProcedureStepStatus: '00400252',
} as const;

/**
 * Attributes an N-CREATE must carry with a value (Type 1 for the SCU in PS3.4 Table F.7.2-1).
 * Type 2 attributes (present, maybe empty) are not enforced: modalities omit some, and nothing
 * here depends on them.
 */
const N_CREATE_TYPE_1: ReadonlyArray<readonly [tag: string, name: string]> = [
  ['00400270', 'ScheduledStepAttributesSequence'],
  ['00400253', 'PerformedProcedureStepID'],
  ['00400241', 'PerformedStationAETitle'],
  ['00400244', 'PerformedProcedureStepStartDate'],
  ['00400245', 'PerformedProcedureStepStartTime'],
  ['00400252', 'PerformedProcedureStepStatus'],
  ['00080060', 'Modality'],
];
/** Type 1 within each item of the Scheduled Step Attributes Sequence. */
const SCHEDULED_STEP_TYPE_1: ReadonlyArray<readonly [tag: string, name: string]> = [['0020000D', 'StudyInstanceUID']];

const STATUS_OF_ITEM: Record<string, ItemStatus> = {
  'IN PROGRESS': 'STARTED',
  COMPLETED: 'COMPLETED',
  DISCONTINUED: 'DISCONTINUED',
};

/** Outcome of an MPPS request, mapped to a DIMSE status by the SCP. */
export type MppsResult =
  | {
      ok: true;
      status: string;
      /** The scheduled steps the MPPS references. */
      itemIds: number[];
      /** Referenced steps left as they were because they are closed (completed, discontinued, cancelled). */
      closedItemIds: number[];
    }
  | { ok: false; reason: MppsRefusal; message: string };

export type MppsRefusal = 'duplicate' | 'no-such-instance' | 'final' | 'invalid-status' | 'missing-attribute' | 'missing-value';

/** Called, inside the status change's transaction, for each item an MPPS changed (e.g. to queue an HL7 message). */
export type MppsNotifier = (item: DicomJson, performedStatus: 'IN PROGRESS' | 'COMPLETED' | 'DISCONTINUED') => void;

export class MppsService {
  constructor(
    private readonly store: WorklistStore,
    private readonly notify?: MppsNotifier,
  ) {}

  create(sopInstanceUid: string, dataset: DicomJson, callingAeTitle: string): MppsResult {
    const missing = missingType1(dataset);
    if (missing) return missing;
    const status = performedStatus(dataset);
    // PS3.4 F.7.2.1.3: an N-CREATE is accepted only IN PROGRESS (else Invalid Attribute Value).
    if (status !== 'IN PROGRESS')
      return { ok: false, reason: 'invalid-status', message: `N-CREATE with Performed Procedure Step Status "${status}": only IN PROGRESS may be created` };
    return this.store.transaction(() => {
      if (this.store.mpps.get(sopInstanceUid)) return { ok: false, reason: 'duplicate', message: `MPPS ${sopInstanceUid} exists already` };
      const itemIds = this.referencedItems(dataset).map((item) => item.id);
      this.store.mpps.save(sopInstanceUid, { status, itemIds, dataset, callingAeTitle });
      const closedItemIds = this.applyStatus(itemIds, status);
      return { ok: true, status, itemIds, closedItemIds };
    });
  }

  set(sopInstanceUid: string, changes: DicomJson, callingAeTitle: string): MppsResult {
    return this.store.transaction(() => {
      const existing = this.store.mpps.get(sopInstanceUid);
      if (!existing) return { ok: false, reason: 'no-such-instance', message: `no MPPS ${sopInstanceUid}` };
      if (existing.status !== 'IN PROGRESS') {
        return { ok: false, reason: 'final', message: `MPPS ${sopInstanceUid} is ${existing.status} and may no longer be changed` };
      }
      const status = changes[MppsTags.PerformedProcedureStepStatus] ? performedStatus(changes) : existing.status;
      if (!STATUS_OF_ITEM[status]) return invalid(status);
      this.store.mpps.save(sopInstanceUid, { status, itemIds: existing.itemIds, dataset: { ...existing.dataset, ...changes }, callingAeTitle });
      const closedItemIds = this.applyStatus(existing.itemIds, status);
      return { ok: true, status, itemIds: existing.itemIds, closedItemIds };
    });
  }

  private referencedItems(dataset: DicomJson) {
    const refs = sequenceItems(dataset, MppsTags.ScheduledStepAttributesSequence);
    const seen = new Map<number, StoredItem>();
    for (const ref of refs) {
      for (const item of this.store.items.findScheduledSteps({
        accessionNumber: firstString(ref, Tags.AccessionNumber) ?? '',
        studyInstanceUid: firstString(ref, Tags.StudyInstanceUID) ?? '',
        spsId: firstString(ref, Tags.ScheduledProcedureStepID) ?? '',
        requestedProcedureId: firstString(ref, Tags.RequestedProcedureID) ?? '',
      })) {
        seen.set(item.id, item);
      }
    }
    return [...seen.values()];
  }

  /**
   * Sets the scheduled steps' status from the performed step's. A closed step (completed,
   * discontinued, cancelled) is never changed: an MPPS for a cancelled order does not bring it back
   * onto the worklist. The RIS is told of every referenced step all the same. Returns the closed ones.
   */
  private applyStatus(itemIds: number[], performed: string): number[] {
    const status = STATUS_OF_ITEM[performed];
    // Both callers refused any other performed status before.
    if (!status) throw new Error(`no scheduled step status for performed status "${performed}"`);
    const closed: number[] = [];
    for (const id of itemIds) {
      const item = this.store.items.get(id);
      if (!item) continue;
      if ((CLOSED_STATUSES as readonly string[]).includes(item.status)) {
        closed.push(id);
        this.notify?.(item.dataset, performed as Parameters<MppsNotifier>[1]);
        continue;
      }
      const updated = withStepStatus(item.dataset, status);
      this.store.items.update(id, updated, status, { validate: false });
      this.notify?.(updated, performed as Parameters<MppsNotifier>[1]);
    }
    return closed;
  }
}

/** The first Type 1 attribute an N-CREATE lacks (missing-attribute) or leaves empty (missing-value). */
function missingType1(dataset: DicomJson): MppsResult | undefined {
  const check = (ds: DicomJson, list: ReadonlyArray<readonly [string, string]>, where: string): MppsResult | undefined => {
    for (const [tag, name] of list) {
      const element = ds[tag];
      const label = `${where}(${tag.slice(0, 4)},${tag.slice(4)}) ${name}`;
      if (!element) return { ok: false, reason: 'missing-attribute', message: `N-CREATE lacks ${label} (Type 1, PS3.4 Table F.7.2-1)` };
      const empty = element.vr === 'SQ' ? sequenceItems(ds, tag).length === 0 : elementStrings(element).every((v) => v.trim() === '');
      if (empty) return { ok: false, reason: 'missing-value', message: `N-CREATE has ${label} without a value (Type 1, PS3.4 Table F.7.2-1)` };
    }
    return undefined;
  };
  const top = check(dataset, N_CREATE_TYPE_1, '');
  if (top) return top;
  for (const [i, step] of sequenceItems(dataset, MppsTags.ScheduledStepAttributesSequence).entries()) {
    const inner = check(step, SCHEDULED_STEP_TYPE_1, `ScheduledStepAttributesSequence item ${i + 1} `);
    if (inner) return inner;
  }
  return undefined;
}

function performedStatus(dataset: DicomJson): string {
  return (elementStrings(dataset[MppsTags.PerformedProcedureStepStatus])[0] ?? '').trim().toUpperCase();
}

function invalid(status: string): MppsResult {
  return { ok: false, reason: 'invalid-status', message: `Performed Procedure Step Status "${status}" is not IN PROGRESS, COMPLETED or DISCONTINUED` };
}
