/**
 * Typed errors with stable codes. Each error says what went wrong, where (HL7 field or DICOM tag)
 * and, where there is one, how to fix it. They are logged once, where they are handled. Errors
 * about an HL7 message carry their HL7 condition too (model/hl7-error.ts).
 */

/** Stable error codes. Never renumber: integrators grep logs and message logs for them. */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'MAPPING_INVALID'
  | 'HL7_DECODE'
  | 'HL7_PARSE'
  | 'HL7_MISSING_MSH'
  | 'HL7_UNSUPPORTED_MESSAGE'
  | 'HL7_UNSUPPORTED_ORDER_CONTROL'
  | 'HL7_UNKNOWN_ORDER'
  | 'HL7_REQUIRED_FIELD_MISSING'
  | 'HL7_BAD_VALUE'
  /** A mapped value breaks the rules of its DICOM VR (syntax, length, characters). */
  | 'HL7_INVALID_VALUE'
  /** The message exceeds hl7.maxSegments or hl7.maxFieldsPerSegment. */
  | 'HL7_LIMIT_EXCEEDED'
  /** An order the mapping's nonImaging rule says is not an imaging order, with policies.nonImaging: reject. */
  | 'HL7_NOT_IMAGING_ORDER'
  /** A code a lookup table (with otherwise: reject) does not know, e.g. an unknown procedure code. */
  | 'HL7_UNKNOWN_CODE'
  | 'STORE_UNAVAILABLE'
  /** Another process (a second bridge) owns the database. */
  | 'STORE_IN_USE'
  /** An item to store breaks the rules of a DICOM VR (imports, and any other writer). */
  | 'ITEM_INVALID'
  | 'STORE_WRITE'
  | 'DICOM_FILE_INVALID'
  | 'DICOM_QUERY_INVALID'
  | 'WL_FILE_UNWRITABLE'
  | 'MIRROR_LOCK'
  | 'MIRROR_WRITE';

export class BridgeError extends Error {
  readonly code: ErrorCode;
  /** What the error is about: an HL7 location like "PID-3.1" or a DICOM tag like "(0010,0020)". */
  readonly location: string | undefined;
  /** A short hint saying how to fix it. */
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, opts: { location?: string; hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'BridgeError';
    this.code = code;
    this.location = opts.location;
    this.hint = opts.hint;
  }

  /** One line for logs and ERR segments: "CODE at LOCATION: message (hint)". */
  describe(): string {
    const where = this.location ? ` at ${this.location}` : '';
    const hint = this.hint ? ` (${this.hint})` : '';
    return `${this.code}${where}: ${this.message}${hint}`;
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof BridgeError) return err.describe();
  if (err instanceof Error) return err.message;
  return String(err);
}
