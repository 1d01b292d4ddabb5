/**
 * Who may ask what: with tokens configured, every request but /health and /ready carries one
 * (Authorization: Bearer), a read token may read (GET, HEAD) and a write token may also change
 * things. Without tokens the server only ever listens on a loopback address (app/http.ts refuses
 * to start otherwise), so a request without a token can only come from this host.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { warning } from './http-common.js';

export type AccessRole = 'read' | 'write';

export interface TokenHolder {
  name: string;
  role: AccessRole;
}

export interface AccessControl {
  /** False when no token is configured (loopback only). */
  readonly tokensConfigured: boolean;
  /** The holder of a token, or undefined. */
  holderOf(token: string): TokenHolder | undefined;
}

/** Paths anyone may ask (orchestrators' probes carry no token). */
const OPEN_PATHS = new Set(['/health', '/ready']);
const READ_METHODS = new Set(['GET', 'HEAD']);

declare module 'fastify' {
  interface FastifyRequest {
    /** Who asks: the token's holder, or undefined without tokens configured. */
    tokenHolder?: TokenHolder;
  }
}

export function registerAccessControl(app: FastifyInstance, access: AccessControl): void {
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (!access.tokensConfigured || OPEN_PATHS.has(request.url.split('?')[0] ?? '')) return;
    const header = request.headers.authorization ?? '';
    const m = /^Bearer\s+(\S{1,200})$/i.exec(header);
    const holder = m?.[1] ? access.holderOf(m[1]) : undefined;
    if (!holder) {
      const why = header === '' ? 'a token is required (Authorization: Bearer TOKEN)' : 'the token is not known';
      return reply.code(401).header('WWW-Authenticate', 'Bearer realm="mwl-bridge"').header('Warning', warning(why)).send({ error: why });
    }
    if (!READ_METHODS.has(request.method) && holder.role !== 'write') {
      const why = `token ${holder.name} may only read`;
      return reply.code(403).header('Warning', warning(why)).send({ error: why });
    }
    request.tokenHolder = holder;
  });
}
