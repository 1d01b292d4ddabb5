/**
 * The pipeline's result as it crosses between threads: BridgeErrors (which structured cloning
 * would turn into plain Errors, losing their code, location and hint) as plain records, and back.
 */
import { BridgeError, type ErrorCode } from '../errors.js';
import type { MappedProcedure } from '../mapping/evaluate.js';
import type { CharsetMismatchPolicy } from './charset.js';
import type { MessageLimits } from './limits.js';
import type { PipelineResult } from './pipeline.js';

export interface WireError {
  code: ErrorCode;
  message: string;
  location: string | undefined;
  hint: string | undefined;
}

type WireProcedure = Omit<MappedProcedure, 'type1Problem' | 'valueProblem'> & { type1Problem?: WireError; valueProblem?: WireError };
export type WireResult = Omit<PipelineResult, 'error' | 'order'> & {
  error?: WireError;
  order?: Omit<NonNullable<PipelineResult['order']>, 'procedures'> & { procedures: WireProcedure[] };
};

export interface WireOptions {
  uidRoot: string;
  bridgeApplication: string;
  limits?: MessageLimits;
  charsetMismatch?: CharsetMismatchPolicy;
}

export type WorkerRequest = { type: 'mappings'; files: string[] } | { type: 'job'; id: number; bytes: Uint8Array; options: WireOptions };
export type WorkerReply = { id: number; ok: true; result: WireResult } | { id: number; ok: false; error: string };

function toWire(e: BridgeError): WireError {
  return { code: e.code, message: e.message, location: e.location, hint: e.hint };
}

function fromWire(e: WireError): BridgeError {
  return new BridgeError(e.code, e.message, { ...(e.location !== undefined ? { location: e.location } : {}), ...(e.hint !== undefined ? { hint: e.hint } : {}) });
}

export function serializeResult(result: PipelineResult): WireResult {
  const { error, order, ...rest } = result;
  const wire: WireResult = { ...rest };
  if (error) wire.error = toWire(error);
  if (order) {
    wire.order = {
      ...order,
      procedures: order.procedures.map(({ type1Problem, valueProblem, ...p }) => ({
        ...p,
        ...(type1Problem ? { type1Problem: toWire(type1Problem) } : {}),
        ...(valueProblem ? { valueProblem: toWire(valueProblem) } : {}),
      })),
    };
  }
  return wire;
}

export function reviveResult(wire: WireResult): PipelineResult {
  const { error, order, ...rest } = wire;
  const result: PipelineResult = { ...rest };
  if (error) result.error = fromWire(error);
  if (order) {
    result.order = {
      ...order,
      procedures: order.procedures.map(({ type1Problem, valueProblem, ...p }) => ({
        ...p,
        ...(type1Problem ? { type1Problem: fromWire(type1Problem) } : {}),
        ...(valueProblem ? { valueProblem: fromWire(valueProblem) } : {}),
      })),
    };
  }
  return result;
}
