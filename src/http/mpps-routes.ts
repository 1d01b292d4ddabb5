/**
 * DICOMweb Modality Performed Procedure Step service (PS3.18 chapter 15): create
 * (POST /{uid}), update (POST /{uid}?update) and retrieve (GET /{uid}), on the same MPPS service as
 * DIMSE N-CREATE / N-SET: the same state machine, the same item changes, the same HL7 status
 * messages to the RIS. Refusals map to the chapter's statuses: 400 for a bad payload or a missing
 * attribute, 404 for an unknown MPPS, 409 for a state conflict, 415 for a payload not in DICOM JSON.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { dicomJsonAnswer } from './dicom-json.js';
import { DicomJsonInputError, readDicomJsonPayload } from './dicom-json-input.js';
import { DICOM_JSON, warning } from './http-common.js';
import type { MppsOperations, MppsOutcome } from './services.js';
import type { Logger } from '../log.js';

export const MPPS_PATH = '/dicom-web/modality-performed-procedure-steps';

const uidParams = {
  type: 'object',
  required: ['uid'],
  additionalProperties: false,
  properties: { uid: { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)*$', maxLength: 64 } },
} as const;
const updateQuery = { type: 'object', additionalProperties: false, properties: { update: { type: 'string', maxLength: 0 } } } as const;

export function registerMpps(app: FastifyInstance, mpps: MppsOperations, logger: Logger): void {
  app.post<{ Params: { uid: string }; Querystring: { update?: string } }>(
    `${MPPS_PATH}/:uid`,
    { schema: { params: uidParams, querystring: updateQuery } },
    async (request, reply) => {
      const update = request.query.update !== undefined;
      const mediaType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
      if (mediaType !== DICOM_JSON && mediaType !== 'application/json') return refuse(reply, 415, `the payload must be ${DICOM_JSON}`);
      let dataset;
      try {
        dataset = readDicomJsonPayload(request.body);
      } catch (err) {
        if (!(err instanceof DicomJsonInputError)) throw err;
        return refuse(reply, 400, err.message);
      }
      const caller = `http:${request.tokenHolder?.name ?? 'local'}`;
      const outcome = update ? mpps.set(request.params.uid, dataset, caller) : mpps.create(request.params.uid, dataset, caller);
      logger.info(update ? 'http.mpps_update' : 'http.mpps_create', {
        remote: request.ip,
        caller,
        uid: request.params.uid,
        ok: outcome.ok,
        status: outcome.ok ? outcome.status : undefined,
        reason: outcome.ok ? undefined : outcome.message,
      });
      if (!outcome.ok) return refuse(reply, statusOf(outcome, update), outcome.message);
      return reply.code(update ? 200 : 201).send();
    },
  );
  app.get<{ Params: { uid: string } }>(
    `${MPPS_PATH}/:uid`,
    { schema: { params: uidParams } },
    async (request: FastifyRequest<{ Params: { uid: string } }>, reply) => {
      const record = mpps.get(request.params.uid);
      if (!record) return refuse(reply, 404, `no MPPS ${request.params.uid}`);
      return reply
        .code(200)
        .header('Content-Type', DICOM_JSON)
        .send(Buffer.from(JSON.stringify([dicomJsonAnswer(record)])));
    },
  );
}

function statusOf(outcome: Extract<MppsOutcome, { ok: false }>, update: boolean): number {
  switch (outcome.reason) {
    case 'no-such-instance':
      return 404;
    case 'duplicate':
    case 'final':
      return 409;
    case 'invalid-status':
      return update ? 409 : 400;
    default:
      return 400;
  }
}

function refuse(reply: FastifyReply, status: number, why: string): FastifyReply {
  return reply.code(status).header('Warning', warning(why)).send({ error: why });
}
