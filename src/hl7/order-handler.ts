/**
 * Handles one inbound HL7 message end to end: decode, map, store, then ACK. The ACK is built
 * from the outcome; AA only once the store transaction has committed. Any failure becomes an
 * AE/AR with an ERR segment naming the problem, and nothing is stored for that message.
 */
import { BridgeError, hl7ConditionFor, Hl7ErrorCondition } from '../errors.js';
import type { Logger } from '../log.js';
import { evaluateMapping, type MappedOrder } from '../mapping/evaluate.js';
import type { MappingSet } from '../mapping/select.js';
import { messageHeader, type MessageHeader } from '../mapping/message.js';
import type { OrderService } from '../worklist/orders.js';
import { firstString, Tags } from '../worklist/item.js';
import { buildAck, type AckCode, type AckError, type AckHeaderSource } from './ack.js';
import { encodeText } from './charset.js';
import { decodeHl7Message, readHeaderLeniently } from './message.js';
import type { MllpMessageHandler, PeerInfo } from './mllp.js';

export interface OrderPipelineOptions {
  /** The active mappings; a function so that a reload (SIGHUP) takes effect for the next message. */
  mappings: () => MappingSet;
  uidRoot: string;
  bridgeApplication: string;
}

export interface PipelineResult {
  header: AckHeaderSource & { messageType: string };
  charset: string;
  /** Name and file of the mapping that applied. */
  mapping?: { name: string; file: string };
  order?: MappedOrder;
  error?: BridgeError;
}

/** Decodes and maps a message without storing anything (also the `map` dry run). */
export function runOrderPipeline(bytes: Buffer, opts: OrderPipelineOptions, orders?: Pick<OrderService, 'check'>): PipelineResult {
  let header = lenientHeader(bytes);
  let charset = 'utf-8';
  let mapping: PipelineResult['mapping'];
  try {
    const { message } = decodeHl7Message(bytes);
    charset = message.charset;
    const parsedHeader = messageHeader(message);
    header = ackSource(parsedHeader);
    checkHeader(parsedHeader);
    const selected = opts.mappings().select(parsedHeader);
    mapping = { name: selected.name, file: selected.file };
    const order = evaluateMapping(selected, message, { uidRoot: opts.uidRoot });
    orders?.check(order);
    return { header, charset, mapping, order };
  } catch (err) {
    // Anything else escaping the decoder or mapper is still answered, as an internal error.
    const error = err instanceof BridgeError ? err : new BridgeError('HL7_PARSE', `unexpected failure: ${(err as Error).message}`, { cause: err });
    return { header, charset, mapping, error };
  }
}

export function ackFor(result: Pick<PipelineResult, 'header'>, code: AckCode, error: AckError | undefined, bridgeApplication: string): string {
  return buildAck(result.header, code, error, { bridgeApplication });
}

export function ackErrorFor(error: BridgeError): { code: AckCode; error: AckError } {
  const { condition, ack } = hl7ConditionFor(error.code);
  return { code: ack, error: { condition, location: error.location, message: error.message, detail: error.describe() } };
}

export function createOrderMessageHandler(opts: OrderPipelineOptions & { orders: OrderService; logger: Logger }): MllpMessageHandler {
  const { orders, logger, bridgeApplication } = opts;
  return async (bytes: Buffer, peer: PeerInfo) => {
    const receivedAt = new Date().toISOString();
    const result = runOrderPipeline(bytes, opts, orders);
    const logBase = {
      receivedAt,
      remote: `${peer.remoteAddress}:${peer.remotePort}`,
      sendingApplication: result.header.sendingApplication || null,
      sendingFacility: result.header.sendingFacility || null,
      controlId: result.header.controlId || null,
      messageType: result.header.messageType || null,
      raw: bytes,
    };
    if (result.order) {
      const ack = ackFor(result, 'AA', undefined, bridgeApplication);
      try {
        const outcome = await orders.applyDurably(result.order, { ...logBase, ackCode: 'AA', error: null, ack });
        logger.info(outcome.duplicate ? 'hl7.duplicate_message' : 'hl7.message_applied', {
          control_id: result.header.controlId,
          sender: result.header.sendingApplication,
          type: result.header.messageType,
          mapping: result.mapping?.name,
          order_control: result.order.procedures.map((p) => p.orderControl).join(','),
          actions: outcome.duplicate ? 'none (already applied; original ACK sent again)' : outcome.actions.join(','),
          items: outcome.itemIds.join(','),
        });
        return encodeText(outcome.ack, result.charset);
      } catch (err) {
        // Lifecycle refusals (unknown order...) are the sender's to fix; anything else is ours.
        const error = err instanceof BridgeError ? err : new BridgeError('STORE_WRITE', (err as Error).message, { cause: err });
        return reject(error, error.code.startsWith('HL7_') ? 'rejected' : 'error');
      }
    }
    return reject(result.error ?? new BridgeError('HL7_PARSE', 'unknown failure'), 'rejected');

    function reject(error: BridgeError, outcome: 'rejected' | 'error'): Buffer {
      const { code, error: ackError } =
        outcome === 'error'
          ? { code: 'AE' as const, error: { condition: Hl7ErrorCondition.applicationInternalError, message: error.message, detail: error.describe() } }
          : ackErrorFor(error);
      const ack = ackFor(result, code, ackError, bridgeApplication);
      const log = outcome === 'error' ? logger.error : logger.warn;
      log('hl7.message_rejected', {
        control_id: result.header.controlId,
        sender: result.header.sendingApplication,
        type: result.header.messageType,
        ack: code,
        code: error.code,
        location: error.location,
        reason: error.message,
      });
      const first = result.order?.procedures[0]?.item;
      try {
        orders.logRejected({ ...logBase, ackCode: code, error: error.describe(), ack }, outcome, {
          patientId: first ? firstString(first, Tags.PatientID) : null,
          accessionNumber: first ? firstString(first, Tags.AccessionNumber) : null,
        });
      } catch (logErr) {
        logger.error('hl7.message_log_failed', { control_id: result.header.controlId, error: (logErr as Error).message });
      }
      return encodeText(ack, result.charset);
    }
  };
}

/** The AR for a frame over mllp.maxFrameBytes, addressed from the MSH at its start. */
export function createOversizeReply(opts: { bridgeApplication: string; maxFrameBytes: number; orders: OrderService; logger: Logger }) {
  return (head: Buffer, bytes: number, peer: PeerInfo): Buffer => {
    const header = lenientHeader(head);
    const error = new BridgeError('HL7_PARSE', `message of ${bytes}+ bytes exceeds mllp.maxFrameBytes (${opts.maxFrameBytes})`, {
      hint: 'split the message, or raise mllp.maxFrameBytes',
    });
    const ack = ackFor({ header }, 'AR', { condition: Hl7ErrorCondition.applicationInternalError, message: error.message, detail: error.describe() }, opts.bridgeApplication);
    try {
      opts.orders.logRejected(
        {
          receivedAt: new Date().toISOString(),
          remote: `${peer.remoteAddress}:${peer.remotePort}`,
          sendingApplication: header.sendingApplication || null,
          sendingFacility: header.sendingFacility || null,
          controlId: header.controlId || null,
          messageType: header.messageType || null,
          ackCode: 'AR',
          error: error.describe(),
          ack,
          raw: head,
        },
        'rejected',
      );
    } catch (err) {
      opts.logger.error('hl7.message_log_failed', { control_id: header.controlId, error: (err as Error).message });
    }
    return encodeText(ack, 'utf-8');
  };
}

/** MSH is checked before any mapping runs: without a type and a control id nothing can be acknowledged properly. */
function checkHeader(h: MessageHeader): void {
  if (!h.messageCode || !h.triggerEvent) {
    throw new BridgeError('HL7_REQUIRED_FIELD_MISSING', 'MSH-9 (message type^trigger event) is empty', {
      location: 'MSH-9',
      hint: 'send e.g. ORM^O01',
    });
  }
  if (!h.controlId) {
    throw new BridgeError('HL7_REQUIRED_FIELD_MISSING', 'MSH-10 (message control id) is empty', {
      location: 'MSH-10',
      hint: 'every message needs a unique control id; the ACK refers to it',
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

function lenientHeader(bytes: Buffer): AckHeaderSource & { messageType: string } {
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
