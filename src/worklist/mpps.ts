/**
 * Modality Performed Procedure Step (IHE SWF RAD-6/7): a modality reports that it started
 * (N-CREATE, IN PROGRESS), completed or discontinued (N-SET) the steps it took from the worklist.
 * The referenced scheduled steps change status accordingly, so they stay on or leave the worklist.
 */
import { Tags, elementStrings, firstString, sequenceItems, withStepStatus, type DicomJson, type ItemStatus } from './item.js';
import type { WorklistStore } from '../store/items.js';

export const MppsTags = {
  ScheduledStepAttributesSequence: '00400270',
  PerformedProcedureStepStatus: '00400252',
} as const;

const STATUS_OF_ITEM: Record<string, ItemStatus> = {
  'IN PROGRESS': 'STARTED',
  COMPLETED: 'COMPLETED',
  DISCONTINUED: 'DISCONTINUED',
};

/** Outcome of an MPPS request, mapped to a DIMSE status by the SCP. */
export type MppsResult =
  | { ok: true; status: string; itemIds: number[] }
  | { ok: false; reason: 'duplicate' | 'no-such-instance' | 'final' | 'invalid-status'; message: string };

/** Called, inside the status change's transaction, for each item an MPPS changed (e.g. to queue an HL7 message). */
export type MppsNotifier = (item: DicomJson, performedStatus: 'IN PROGRESS' | 'COMPLETED' | 'DISCONTINUED') => void;

export class MppsService {
  constructor(
    private readonly store: WorklistStore,
    private readonly notify?: MppsNotifier,
  ) {}

  create(sopInstanceUid: string, dataset: DicomJson, callingAeTitle: string): MppsResult {
    return this.store.transaction(() => {
      if (this.store.getMpps(sopInstanceUid)) return { ok: false, reason: 'duplicate', message: `MPPS ${sopInstanceUid} exists already` };
      const status = performedStatus(dataset) || 'IN PROGRESS';
      if (!STATUS_OF_ITEM[status]) return invalid(status);
      const itemIds = this.referencedItems(dataset).map((item) => item.id);
      this.store.saveMpps(sopInstanceUid, { status, itemIds, dataset, callingAeTitle });
      this.applyStatus(itemIds, status);
      return { ok: true, status, itemIds };
    });
  }

  set(sopInstanceUid: string, changes: DicomJson, callingAeTitle: string): MppsResult {
    return this.store.transaction(() => {
      const existing = this.store.getMpps(sopInstanceUid);
      if (!existing) return { ok: false, reason: 'no-such-instance', message: `no MPPS ${sopInstanceUid}` };
      if (existing.status !== 'IN PROGRESS') {
        return { ok: false, reason: 'final', message: `MPPS ${sopInstanceUid} is ${existing.status} and may no longer be changed` };
      }
      const status = performedStatus(changes) || existing.status;
      if (!STATUS_OF_ITEM[status]) return invalid(status);
      this.store.saveMpps(sopInstanceUid, { status, itemIds: existing.itemIds, dataset: { ...existing.dataset, ...changes }, callingAeTitle });
      this.applyStatus(existing.itemIds, status);
      return { ok: true, status, itemIds: existing.itemIds };
    });
  }

  private referencedItems(dataset: DicomJson) {
    const refs = sequenceItems(dataset, MppsTags.ScheduledStepAttributesSequence);
    const seen = new Map<number, ReturnType<WorklistStore['findScheduledSteps']>[number]>();
    for (const ref of refs) {
      for (const item of this.store.findScheduledSteps({
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

  private applyStatus(itemIds: number[], performed: string): void {
    const status = STATUS_OF_ITEM[performed]!;
    for (const id of itemIds) {
      const item = this.store.getItem(id);
      if (!item) continue;
      const updated = withStepStatus(item.dataset, status);
      this.store.updateItem(id, updated, status, { validate: false });
      this.notify?.(updated, performed as Parameters<MppsNotifier>[1]);
    }
  }
}

function performedStatus(dataset: DicomJson): string {
  return (elementStrings(dataset[MppsTags.PerformedProcedureStepStatus])[0] ?? '').trim().toUpperCase();
}

function invalid(status: string): MppsResult {
  return { ok: false, reason: 'invalid-status', message: `Performed Procedure Step Status "${status}" is not IN PROGRESS, COMPLETED or DISCONTINUED` };
}
