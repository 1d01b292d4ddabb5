/**
 * The management API's tools: run a rejected message again after a mapping fix, a mapping dry run
 * (POST an HL7 message: the items, derived values and ACK it would get, nothing stored), the folder
 * mirror's status, check and rebuild, and the settings in force.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { API_PREFIX } from './api-routes.js';
import { answerRefusal, refuse } from './api-errors.js';
import { idParams, messageDetailSchema, writeErrorSchema, type ApiOperations } from './api-schemas.js';
import { dicomJsonAnswer } from './dicom-json.js';
import type { ManagementTools } from './services.js';

/** Largest HL7 message a dry run takes: mapped on the event loop, so kept small (MLLP maps larger ones on a worker). */
const DRY_RUN_BODY_LIMIT = 64 * 1024;
/** Media types a dry run takes the message in (the bytes as they would come over MLLP, unframed). */
const HL7_MEDIA_TYPES = ['x-application/hl7-v2+er7', 'application/hl7-v2', 'text/plain'] as const;

const refused = (description: string): { description: string; schema: object } => ({ description, schema: writeErrorSchema });
const nullableText = { type: ['string', 'null'] } as const;
const dryRunSchema = {
  type: 'object',
  required: ['accepted', 'mapping', 'items', 'derived', 'rejection', 'ack'],
  properties: {
    accepted: { type: 'boolean' },
    mapping: { type: ['object', 'null'], properties: { name: { type: 'string' }, file: { type: 'string' } } },
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['orderControl', 'dataset'],
        properties: {
          orderControl: { type: 'string' },
          orderStatus: { type: 'string' },
          dataset: { type: 'object', description: 'The item as it would be stored (DICOM JSON).' },
          adjustments: { type: 'array' },
          nonImaging: nullableText,
        },
      },
    },
    derived: { type: 'array', items: { type: 'object', required: ['item', 'attribute', 'source', 'value', 'kind', 'reason'] } },
    rejection: nullableText,
    ack: { type: 'string' },
  },
} as const;
const mirrorStatusSchema = {
  type: 'object',
  required: ['dir', 'layout', 'backlog', 'failingSince'],
  properties: { dir: { type: 'string' }, layout: { type: 'string' }, backlog: { type: 'integer' }, failingSince: nullableText },
} as const;
const reconcileSchema = {
  type: 'object',
  required: ['written', 'rewritten', 'deleted', 'unchanged'],
  properties: {
    written: { type: 'array', items: { type: 'integer' } },
    rewritten: { type: 'array', items: { type: 'integer' } },
    deleted: { type: 'array', items: { type: 'integer' } },
    unchanged: { type: 'integer' },
    temporaries: { type: 'array' },
    foreign: { type: 'array' },
    unwritable: { type: 'array' },
    replaced: { type: 'array' },
  },
} as const;
const noMirror = refused('No mirror folder is configured (mirror.dir)');

export const toolOperations: ApiOperations = {
  [`${API_PREFIX}/messages/{id}/reprocess`]: {
    post: {
      summary:
        'Run a rejected message again through the current mappings and the order pipeline (after a mapping fix); the outcome is a new message log entry naming the old one',
      params: idParams,
      responses: {
        200: { description: 'The new message log entry (outcome stored, rejected, duplicate...; its ACK)', schema: messageDetailSchema },
        404: refused('No such message'),
        409: refused('The message was not rejected'),
      },
    },
  },
  [`${API_PREFIX}/mapping/dry-run`]: {
    post: {
      summary:
        'What an HL7 message would become (mwl-bridge map): the items, derived values and the ACK, with the mapping files as they are now; nothing is stored',
      body: {
        mediaTypes: HL7_MEDIA_TYPES,
        schema: { type: 'string' },
        description: `The message as sent over MLLP, unframed (at most ${DRY_RUN_BODY_LIMIT / 1024} KiB).`,
      },
      responses: {
        200: { description: 'The outcome (accepted or not)', schema: dryRunSchema },
        413: refused('The message is too large for a dry run'),
        415: refused('The body is not an HL7 message (see the media types)'),
      },
    },
  },
  [`${API_PREFIX}/mirror`]: {
    get: {
      summary: 'The folder mirror: its folder, changes still to write, failing since',
      responses: { 200: { description: 'OK', schema: mirrorStatusSchema }, 404: noMirror },
    },
  },
  [`${API_PREFIX}/mirror/check`]: {
    get: {
      summary: 'Compare the mirror folder with the store (nothing changed)',
      responses: { 200: { description: 'What a rebuild would do', schema: reconcileSchema }, 404: noMirror, 503: refused('The folder cannot be read') },
    },
  },
  [`${API_PREFIX}/mirror/rebuild`]: {
    post: {
      summary: 'Rebuild the mirror folder from the store: write missing and stale files, delete orphans',
      responses: { 200: { description: 'What was done', schema: reconcileSchema }, 404: noMirror, 503: refused('The folder cannot be locked or written') },
    },
  },
  [`${API_PREFIX}/config`]: {
    get: {
      summary: 'The settings the bridge runs with, by key (the tokens file by its path: its contents are never shown)',
      responses: { 200: { description: 'OK', schema: { type: 'object', additionalProperties: true } } },
    },
  },
};

export function registerTools(app: FastifyInstance, tools: ManagementTools): void {
  app.post<{ Params: { id: number } }>(`${API_PREFIX}/messages/:id/reprocess`, { schema: { params: idParams } }, async (request, reply) => {
    try {
      return await tools.reprocess(request.params.id, { remote: request.ip, token: request.tokenHolder?.name ?? null });
    } catch (err) {
      return answerRefusal(reply, err);
    }
  });
  // The message as bytes (its character set is MSH-18's to say), in a scope of its own so that no other route reads text bodies so.
  void app.register((scope: FastifyInstance, _opts: object, done: () => void) => {
    scope.removeContentTypeParser('text/plain');
    scope.addContentTypeParser([...HL7_MEDIA_TYPES], { parseAs: 'buffer', bodyLimit: DRY_RUN_BODY_LIMIT }, (_request, body, next) => {
      next(null, body);
    });
    scope.post(`${API_PREFIX}/mapping/dry-run`, async (request: FastifyRequest, reply: FastifyReply) => {
      if (!Buffer.isBuffer(request.body)) {
        return refuse(reply, 415, {
          error: `the message must be sent as ${HL7_MEDIA_TYPES.join(', ')}`,
          hint: "curl --data-binary @order.hl7 -H 'Content-Type: x-application/hl7-v2+er7'",
        });
      }
      const view = tools.dryRun(request.body);
      return { ...view, items: view.items.map((i) => ({ ...i, dataset: dicomJsonAnswer(i.dataset) })) };
    });
    done();
  });
  const withMirror = async (reply: FastifyReply, fn: (mirror: NonNullable<ManagementTools['mirror']>) => unknown): Promise<unknown> => {
    if (!tools.mirror) return refuse(reply, 404, { error: 'no mirror folder is configured', hint: 'set mirror.dir (--mirror-dir) and restart the bridge' });
    try {
      return await fn(tools.mirror);
    } catch (err) {
      return answerRefusal(reply, err);
    }
  };
  app.get(`${API_PREFIX}/mirror`, (_request, reply) => withMirror(reply, (mirror) => mirror.status()));
  app.get(`${API_PREFIX}/mirror/check`, (_request, reply) => withMirror(reply, (mirror) => mirror.reconcile({ dryRun: true })));
  app.post(`${API_PREFIX}/mirror/rebuild`, (_request, reply) => withMirror(reply, (mirror) => mirror.reconcile({ dryRun: false })));
  app.get(`${API_PREFIX}/config`, () => tools.config());
}
