/**
 * Errors about an HL7 message carry what the ACK says of them (as dcm4che's HL7Exception and
 * ERRSegment): the HL7 table 0357 condition for ERR-3 and the acknowledgment code, AE (the
 * content is wrong: fix it and resend) or AR (the message cannot be processed at all). Each HL7
 * error code has its condition declared once, here.
 */
import { BridgeError, type ErrorCode } from '../errors.js';

/** HL7 v2 table 0357 message error condition codes used in ERR segments. */
export const Hl7Condition = {
  segmentSequenceError: { code: '100', text: 'Segment sequence error' },
  requiredFieldMissing: { code: '101', text: 'Required field missing' },
  dataTypeError: { code: '102', text: 'Data type error' },
  tableValueNotFound: { code: '103', text: 'Table value not found' },
  unsupportedMessageType: { code: '200', text: 'Unsupported message type' },
  unsupportedEventCode: { code: '201', text: 'Unsupported event code' },
  unsupportedProcessingId: { code: '202', text: 'Unsupported processing id' },
  unsupportedVersionId: { code: '203', text: 'Unsupported version id' },
  unknownKeyIdentifier: { code: '204', text: 'Unknown key identifier' },
  applicationInternalError: { code: '207', text: 'Application internal error' },
} as const;

export type Hl7ConditionCode = (typeof Hl7Condition)[keyof typeof Hl7Condition];

export type Hl7ErrorCode = Extract<ErrorCode, `HL7_${string}`>;

export interface Hl7Outcome {
  condition: Hl7ConditionCode;
  ack: 'AE' | 'AR';
}

const OUTCOMES: Record<Hl7ErrorCode, Hl7Outcome> = {
  HL7_DECODE: { condition: Hl7Condition.segmentSequenceError, ack: 'AR' },
  HL7_PARSE: { condition: Hl7Condition.segmentSequenceError, ack: 'AR' },
  HL7_MISSING_MSH: { condition: Hl7Condition.segmentSequenceError, ack: 'AR' },
  HL7_UNSUPPORTED_MESSAGE: { condition: Hl7Condition.unsupportedMessageType, ack: 'AR' },
  HL7_UNSUPPORTED_ORDER_CONTROL: { condition: Hl7Condition.tableValueNotFound, ack: 'AR' },
  HL7_UNKNOWN_ORDER: { condition: Hl7Condition.unknownKeyIdentifier, ack: 'AE' },
  HL7_REQUIRED_FIELD_MISSING: { condition: Hl7Condition.requiredFieldMissing, ack: 'AE' },
  HL7_BAD_VALUE: { condition: Hl7Condition.tableValueNotFound, ack: 'AE' },
  HL7_INVALID_VALUE: { condition: Hl7Condition.dataTypeError, ack: 'AE' },
  HL7_LIMIT_EXCEEDED: { condition: Hl7Condition.applicationInternalError, ack: 'AR' },
  // Sending it again changes nothing: AR. (An ignored non-imaging order is answered AA instead.)
  HL7_NOT_IMAGING_ORDER: { condition: Hl7Condition.tableValueNotFound, ack: 'AR' },
  HL7_UNKNOWN_CODE: { condition: Hl7Condition.tableValueNotFound, ack: 'AE' },
};

export function isHl7ErrorCode(code: ErrorCode): code is Hl7ErrorCode {
  return Object.prototype.hasOwnProperty.call(OUTCOMES, code);
}

export class Hl7Error extends BridgeError {
  declare readonly code: Hl7ErrorCode;
  readonly condition: Hl7ConditionCode;
  readonly ack: 'AE' | 'AR';

  constructor(code: Hl7ErrorCode, message: string, opts: { location?: string; hint?: string; cause?: unknown } = {}) {
    super(code, message, opts);
    this.name = 'Hl7Error';
    ({ condition: this.condition, ack: this.ack } = OUTCOMES[code]);
  }
}
