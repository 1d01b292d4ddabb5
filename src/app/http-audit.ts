/**
 * The HTTP server's part of the audit trail, wrapped around the services app/http.ts hands it (http/
 * knows nothing of auditing): each DICOMweb search is a Query, each item made or changed by hand an
 * Order Record with the token's name as the user, each login or API token checked a User
 * Authentication (a refused one also a Security Alert).
 */
import type { ItemWrites, SearchLog } from '../http/services.js';
import type { AuthenticationEvent } from '../http/access.js';
import { Tags, firstString, type StoredItem } from '../model/item.js';
import type { ManualChange, Requester } from '../worklist/manual-items.js';
import type { AuditRecorder, ManualItemChange } from './audit.js';

/** The query log, also recording each DICOMweb search that had an identifier (refused ones have none) as a Query. */
export function auditedSearchLog(queryLog: SearchLog, audit: AuditRecorder): SearchLog {
  return {
    record(entry) {
      if (entry.kind === 'dicomweb' && entry.identifier) {
        // The query log's remote reads "ADDRESS (token NAME)" when a token was used.
        const m = /^(\S+)(?: \(token (\S+)\))?$/.exec(entry.remote ?? '');
        const address = m?.[1] ?? entry.remote ?? '';
        // The calling AE title the search ran as (its token's or http.callingAeTitle), else the token's name.
        audit.query({ remote: address, callingAeTitle: entry.callingAeTitle ?? m?.[2] ?? '' }, entry.identifier);
      }
      return queryLog.record(entry);
    },
  };
}

/** The item writes, each change recorded (after it was stored) as an Order Record of its patient. */
export function auditedItemWrites(items: ItemWrites, audit: AuditRecorder): ItemWrites {
  const recorded = async (action: ManualItemChange['action'], who: Requester, change: Promise<ManualChange>): Promise<ManualChange> => {
    const done = await change;
    audit.manualItem({ action, user: who.token ?? undefined, remote: who.remote, ...patientOf(done.item) });
    return done;
  };
  return {
    create: (dataset, who, body) => recorded('created', who, items.create(dataset, who, body)),
    update: (id, dataset, who, body) => recorded('updated', who, items.update(id, dataset, who, body)),
    cancel: (id, who) => recorded('cancelled', who, items.cancel(id, who)),
    delete: (id, who) => recorded('deleted', who, items.delete(id, who)),
  };
}

/** Logins and API tokens, for AccessControl.onAuthentication. */
export function auditAuthentication(audit: AuditRecorder): (event: AuthenticationEvent) => void {
  return (event) => {
    audit.authentication(event);
  };
}

function patientOf(item: StoredItem): Pick<ManualItemChange, 'patientId' | 'patientName' | 'accessionNumber'> {
  const { dataset } = item;
  return {
    patientId: firstString(dataset, Tags.PatientID) ?? '',
    patientName: personName(dataset[Tags.PatientName]?.Value?.[0]),
    accessionNumber: firstString(dataset, Tags.AccessionNumber) ?? '',
  };
}

/** A PN value of DICOM JSON ({Alphabetic: "DOE^JANE"}) as text. */
function personName(value: unknown): string {
  if (typeof value === 'string') return value;
  const alphabetic = (value as { Alphabetic?: unknown } | undefined)?.Alphabetic;
  return typeof alphabetic === 'string' ? alphabetic : '';
}
