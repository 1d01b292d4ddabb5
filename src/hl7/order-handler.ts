/**
 * Handles one inbound HL7 message end to end: decode, map, store, then ACK. The ACK is built
 * from the outcome; AA only once the store transaction has committed. Any failure becomes an
 * AE/AR with an ERR segment naming the problem, and nothing is stored for that message.
 */
import { BridgeError, Hl7ErrorCondition } from '../errors.js';
import type { Logger } from '../log.js';
import type { OrderService } from '../worklist/orders.js';
import { firstString, Tags } from '../worklist/item.js';
import { encodeText } from './charset.js';
import type { MllpMessageHandler, PeerInfo } from './mllp.js';
import { ackErrorFor, ackFor, lenientHeader, runOrderPipeline, type OrderPipelineOptions } from './pipeline.js';

export function createOrderMessageHandler(opts: OrderPipelineOptions & { orders: OrderService; logger: Logger }): MllpMessageHandler {
  const { orders, logger, bridgeApplication } = opts;
  return async (bytes: Buffer, peer: PeerInfo) => {
    const receivedAt = new Date().toISOString();
    const result = runOrderPipeline(bytes, opts);
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

