/**
 * The management API's item writes (write role): create an item by hand during a RIS downtime,
 * replace its data set, cancel it, delete it. Bodies are DICOM JSON data sets (PS3.18 F.2); the
 * checks and the lifecycle are the worklist's (worklist/manual-items.ts), and each change is
 * recorded in the message log with the token's name.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { API_PREFIX } from './api-routes.js';
import { answerRefusal } from './api-errors.js';
import { idParams, itemChangeSchema, writeErrorSchema, type ApiOperations } from './api-schemas.js';
import { dicomJsonAnswer } from './dicom-json.js';
import { readDicomJsonPayload } from './dicom-json-input.js';
import { DICOM_JSON } from './http-common.js';
import type { ItemWrites, Requester } from './services.js';
import type { ManualChange } from '../worklist/manual-items.js';

const dataSetBody = {
  mediaTypes: [DICOM_JSON, 'application/json'],
  schema: { type: ['object', 'array'], description: 'One worklist item: a DICOM JSON data set, or an array of exactly one.' },
} as const;
const refused = (description: string): { description: string; schema: object } => ({ description, schema: writeErrorSchema });

/** The operations, as the OpenAPI document describes them. */
export const itemWriteOperations: ApiOperations = {
  [`${API_PREFIX}/items`]: {
    post: {
      summary: 'Create a worklist item by hand (status SCHEDULED), e.g. during a RIS downtime; logged in the message log',
      body: dataSetBody,
      responses: {
        201: { description: 'Created (Location: the item)', schema: itemChangeSchema },
        400: refused('Not a DICOM JSON data set, a value its VR does not allow, or a type-1 attribute without a value (the attribute and the fix are named)'),
        409: refused('The order already has this scheduled step'),
      },
    },
  },
  [`${API_PREFIX}/items/{id}`]: {
    put: {
      summary: "Replace an open item's data set (its status stays); logged in the message log",
      params: idParams,
      body: dataSetBody,
      responses: {
        200: { description: 'Updated', schema: itemChangeSchema },
        400: refused('Not a valid data set (as for create)'),
        404: refused('No such item'),
        409: refused('The item is closed (completed, discontinued or cancelled)'),
      },
    },
    delete: {
      summary: 'Delete an item (not while it is STARTED); logged in the message log',
      params: idParams,
      responses: {
        200: { description: 'Deleted: the item as it was', schema: itemChangeSchema },
        404: refused('No such item'),
        409: refused('The item is STARTED'),
      },
    },
  },
  [`${API_PREFIX}/items/{id}/cancel`]: {
    post: {
      summary: 'Cancel an open item (status CANCELED, as an order cancel does); logged in the message log',
      params: idParams,
      responses: {
        200: { description: 'Cancelled', schema: itemChangeSchema },
        404: refused('No such item'),
        409: refused('The item is closed already'),
      },
    },
  },
};

export function registerItemWrites(app: FastifyInstance, items: ItemWrites): void {
  const who = (request: FastifyRequest): Requester => ({ remote: request.ip, token: request.tokenHolder?.name ?? null });
  const answer = (reply: FastifyReply, status: number, change: ManualChange): FastifyReply =>
    reply.code(status).send({ ...change.item, dataset: dicomJsonAnswer(change.item.dataset), messageId: change.messageId });
  const run = async (reply: FastifyReply, status: number, change: () => Promise<ManualChange>): Promise<FastifyReply> => {
    let done: ManualChange;
    try {
      done = await change();
    } catch (err) {
      return answerRefusal(reply, err);
    }
    return answer(reply, status, done);
  };
  app.post(`${API_PREFIX}/items`, (request, reply) =>
    run(reply, 201, async () => {
      const dataset = readDicomJsonPayload(request.body);
      const change = await items.create(dataset, who(request), Buffer.from(JSON.stringify(dataset)));
      void reply.header('Location', `${API_PREFIX}/items/${change.item.id}`);
      return change;
    }),
  );
  app.put<{ Params: { id: number } }>(`${API_PREFIX}/items/:id`, { schema: { params: idParams } }, (request, reply) =>
    run(reply, 200, () => {
      const dataset = readDicomJsonPayload(request.body);
      return items.update(request.params.id, dataset, who(request), Buffer.from(JSON.stringify(dataset)));
    }),
  );
  app.post<{ Params: { id: number } }>(`${API_PREFIX}/items/:id/cancel`, { schema: { params: idParams } }, (request, reply) =>
    run(reply, 200, () => items.cancel(request.params.id, who(request))),
  );
  app.delete<{ Params: { id: number } }>(`${API_PREFIX}/items/:id`, { schema: { params: idParams } }, (request, reply) =>
    run(reply, 200, () => items.delete(request.params.id, who(request))),
  );
}
