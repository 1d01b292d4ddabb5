/**
 * The management API's reads and tools over the running bridge: listings from the store, a logged
 * message run again through the order pipeline, the mapping dry run (`mwl-bridge map`'s code), the
 * folder mirror, and the settings in force.
 */
import type { BridgeConfig } from '../config/schema.js';
import { BridgeError } from '../errors.js';
import type { OrderMessageProcessor } from '../hl7/order-handler.js';
import type { DryRunView, ManagementReads, ManagementTools, MessageDetail, MessageSummary, MirrorView } from '../http/services.js';
import { derivedValues } from '../model/order.js';
import type { StoredMessage } from '../store/message-log.js';
import type { WorklistStore } from '../store/worklist-store.js';
import { explainQuery } from '../worklist/explain.js';
import { dryRunMessage } from './dry-run.js';
import { explainPolicyOf } from './queries.js';

function summary(m: StoredMessage): MessageSummary {
  return {
    id: m.id,
    receivedAt: m.receivedAt,
    remote: m.remote,
    sendingApplication: m.sendingApplication,
    sendingFacility: m.sendingFacility,
    controlId: m.controlId,
    messageType: m.messageType,
    patientId: m.patientId,
    accessionNumber: m.accessionNumber,
    action: m.action,
    outcome: m.outcome,
    ackCode: m.ackCode,
    error: m.error,
    itemIds: m.itemIds,
    source: m.origin?.source ?? 'hl7',
    token: m.origin?.token ?? null,
    reprocessOf: m.origin?.reprocessOf ?? null,
  };
}

function detail(m: StoredMessage): MessageDetail {
  return { ...summary(m), raw: m.raw.toString('utf8'), rawBase64: m.raw.toString('base64'), ack: m.ack };
}

/** The management API's reads, over the store. */
export function managementReads(store: WorklistStore, config: BridgeConfig): ManagementReads {
  return {
    listQueries: (filter) => store.queries.list(filter),
    getQuery: (id) => store.queries.get(id),
    explainQuery: (id, target) => {
      const logged = store.queries.get(id);
      return logged && explainQuery(store, explainPolicyOf(config), { logged }, target);
    },
    listItems: (filter) => store.items.list(filter),
    getItem: (id) => store.items.get(id),
    listMessages: (filter) => store.messages.list(filter).map(summary),
    getMessage: (id) => {
      const m = store.messages.get(id);
      return m && detail(m);
    },
  };
}

export function managementTools(config: BridgeConfig, store: WorklistStore, processor: OrderMessageProcessor, mirror: MirrorView | undefined): ManagementTools {
  return {
    async reprocess(id, who) {
      const logged = store.messages.get(id);
      if (!logged)
        throw new BridgeError('MESSAGE_NOT_FOUND', `no message ${id}`, { hint: 'list the rejected ones with GET /api/v1/messages?outcome=rejected' });
      if (logged.outcome !== 'rejected' && logged.outcome !== 'error') {
        throw new BridgeError('MESSAGE_NOT_REPROCESSABLE', `message ${id} was ${logged.outcome}, not rejected: only a rejected message is processed again`, {
          hint: 'a stored order is changed by the next message from the RIS, or by hand (PUT /api/v1/items/{id})',
        });
      }
      if (logged.rawTruncated) {
        throw new BridgeError('MESSAGE_NOT_REPROCESSABLE', `message ${id} was over mllp.maxFrameBytes: only its first ${logged.raw.length} bytes were kept`, {
          hint: 'have the RIS send it again once mllp.maxFrameBytes is raised',
        });
      }
      if (logged.origin?.source === 'http')
        throw new BridgeError('MESSAGE_NOT_REPROCESSABLE', `message ${id} is a change made through the API, not an HL7 message`);
      const handled = await processor(logged.raw, { remote: who.remote, origin: { source: 'reprocess', token: who.token, reprocessOf: id } });
      const entry = handled.messageId === undefined ? undefined : store.messages.get(handled.messageId);
      if (!entry) throw store.unavailableError ?? new BridgeError('STORE_UNAVAILABLE', 'the outcome could not be logged');
      return detail(entry);
    },
    dryRun: (bytes) => dryRunView(config, bytes),
    mirror,
    config: () => Object.fromEntries(Object.entries(config).map(([key, value]) => [key, value ?? null])),
  };
}

function dryRunView(config: BridgeConfig, bytes: Buffer): DryRunView {
  const result = dryRunMessage(config, bytes);
  if (!result.accepted) return { accepted: false, mapping: result.mapping ?? null, items: [], derived: [], rejection: result.rejection, ack: result.ack };
  return {
    accepted: true,
    mapping: result.mapping,
    items: result.procedures.map((p) => ({
      orderControl: p.orderControl,
      orderStatus: p.orderStatus,
      dataset: p.item,
      adjustments: p.adjustments,
      nonImaging: p.nonImaging?.reason ?? null,
    })),
    derived: derivedValues({ procedures: result.procedures }),
    rejection: null,
    ack: result.ack,
  };
}
