/** DIMSE status codes the SCP answers with (PS3.7 Annex C, PS3.4 C.4.1.1.4 and F.7). */
export const DimseStatus = {
  success: 0x0000,
  pending: 0xff00,
  cancel: 0xfe00,
  invalidAttributeValue: 0x0106,
  processingFailure: 0x0110,
  duplicateSopInstance: 0x0111,
  noSuchObjectInstance: 0x0112,
  invalidObjectInstance: 0x0117,
  missingAttribute: 0x0120,
  missingAttributeValue: 0x0121,
  sopClassNotSupported: 0x0122,
  outOfResources: 0xa700,
  identifierDoesNotMatchSopClass: 0xa900,
  unableToProcess: 0xc000,
} as const;

/** "0xA900", for log lines. */
export function statusText(status: number): string {
  return `0x${status.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** A text shortened for a DIMSE Error Comment (LO, 64 characters). */
export function errorComment(text: string): string {
  return text.slice(0, 64);
}
