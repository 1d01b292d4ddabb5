/**
 * Modality Performed Procedure Step N-CREATE and N-SET on one association: the request is checked
 * (SOP class, a SOP Instance UID, a readable data set), handed to the MPPS rules of the worklist
 * (worklist/mpps.ts), and their outcome, or any exception, becomes the response status.
 */
import { errorMessage } from '../errors.js';
import type { DicomJson } from '../model/item.js';
import type { MppsRefusal } from '../worklist/mpps.js';
import { printable } from './associate-request.js';
import { SopClassUid } from './association-policy.js';
import {
  Status,
  affectedSopClassOf,
  datasetReadProblem,
  requestedSopClassOf,
  type NCreateRequest,
  type NCreateResponse,
  type NSetRequest,
  type NSetResponse,
} from './dimse-shim.js';
import { DimseStatus, errorComment, statusText } from './dimse-status.js';
import { identifierFromNaturalized } from './identifier.js';
import type { MppsHandlers, RequestScope } from './services.js';

const MPPS_STATUS: Record<MppsRefusal, number> = {
  duplicate: DimseStatus.duplicateSopInstance,
  'no-such-instance': DimseStatus.noSuchObjectInstance,
  final: DimseStatus.processingFailure, // a COMPLETED/DISCONTINUED step may not change
  'invalid-status': DimseStatus.invalidAttributeValue,
  'missing-attribute': DimseStatus.missingAttribute,
  'missing-value': DimseStatus.missingAttributeValue,
};

const UID = /^[0-9]+(\.[0-9]+)*$/;

type MppsResponse = InstanceType<typeof NCreateResponse> | InstanceType<typeof NSetResponse>;

/** Answers an N-CREATE (op 'create') or N-SET (op 'set') of the SOP instance uid, filling response. */
export function answerMpps<R extends MppsResponse>(
  op: 'create' | 'set',
  uid: unknown,
  request: NCreateRequest | NSetRequest,
  response: R,
  scope: RequestScope,
  mpps: MppsHandlers | undefined,
): R {
  const { logger } = scope;
  const fields = { ...scope.fields(), sop_instance: printable(uid ?? '') };
  const refuse = (status: number, reason: string): R => {
    response.setStatus(status);
    response.setErrorComment(errorComment(reason));
    logger.warn(`dicom.mpps_${op}_refused`, { ...fields, status: statusText(status), reason });
    return response;
  };
  const sopClass = op === 'create' ? affectedSopClassOf(request) : requestedSopClassOf(request);
  if (!mpps || sopClass !== SopClassUid.ModalityPerformedProcedureStep || !scope.onOwnContext(request, SopClassUid.ModalityPerformedProcedureStep)) {
    return refuse(
      DimseStatus.sopClassNotSupported,
      `SOP class ${printable(sopClass ?? '')} is not Modality Performed Procedure Step on its own presentation context`,
    );
  }
  if (!uid) return refuse(DimseStatus.missingAttribute, 'N-SET names no Requested SOP Instance UID');
  if (typeof uid !== 'string' || !UID.test(uid) || uid.length > 64)
    return refuse(DimseStatus.invalidObjectInstance, `SOP Instance UID "${printable(uid)}" is not a UID`);
  const dataset = request.getDataset();
  if (!dataset) return refuse(DimseStatus.missingAttribute, `N-${op.toUpperCase()} carries no data set`);
  const unreadable = datasetReadProblem(dataset);
  if (unreadable) return refuse(DimseStatus.processingFailure, `data set unreadable: ${unreadable}`);
  let attributes: DicomJson;
  try {
    attributes = identifierFromNaturalized(dataset.getElements());
  } catch (err) {
    return refuse(DimseStatus.processingFailure, `data set unreadable: ${errorMessage(err)}`);
  }
  try {
    const result = mpps[op](uid, attributes, scope.callingAeTitle);
    if (!result.ok) return refuse(MPPS_STATUS[result.reason], result.message);
    response.setStatus(Status.Success);
    logger.info(`dicom.mpps_${op}`, {
      ...fields,
      status: result.status,
      items: result.itemIds.join(',') || 'none (unscheduled)',
      closed_items_kept: result.closedItemIds.length ? result.closedItemIds.join(',') : undefined,
    });
  } catch (err) {
    response.setStatus(DimseStatus.processingFailure);
    response.setErrorComment(errorComment(errorMessage(err)));
    logger.error(`dicom.mpps_${op}_failed`, { ...fields, error: errorMessage(err) });
  }
  return response;
}
