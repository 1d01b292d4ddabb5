/**
 * How the management API answers a refused change: the status the error's code calls for (400 bad
 * value, 404 no such entry, 409 a lifecycle conflict, 503 store unavailable), with the error, the
 * attribute (tag) it is about and how to fix it, in the body and a Warning header.
 */
import type { FastifyReply } from 'fastify';
import { BridgeError, type ErrorCode } from '../errors.js';
import { DicomJsonInputError } from './dicom-json-input.js';
import { warning } from './http-common.js';

const STATUS_OF: Partial<Record<ErrorCode, number>> = {
  ITEM_INVALID: 400,
  ITEM_NOT_FOUND: 404,
  ITEM_CONFLICT: 409,
  MESSAGE_NOT_FOUND: 404,
  MESSAGE_NOT_REPROCESSABLE: 409,
  STORE_UNAVAILABLE: 503,
  MIRROR_LOCK: 503,
  MIRROR_WRITE: 503,
};

/** Answers an error the API knows; anything else is thrown on (the server's handler makes it a 500). */
export function answerRefusal(reply: FastifyReply, err: unknown): FastifyReply {
  if (err instanceof DicomJsonInputError) return refuse(reply, 400, { error: `not a DICOM JSON data set: ${err.message}` });
  const status = err instanceof BridgeError ? STATUS_OF[err.code] : undefined;
  if (!(err instanceof BridgeError) || status === undefined) throw err;
  return refuse(reply, status, {
    error: err.message,
    code: err.code,
    ...(err.location ? { attribute: err.location } : {}),
    ...(err.hint ? { hint: err.hint } : {}),
  });
}

export function refuse(reply: FastifyReply, status: number, body: { error: string; code?: string; attribute?: string; hint?: string }): FastifyReply {
  const text = [body.error, body.hint && `fix: ${body.hint}`].filter(Boolean).join('; ');
  return reply.code(status).header('Warning', warning(text)).send(body);
}
