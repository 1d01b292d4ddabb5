/**
 * Who may ask what: with tokens configured, every request but /health, /ready and the console's
 * login form and assets carries one (Authorization: Bearer, or the console's cookie), a read token
 * may read (GET, HEAD) and a write token may also change things. A browser asking for a console
 * page without a token is sent to the login form; a change asked with the cookie must come from a
 * console page of this server (its Origin header), so that another site cannot make one. Without tokens the server only ever listens on a loopback address (app/http.ts refuses
 * to start otherwise), so a request without a token can only come from this host.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { warning } from './http-common.js';
import { CONSOLE, isConsolePage, isOpenConsolePath, tokenFromCookie } from './console/paths.js';

export type AccessRole = 'read' | 'write';

export interface TokenHolder {
  name: string;
  role: AccessRole;
  /** The calling AE title its worklist searches are answered as (dicom.callingAeSettings), if it has one. */
  aeTitle?: string;
}

export interface AccessControl {
  /** False when no token is configured (loopback only). */
  readonly tokensConfigured: boolean;
  /** The holder of a token, or undefined. */
  holderOf(token: string): TokenHolder | undefined;
  /** Told of each login (the console's form) and each API connection's first token, known or not (for the audit trail). */
  onAuthentication?: ((event: AuthenticationEvent) => void) | undefined;
}

/** A token checked: whose (undefined when unknown), from where, through which door. Never the token itself. */
export interface AuthenticationEvent {
  ok: boolean;
  user: string | undefined;
  remote: string;
  via: 'api' | 'console';
  reason?: string;
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
  /** Connections whose Bearer token was accepted once already: one API login a connection, not one a request. */
  const authenticated = new WeakSet();
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '';
    // A page of another site can make a browser POST without a preflight (no body, text/plain): to a
    // bridge without tokens, or with the console's cookie. Browsers say where such a request comes
    // from; a change from another origin is refused whatever the token (CORS is off anyway).
    if (!READ_METHODS.has(request.method) && fromAnotherOrigin(request)) {
      const why = 'a change from a page of another site is refused (Origin header)';
      return reply.code(403).header('Warning', warning(why)).send({ error: why });
    }
    if (!access.tokensConfigured || OPEN_PATHS.has(path) || isOpenConsolePath(path)) return;
    const header = request.headers.authorization ?? '';
    const m = /^Bearer\s+(\S{1,200})$/i.exec(header);
    const cookie = m ? undefined : tokenFromCookie(request.headers.cookie);
    const token = m?.[1] ?? cookie;
    const holder = token ? access.holderOf(token) : undefined;
    if (token !== undefined && !holder) {
      access.onAuthentication?.({ ok: false, user: undefined, remote: request.ip, via: m ? 'api' : 'console', reason: 'the token is not known' });
    } else if (holder && m && !authenticated.has(request.raw.socket)) {
      authenticated.add(request.raw.socket);
      access.onAuthentication?.({ ok: true, user: holder.name, remote: request.ip, via: 'api' });
    }
    if (!holder && READ_METHODS.has(request.method) && isConsolePage(path)) {
      return reply.redirect(`${CONSOLE.login}?next=${encodeURIComponent(request.url.slice(0, 500))}`, 303);
    }
    if (!holder) {
      const why = header === '' ? 'a token is required (Authorization: Bearer TOKEN)' : 'the token is not known';
      return reply.code(401).header('WWW-Authenticate', 'Bearer realm="mwl-bridge"').header('Warning', warning(why)).send({ error: why });
    }
    if (!READ_METHODS.has(request.method) && holder.role !== 'write') {
      const why = `token ${holder.name} may only read`;
      return reply.code(403).header('Warning', warning(why)).send({ error: why });
    }
    if (cookie !== undefined && !READ_METHODS.has(request.method) && !sameOrigin(request)) {
      const why = 'a change through the console must come from one of its pages (Origin header)';
      return reply.code(403).header('Warning', warning(why)).send({ error: why });
    }
    request.tokenHolder = holder;
  });
}

/**
 * Whether a browser sent the request from a page of another origin: Sec-Fetch-Site (sent by current
 * browsers, right even where a page's referrer policy makes the Origin "null"), else an
 * Origin header naming another server. Clients other than browsers send neither.
 */
function fromAnotherOrigin(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string') return site !== 'same-origin' && site !== 'none';
  const origin = request.headers.origin;
  return origin !== undefined && origin !== 'null' && !sameOrigin(request);
}

/** Whether the request's Origin names this server (the Host it was sent to). */
function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (!origin || !request.headers.host) return false;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}
