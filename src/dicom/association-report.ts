/**
 * What the SCP records when it refuses an association: a warning (throttled: a hostile peer can
 * cause any number), a query log record that `explain` can find, the rejection metric and the
 * audit trail's hook.
 */
import type { ThrottledLogger } from '../log-throttle.js';
import type { LogFields } from '../log.js';
import { rejectedAssociationRecord } from '../model/query-record.js';
import { rejectReasonName } from './associate-request.js';
import type { ScpServices } from './services.js';

export function reportRejectedAssociation(
  services: ScpServices,
  noisy: ThrottledLogger,
  peer: { remote: string; aeTitles: { calledAeTitle: string; callingAeTitle: string } | undefined; fields: LogFields },
  reject: { result: number; source: number; reason: number },
  why: string,
): void {
  const query = services.queryLog?.record(rejectedAssociationRecord(peer.remote, peer.aeTitles, why));
  noisy.warn('dicom.association_rejected', { ...peer.fields, reason: why, query });
  services.metrics?.associationRejected(rejectReasonName(reject));
  services.onAssociationRejected?.({ remote: peer.remote, callingAeTitle: peer.aeTitles?.callingAeTitle, calledAeTitle: peer.aeTitles?.calledAeTitle }, why);
}
