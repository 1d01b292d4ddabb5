/**
 * The management REST API under /api/v1 (read side): worklist items, logged HL7 messages and
 * logged C-FIND queries, with filters and paging by id (newest first). Requests are validated by
 * the schemas of api-schemas.ts, the same ones the OpenAPI document publishes.
 */
import type { FastifyInstance } from 'fastify';
import { dicomJsonAnswer } from './dicom-json.js';
import {
  explainQueryString,
  explainReportSchema,
  idParams,
  itemListQuery,
  itemSchema,
  messageDetailSchema,
  messageListQuery,
  messageSummarySchema,
  queryListQuery,
  querySchema,
} from './api-schemas.js';
import type { ManagementReads } from './services.js';

export const API_PREFIX = '/api/v1';

interface PageQuery {
  limit: number;
  before?: number;
}

/** The routes, as the OpenAPI document describes them (openapi.ts). */
export const apiRoutes = {
  [`${API_PREFIX}/items`]: {
    summary: 'Worklist items, newest first',
    querystring: itemListQuery,
    response: { type: 'array', items: itemSchema },
  },
  [`${API_PREFIX}/items/{id}`]: { summary: 'One worklist item', params: idParams, response: itemSchema },
  [`${API_PREFIX}/messages`]: {
    summary: 'Logged inbound HL7 messages, newest first',
    querystring: messageListQuery,
    response: { type: 'array', items: messageSummarySchema },
  },
  [`${API_PREFIX}/messages/{id}`]: { summary: 'One logged HL7 message with its raw text and the ACK sent', params: idParams, response: messageDetailSchema },
  [`${API_PREFIX}/queries`]: {
    summary: 'Logged C-FIND queries and rejected associations, newest first (the query log; see mwl-bridge explain)',
    querystring: queryListQuery,
    response: { type: 'array', items: querySchema },
  },
  [`${API_PREFIX}/queries/{id}`]: { summary: 'One logged query with its identifier as decoded', params: idParams, response: querySchema },
  [`${API_PREFIX}/queries/{id}/explain`]: {
    summary: 'Why a logged query did not answer an item ("why not?"; the explain command), read only',
    params: idParams,
    querystring: explainQueryString,
    response: explainReportSchema,
  },
} as const;

export function registerApi(app: FastifyInstance, reads: ManagementReads): void {
  app.get<{ Querystring: PageQuery & { status?: string; patientId?: string; accessionNumber?: string } }>(
    `${API_PREFIX}/items`,
    { schema: { querystring: itemListQuery } },
    (request) => {
      const { before, ...filter } = request.query;
      return reads.listItems({ ...filter, beforeId: before }).map((item) => ({ ...item, dataset: dicomJsonAnswer(item.dataset) }));
    },
  );
  app.get<{ Params: { id: number } }>(`${API_PREFIX}/items/:id`, { schema: { params: idParams } }, async (request, reply) => {
    const item = reads.getItem(request.params.id);
    if (!item) return reply.code(404).send({ error: `no item ${request.params.id}` });
    return { ...item, dataset: dicomJsonAnswer(item.dataset) };
  });
  app.get<{ Querystring: PageQuery & Record<string, string | undefined> }>(
    `${API_PREFIX}/messages`,
    { schema: { querystring: messageListQuery } },
    (request) => {
      const { before, limit, ...filter } = request.query;
      return reads.listMessages({ ...filter, limit, beforeId: before });
    },
  );
  app.get<{ Params: { id: number } }>(`${API_PREFIX}/messages/:id`, { schema: { params: idParams } }, async (request, reply) => {
    const message = reads.getMessage(request.params.id);
    if (!message) return reply.code(404).send({ error: `no message ${request.params.id}` });
    return message;
  });
  app.get<{ Querystring: PageQuery & { callingAeTitle?: string; since?: string; until?: string } }>(
    `${API_PREFIX}/queries`,
    { schema: { querystring: queryListQuery } },
    (request) => {
      const { before, ...filter } = request.query;
      return reads.listQueries({ ...filter, beforeId: before });
    },
  );
  app.get<{ Params: { id: number } }>(`${API_PREFIX}/queries/:id`, { schema: { params: idParams } }, async (request, reply) => {
    const query = reads.getQuery(request.params.id);
    if (!query) return reply.code(404).send({ error: `no query ${request.params.id}` });
    return query;
  });
  app.get<{ Params: { id: number }; Querystring: { accessionNumber?: string; patientId?: string } }>(
    `${API_PREFIX}/queries/:id/explain`,
    { schema: { params: idParams, querystring: explainQueryString } },
    async (request, reply) => {
      const { accessionNumber, patientId } = request.query;
      const target = accessionNumber ? { accessionNumber } : patientId ? { patientId } : undefined;
      const report = reads.explainQuery(request.params.id, target);
      if (!report) return reply.code(404).send({ error: `no query ${request.params.id}` });
      return report;
    },
  );
}
