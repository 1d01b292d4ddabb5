/**
 * Handles one inbound HL7 message end to end: decode, map, store, then ACK. The ACK is built
 * from the outcome; AA only once the store transaction has committed. Any failure becomes an
 * AE/AR with an ERR segment naming the problem, and nothing is stored for that message. An
 * acknowledgement (MSH-9 ACK) is logged and never answered: HL7 does not acknowledge ACKs, and a
 * peer that acknowledges everything would otherwise ping-pong with the bridge forever.
 */
import { BridgeError, errorMessage } from '../errors.js';
import { Hl7Condition, Hl7Error } from '../model/hl7-error.js';
import type { Logger } from '../log.js';
import { noMetrics, type BridgeMetrics } from '../metrics.js';
import type { MessageLogEntry, MessageOrigin, OrderService } from '../worklist/orders.js';
import { firstString, Tags } from '../model/item.js';
import { describeDerived, messageNotes, type MappedOrder } from '../model/order.js';
import { encodeText } from './charset.js';
import { messageContentHash } from './content-key.js';
import type { PipelineRunner } from './pipeline-runner.js';
import type { MllpMessageHandler, PeerInfo } from './mllp.js';
import { readHeaderLeniently } from './message.js';
import { ackErrorFor, ackFor, isAcknowledgement, lenientHeader, type PipelineResult } from './pipeline.js';

export interface OrderHandlerOptions {
  bridgeApplication: string;
  orders: OrderService;
  logger: Logger;
  /** Runs the pipeline (large messages on a worker thread). */
  runner: PipelineRunner;
  /** Where answered messages and ACK latency are counted. */
  metrics?: BridgeMetrics;
}

/** Where a message comes from: a peer over MLLP, or a logged message run again (its origin is logged with it). */
export interface MessageSource {
  remote: string;
  connectionId?: number;
  origin?: MessageOrigin;
}

/** What became of a message: the reply (null for an acknowledgement, never answered) and its message log entry. */
export interface HandledMessage {
  reply: Buffer | null;
  /** The message log entry, or undefined when none was written (an acknowledgement, a store gone). */
  messageId: number | undefined;
  /** What became of it (the message log's outcome); undefined for an acknowledgement. */
  outcome?: 'stored' | 'ignored' | 'duplicate' | 'rejected' | 'error';
}

export type OrderMessageProcessor = (bytes: Buffer, source: MessageSource) => Promise<HandledMessage>;

/** The whole order pipeline for one message (decode, map, store, ACK), counted in the metrics. */
export function createOrderProcessor(opts: OrderHandlerOptions): OrderMessageProcessor {
  const handle = handleOrderMessage(opts);
  const metrics = opts.metrics ?? noMetrics;
  return async (bytes, source) => {
    const started = performance.now();
    const handled = await handle(bytes, source);
    if (handled.reply) {
      const type = lenientHeader(bytes).messageType || '(none)';
      metrics.orderAnswered(type, ackCodeOf(handled.reply), handled.outcome ?? '(none)', (performance.now() - started) / 1000);
    }
    return handled;
  };
}

export function createOrderMessageHandler(opts: OrderHandlerOptions, processor = createOrderProcessor(opts)): MllpMessageHandler {
  return async (bytes: Buffer, peer: PeerInfo) =>
    (await processor(bytes, { remote: `${peer.remoteAddress}:${peer.remotePort}`, connectionId: peer.connectionId })).reply;
}

/** MSA-1 of an ACK the bridge built (its MSA segment is ASCII in every character set it writes). */
function ackCodeOf(ack: Buffer): string {
  const text = ack.toString('latin1');
  const separator = text.charAt(3) || '|';
  const msa = text.split(/\r\n?|\n/).find((segment) => segment.startsWith(`MSA${separator}`));
  return msa?.split(separator)[1] ?? '(none)';
}

function handleOrderMessage(opts: OrderHandlerOptions): OrderMessageProcessor {
  const { orders, logger, bridgeApplication, runner } = opts;
  return async (bytes: Buffer, source: MessageSource): Promise<HandledMessage> => {
    const receivedAt = new Date().toISOString();
    const lenient = lenientHeader(bytes);
    if (isAcknowledgement(lenient)) {
      logAcknowledgement(bytes, lenient, source, logger);
      return { reply: null, messageId: undefined };
    }
    const result = await runner.run(bytes);
    const logBase: MessageLogEntry = {
      receivedAt,
      remote: source.remote,
      sendingApplication: result.header.sendingApplication || null,
      sendingFacility: result.header.sendingFacility || null,
      controlId: result.header.controlId || null,
      messageType: result.header.messageType || null,
      raw: bytes,
      contentHash: messageContentHash(bytes),
      ackCode: 'AA',
      error: null,
      ack: null,
      origin: source.origin ?? null,
    };
    if (result.charsetMismatch) {
      logger.warn('hl7.charset_mismatch', {
        control_id: result.header.controlId,
        sender: result.header.sendingApplication,
        declared: result.charsetMismatch.declared || '(empty: ASCII)',
        read_as: 'UNICODE UTF-8',
        reason:
          'the non-ASCII bytes are valid multi-byte UTF-8; read with the declared character set they would be mojibake (hl7.charsetMismatch: reject refuses such messages)',
      });
    }
    if (result.ok) {
      logOrderNotes(result.order, result.header, logger);
      for (const p of result.order.procedures) {
        for (const a of p.adjustments) {
          logger.warn('hl7.value_adjusted', {
            control_id: result.header.controlId,
            attribute: a.attribute,
            source: a.source,
            action: a.action,
            value: a.value,
            rule: a.rule,
          });
        }
      }
      const ack = ackFor(result, 'AA', undefined, bridgeApplication);
      try {
        const outcome = await orders.applyDurably(result.order, { ...logBase, ack });
        if (outcome.controlIdReusedFrom !== undefined) {
          logger.warn('hl7.control_id_reused', {
            control_id: result.header.controlId,
            sender: result.header.sendingApplication,
            earlier_message: outcome.controlIdReusedFrom,
            message: outcome.messageId,
            effect: 'the content differs from the earlier message with this control id: applied as a new message (see "mwl-bridge messages show ID" for both)',
          });
        }
        logger.info(outcome.duplicate ? 'hl7.duplicate_message' : 'hl7.message_applied', {
          control_id: result.header.controlId,
          sender: result.header.sendingApplication,
          type: result.header.messageType,
          mapping: result.mapping?.name,
          message: outcome.messageId,
          original_message: outcome.originalMessageId,
          reprocess_of: source.origin?.reprocessOf,
          order_control: result.order.procedures.map((p) => p.orderControl).join(','),
          actions: outcome.duplicate
            ? 'none (a resend of an applied message: same sender, control id and content; original ACK sent again)'
            : outcome.actions.join(','),
          items: outcome.itemIds.join(','),
        });
        const applied = outcome.duplicate ? 'duplicate' : outcome.actions.every((a) => a === 'ignored') ? 'ignored' : 'stored';
        return { reply: encodeText(outcome.ack, result.charset), messageId: outcome.messageId, outcome: applied };
      } catch (err) {
        // Lifecycle refusals (unknown order...) and invalid values are the sender's to fix; anything else is ours.
        const error = err instanceof BridgeError ? err : new BridgeError('STORE_WRITE', errorMessage(err), { cause: err });
        return reject(result, error, error.code.startsWith('HL7_') || error.code === 'ITEM_INVALID' ? 'rejected' : 'error');
      }
    }
    return reject(result, result.error, 'rejected');

    async function reject(result: PipelineResult, error: BridgeError, outcome: 'rejected' | 'error'): Promise<HandledMessage> {
      const { code, error: ackError } =
        outcome === 'error'
          ? { code: 'AE' as const, error: { condition: Hl7Condition.applicationInternalError, message: error.message, detail: error.describe() } }
          : ackErrorFor(error);
      const ack = ackFor(result, code, ackError, bridgeApplication);
      // A store that lost its file says so once itself (store.database_file_gone); per message, a warning.
      const level = outcome === 'error' && error.code !== 'STORE_UNAVAILABLE' ? 'error' : 'warn';
      logger[level]('hl7.message_rejected', {
        control_id: result.header.controlId,
        sender: result.header.sendingApplication,
        type: result.header.messageType,
        ack: code,
        code: error.code,
        location: error.location,
        reason: error.message,
        reprocess_of: source.origin?.reprocessOf,
      });
      let messageId: number | undefined;
      if (error.code !== 'STORE_UNAVAILABLE') {
        const first = result.ok ? result.order.procedures[0]?.item : undefined;
        try {
          const notes = (result.ok ? messageNotes(result.order) : undefined) ?? null;
          const keys = first
            ? { patientId: firstString(first, Tags.PatientID) ?? null, accessionNumber: firstString(first, Tags.AccessionNumber) ?? null }
            : (result.orderKeys ?? {});
          messageId = await orders.logRejected({ ...logBase, ackCode: code, error: error.describe(), ack, notes }, outcome, keys);
        } catch (logErr) {
          logger.error('hl7.message_log_failed', { control_id: result.header.controlId, error: errorMessage(logErr) });
        }
      }
      return { reply: encodeText(ack, result.charset), messageId, outcome };
    }
  };
}

/**
 * What a mapped message is noted for, once per message: an empty MSH-10 (accepted by policy), the
 * values not taken from their first source (one line listing them all), non-imaging order groups.
 */
function logOrderNotes(order: MappedOrder, header: PipelineResult['header'], logger: Logger): void {
  const who = { control_id: header.controlId, sender: header.sendingApplication, type: header.messageType };
  if (!header.controlId) {
    logger.warn('hl7.empty_control_id', {
      ...who,
      effect: 'accepted (hl7.emptyControlId: accept): the ACK has an empty MSA-2 and the message is never treated as a resend of another',
    });
  }
  const notes = messageNotes(order);
  if (!notes) return;
  if (notes.derived.length > 0) {
    logger.info('hl7.values_derived', {
      ...who,
      mapping: order.mapping,
      count: notes.derived.length + notes.derivedLeftOut,
      values: notes.derived.map((d) => `item ${d.item}: ${describeDerived(d)}`).join(' | '),
    });
  }
  for (const i of notes.ignored) {
    logger.info('hl7.order_ignored', {
      ...who,
      item: i.item,
      reason: `not an imaging order: ${i.reason}`,
      effect: 'acknowledged (AA), nothing stored (orders.nonImaging: ignore)',
    });
  }
}

/** An incoming acknowledgement: one log line with its MSA, no reply. */
function logAcknowledgement(bytes: Buffer, header: PipelineResult['header'], source: MessageSource, logger: Logger): void {
  const msa = readSegmentLeniently(bytes, 'MSA');
  logger.info('hl7.ack_received', {
    connection: source.connectionId,
    sender: header.sendingApplication,
    control_id: header.controlId,
    type: header.messageType,
    ack_code: msa[1],
    acknowledged: msa[2],
    text: msa[3],
    effect: 'not answered: HL7 never acknowledges an acknowledgement',
  });
}

/** Fields of the first segment with this name within the first 64 KiB, as received ([] when absent). */
function readSegmentLeniently(bytes: Buffer, name: string): string[] {
  const head = bytes.subarray(0, 65536).toString('latin1');
  const separator = readHeaderLeniently(bytes).fields[1] ?? '|';
  const segment = head.split(/\r\n|\r|\n/).find((s) => s.startsWith(name + separator));
  return segment ? segment.split(separator).slice(0, 10) : [];
}

/** The AR for a frame over mllp.maxFrameBytes, addressed from the MSH at its start. */
export function createOversizeReply(opts: { bridgeApplication: string; maxFrameBytes: number; orders: OrderService; logger: Logger }) {
  return (head: Buffer, bytes: number, peer: PeerInfo): Buffer | null => {
    const header = lenientHeader(head);
    if (isAcknowledgement(header)) return null;
    const error = new Hl7Error('HL7_PARSE', `message of ${bytes}+ bytes exceeds mllp.maxFrameBytes (${opts.maxFrameBytes})`, {
      hint: 'split the message, or raise mllp.maxFrameBytes',
    });
    const ack = ackFor(
      { header },
      'AR',
      { condition: Hl7Condition.applicationInternalError, message: error.message, detail: error.describe() },
      opts.bridgeApplication,
    );
    opts.orders
      .logRejected(
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
          rawTruncated: true,
        },
        'rejected',
      )
      .catch((err: unknown) => {
        opts.logger.error('hl7.message_log_failed', { control_id: header.controlId, error: errorMessage(err) });
      });
    return encodeText(ack, 'utf-8');
  };
}
