/**
 * Who may associate, and on which presentation contexts: a pure decision over a checked
 * A-ASSOCIATE-RQ, the SCP's settings and how many associations are open.
 */
import { Reject, printable, type AssociateReject, type AssociateRequest } from './associate-request.js';

export const SopClassUid = {
  Verification: '1.2.840.10008.1.1',
  ModalityWorklistFind: '1.2.840.10008.5.1.4.31',
  ModalityPerformedProcedureStep: '1.2.840.10008.3.1.2.3.3',
} as const;

export const TransferSyntaxUid = {
  ImplicitVrLittleEndian: '1.2.840.10008.1.2',
  ExplicitVrLittleEndian: '1.2.840.10008.1.2.1',
} as const;

/** Transfer syntaxes the SCP reads and writes, in order of preference. */
const ACCEPTED_TRANSFER_SYNTAXES: readonly string[] = [TransferSyntaxUid.ExplicitVrLittleEndian, TransferSyntaxUid.ImplicitVrLittleEndian];

/** Who may associate, and how long they may take. */
export interface AssociationPolicy {
  /** The SCP's own AE title. */
  aeTitle: string;
  /** Reject a called AE title other than the SCP's own. */
  checkCalledAeTitle: boolean;
  /** Calling AE titles allowed; empty allows any. */
  allowedCallingAeTitles: readonly string[];
  maxAssociations: number;
  /** Largest PDU the SCP receives (announced in the answer). */
  maxPduLength: number;
  acseTimeoutMs: number;
  dimseTimeoutMs: number;
  /** Largest DIMSE message (command or data set) a peer may send, in bytes. */
  maxMessageBytes: number;
}

/** Presentation context results (PS3.8 9.3.3.2). */
export const ContextResult = {
  Acceptance: 0,
  UserRejection: 1,
  ProviderRejection: 2,
  AbstractSyntaxNotSupported: 3,
  TransferSyntaxesNotSupported: 4,
} as const;

export interface ContextDecision {
  id: number;
  abstractSyntax: string;
  result: number;
  /** The transfer syntax chosen, when accepted. */
  transferSyntax?: string;
}

export type AssociationDecision = { accept: true; contexts: ContextDecision[] } | { accept: false; reject: AssociateReject; why: string };

/** Whether the AE titles of an association are refused by the policy, and why (also used by `explain`). */
export function refusedAeTitles(
  policy: Pick<AssociationPolicy, 'aeTitle' | 'checkCalledAeTitle' | 'allowedCallingAeTitles'>,
  callingAeTitle: string,
  calledAeTitle: string,
): { reject: AssociateReject; why: string } | undefined {
  if (policy.checkCalledAeTitle && calledAeTitle !== policy.aeTitle.trim()) {
    return { reject: Reject.calledAeNotRecognized, why: `called AE title "${printable(calledAeTitle)}" is not "${policy.aeTitle}" (dicom.aeTitle)` };
  }
  if (policy.allowedCallingAeTitles.length > 0 && !policy.allowedCallingAeTitles.includes(callingAeTitle)) {
    return { reject: Reject.callingAeNotRecognized, why: `calling AE title "${printable(callingAeTitle)}" is not in dicom.allowedCallingAeTitles` };
  }
  return undefined;
}

export function decideAssociation(
  request: AssociateRequest,
  policy: Pick<AssociationPolicy, 'aeTitle' | 'checkCalledAeTitle' | 'allowedCallingAeTitles' | 'maxAssociations'>,
  opts: { openAssociations: number; supportedSopClasses: ReadonlySet<string> },
): AssociationDecision {
  const refused = refusedAeTitles(policy, request.callingAeTitle, request.calledAeTitle);
  if (refused) return { accept: false, ...refused };
  if (opts.openAssociations >= policy.maxAssociations) {
    return { accept: false, reject: Reject.localLimitExceeded, why: `${opts.openAssociations} associations already open (dicom.maxAssociations)` };
  }
  const contexts = request.contexts.map((context): ContextDecision => {
    const base = { id: context.id, abstractSyntax: context.abstractSyntax };
    if (!opts.supportedSopClasses.has(context.abstractSyntax)) return { ...base, result: ContextResult.AbstractSyntaxNotSupported };
    const transferSyntax = ACCEPTED_TRANSFER_SYNTAXES.find((ts) => context.transferSyntaxes.includes(ts));
    return transferSyntax ? { ...base, result: ContextResult.Acceptance, transferSyntax } : { ...base, result: ContextResult.TransferSyntaxesNotSupported };
  });
  return { accept: true, contexts };
}
