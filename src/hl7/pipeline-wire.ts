/**
 * The pipeline's result as it crosses between threads: BridgeErrors (which structured cloning
 * would turn into plain Errors, losing their code, location and hint) as plain records, and back.
 */
import { BridgeError, type ErrorCode } from '../errors.js';
import type { MappedOrder, MappedProcedure } from '../model/order.js';
import { Hl7Error, isHl7ErrorCode } from '../model/hl7-error.js';
import type { MappingSource } from '../mapping/compile.js';
import type { MessagePolicies } from '../model/order.js';
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
type WireOrder = Omit<MappedOrder, 'procedures'> & { procedures: WireProcedure[] };
type Base<T> = Omit<T, 'ok' | 'order' | 'error'>;
export type WireResult =
  | (Base<Extract<PipelineResult, { ok: true }>> & { ok: true; order: WireOrder })
  | (Base<Extract<PipelineResult, { ok: false }>> & { ok: false; error: WireError });

export interface WireOptions {
  uidRoot: string;
  bridgeApplication: string;
  policies?: Partial<MessagePolicies>;
  callingAeTitles?: Readonly<Record<string, string>>;
  limits?: MessageLimits;
  charsetMismatch?: CharsetMismatchPolicy;
}

export type WorkerRequest = { type: 'mappings'; sources: MappingSource[] } | { type: 'job'; id: number; bytes: Uint8Array; options: WireOptions };
export type WorkerReply = { id: number; ok: true; result: WireResult } | { id: number; ok: false; error: string };

function toWire(e: BridgeError): WireError {
  return { code: e.code, message: e.message, location: e.location, hint: e.hint };
}

function fromWire(e: WireError): BridgeError {
  const opts = { ...(e.location !== undefined ? { location: e.location } : {}), ...(e.hint !== undefined ? { hint: e.hint } : {}) };
  return isHl7ErrorCode(e.code) ? new Hl7Error(e.code, e.message, opts) : new BridgeError(e.code, e.message, opts);
}

export function serializeResult(result: PipelineResult): WireResult {
  if (!result.ok) {
    const { error, ...rest } = result;
    return { ...rest, error: toWire(error) };
  }
  const { order, ...rest } = result;
  return {
    ...rest,
    order: {
      ...order,
      procedures: order.procedures.map(({ type1Problem, valueProblem, ...p }) => ({
        ...p,
        ...(type1Problem ? { type1Problem: toWire(type1Problem) } : {}),
        ...(valueProblem ? { valueProblem: toWire(valueProblem) } : {}),
      })),
    },
  };
}

export function reviveResult(wire: WireResult): PipelineResult {
  if (!wire.ok) {
    const { error, ...rest } = wire;
    return { ...rest, error: fromWire(error) };
  }
  const { order, ...rest } = wire;
  return {
    ...rest,
    order: {
      ...order,
      procedures: order.procedures.map(({ type1Problem, valueProblem, ...p }) => ({
        ...p,
        ...(type1Problem ? { type1Problem: fromWire(type1Problem) } : {}),
        ...(valueProblem ? { valueProblem: fromWire(valueProblem) } : {}),
      })),
    },
  };
}
