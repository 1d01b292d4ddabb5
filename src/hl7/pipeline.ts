/**
 * Decoding and mapping of one inbound HL7 message, without storing anything: bytes in, the mapped
 * order (or the typed error that rejects it) and what its ACK is addressed from out. Used by the
 * MLLP handler and by the `map` dry run alike.
 */
import { BridgeError, errorMessage } from '../errors.js';
import { Hl7Condition, Hl7Error, type Hl7Outcome } from '../model/hl7-error.js';
import { evaluateMapping } from '../mapping/evaluate.js';
import type { MappedOrder, MessagePolicies } from '../model/order.js';
import { valueTable, type Table } from '../mapping/tables.js';
import type { MappingSet } from '../mapping/select.js';
import { findSegments, messageHeader, rawComponent, type Hl7Message, type MessageHeader } from '../mapping/message.js';
import { checkOrderSupported } from '../worklist/order-controls.js';
import { buildAck, type AckCode, type AckError, type AckHeaderSource } from './ack.js';
import type { CharsetMismatchPolicy } from './charset.js';
import { checkMessageLimits, type MessageLimits } from './limits.js';
import { decodeHl7Message, readHeaderLeniently, type DecodedMessage } from './message.js';

export interface OrderPipelineOptions {
  /** The active mappings; a function so that a reload (SIGHUP) takes effect for the next message. */
  mappings: () => MappingSet;
  uidRoot: string;
  bridgeApplication: string;
  /** The policies the settings give every sender (hl7.emptyControlId, orders.*, mapping.fallbacks). */
  policies?: Partial<MessagePolicies>;
  /** Modality -> the calling AE titles dicom.callingAeSettings gives it (A\\B): the mappings' $callingAeTitles table. */
  callingAeTitles?: Readonly<Record<string, string>>;
  /** hl7.maxSegments / hl7.maxFieldsPerSegment; none checked when absent (the `map` dry run). */
  limits?: MessageLimits;
  /** hl7.charsetMismatch: what to do with UTF-8 bytes labelled as a single-byte character set. */
  charsetMismatch?: CharsetMismatchPolicy;
}

interface PipelineBase {
  header: AckHeaderSource & { messageType: string };
  charset: string;
  /** Name and file of the mapping that applied. */
  mapping?: { name: string; file: string };
  /** Set when the bytes were read as UTF-8 against MSH-18 (to be logged as hl7.charset_mismatch). */
  charsetMismatch?: { declared: string };
  /**
   * Of a message that could not be mapped: its patient ID and accession number where HL7 and IHE
   * put them (PID-3, IPC-1 or OBR-18), so that the message log can still be searched by them.
   */
  orderKeys?: { patientId: string | null; accessionNumber: string | null };
}

/** A message decoded and mapped (ok), or the error that stopped it. */
export type PipelineResult = (PipelineBase & { ok: true; order: MappedOrder }) | (PipelineBase & { ok: false; error: BridgeError });

type Decoded = Pick<DecodedMessage, 'message' | 'charsetMismatch'>;

/** Decodes and maps a message without storing anything (also the `map` dry run). */
export function runOrderPipeline(bytes: Buffer, opts: OrderPipelineOptions): PipelineResult {
  const header = lenientHeader(bytes);
  try {
    if (opts.limits) checkMessageLimits(bytes, opts.limits);
    return mapDecoded(decodeHl7Message(bytes, opts.charsetMismatch), header, opts);
  } catch (err) {
    return failed(err, { header, charset: 'utf-8' });
  }
}

function mapDecoded(decoded: Decoded, lenient: PipelineResult['header'], opts: OrderPipelineOptions): PipelineResult {
  const { message } = decoded;
  const base: PipelineBase = { header: lenient, charset: message.charset, ...(decoded.charsetMismatch ? { charsetMismatch: decoded.charsetMismatch } : {}) };
  try {
    const parsedHeader = messageHeader(message);
    base.header = ackSource(parsedHeader);
    checkHeader(parsedHeader);
    const selected = opts.mappings().select(parsedHeader);
    base.mapping = { name: selected.name, file: selected.file };
    const order = evaluateMapping(selected, message, { uidRoot: opts.uidRoot, policies: opts.policies ?? {}, runtimeTables: runtimeTables(opts) });
    if (!parsedHeader.controlId && order.policies.emptyControlId === 'reject') {
      throw new Hl7Error('HL7_REQUIRED_FIELD_MISSING', 'MSH-10 (message control id) is empty', {
        location: 'MSH-10',
        hint: 'every message needs a unique control id; the ACK refers to it (hl7.emptyControlId: accept takes such messages)',
      });
    }
    checkOrderSupported(order);
    return { ...base, ok: true, order };
  } catch (err) {
    return failed(err, { ...base, orderKeys: orderKeysOf(message) });
  }
}

function orderKeysOf(message: Hl7Message): { patientId: string | null; accessionNumber: string | null } {
  const first = (segment: string, field: number): string | null => {
    const [seg] = findSegments(message, segment);
    return rawComponent(seg?.fields[field]).trim() || null;
  };
  return { patientId: first('PID', 3), accessionNumber: first('IPC', 1) ?? first('OBR', 18) };
}

function failed(err: unknown, base: PipelineBase): PipelineResult {
  // Anything else escaping the decoder or mapper is still answered, as an internal error.
  const error = err instanceof BridgeError ? err : new Hl7Error('HL7_PARSE', `unexpected failure: ${errorMessage(err)}`, { cause: err });
  return { ...base, ok: false, error };
}

/** Whether a message is an acknowledgement (MSH-9.1 ACK), which HL7 never answers. */
export function isAcknowledgement(header: Pick<PipelineResult['header'], 'messageType'>): boolean {
  return (header.messageType.split('^')[0] ?? '').trim().toUpperCase() === 'ACK';
}

export function ackFor(result: Pick<PipelineResult, 'header'>, code: AckCode, error: AckError | undefined, bridgeApplication: string): string {
  return buildAck(result.header, code, error, { bridgeApplication });
}

export function ackErrorFor(error: BridgeError): { code: AckCode; error: AckError } {
  const { condition, ack } = hl7OutcomeOf(error);
  return { code: ack, error: { condition, location: error.location, message: error.message, detail: error.describe() } };
}

/**
 * What the ACK says of an error: an HL7 error carries its condition; of the store's, an item with
 * a value its VR does not allow is the sender's to fix (AE, data type error); anything else is ours
 * (AE, application internal error: the RIS sends the order again).
 */
function hl7OutcomeOf(error: BridgeError): Hl7Outcome {
  if (error instanceof Hl7Error) return { condition: error.condition, ack: error.ack };
  if (error.code === 'ITEM_INVALID') return { condition: Hl7Condition.dataTypeError, ack: 'AE' };
  return { condition: Hl7Condition.applicationInternalError, ack: 'AE' };
}

const tablesByOptions = new WeakMap<OrderPipelineOptions, ReadonlyMap<string, Table>>();

/** The tables the bridge builds from its settings, once per set of options. */
function runtimeTables(opts: OrderPipelineOptions): ReadonlyMap<string, Table> {
  let tables = tablesByOptions.get(opts);
  if (!tables) {
    tables = new Map([['$callingAeTitles', valueTable('$callingAeTitles', Object.entries(opts.callingAeTitles ?? {}))]]);
    tablesByOptions.set(opts, tables);
  }
  return tables;
}

/**
 * MSH is checked before any mapping runs: without a type nothing can be acknowledged properly. An
 * empty control id is the sender's policy's to refuse (hl7.emptyControlId), once its mapping is known.
 */
function checkHeader(h: MessageHeader): void {
  if (!h.messageCode || !h.triggerEvent) {
    throw new Hl7Error('HL7_REQUIRED_FIELD_MISSING', 'MSH-9 (message type^trigger event) is empty', {
      location: 'MSH-9',
      hint: 'send e.g. ORM^O01',
    });
  }
}

function ackSource(h: MessageHeader): AckHeaderSource & { messageType: string } {
  return {
    messageType: [h.messageCode, h.triggerEvent].filter(Boolean).join('^'),
    sendingApplication: h.sendingApplication,
    sendingFacility: h.sendingFacility,
    receivingApplication: h.receivingApplication,
    receivingFacility: h.receivingFacility,
    controlId: h.controlId,
    triggerEvent: h.triggerEvent,
    processingId: h.processingId,
    version: h.version,
  };
}

export function lenientHeader(bytes: Buffer): AckHeaderSource & { messageType: string } {
  const fields = readHeaderLeniently(bytes).fields;
  const f = (n: number, comp = 0): string => fields[n]?.split('^')[comp] ?? '';
  return {
    sendingApplication: f(3),
    sendingFacility: f(4),
    receivingApplication: f(5),
    receivingFacility: f(6),
    triggerEvent: f(9, 1),
    controlId: f(10),
    processingId: f(11),
    version: f(12),
    messageType: [f(9), f(9, 1)].filter(Boolean).join('^'),
  };
}
