/** How console pages are answered (security headers, no caching), and the request parameters they read. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Html } from './html.js';

export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export function secured(reply: FastifyReply): FastifyReply {
  return (
    reply
      .header('Content-Security-Policy', CONTENT_SECURITY_POLICY)
      .header('X-Content-Type-Options', 'nosniff')
      // same-origin, not no-referrer: the console's own form posts then carry its Origin (checked for a change made with the cookie); other sites get no Referer.
      .header('Referrer-Policy', 'same-origin')
      .header('X-Frame-Options', 'DENY')
  );
}

export function send(reply: FastifyReply, status: number, document: Html): FastifyReply {
  return secured(reply).code(status).header('Cache-Control', 'no-store').type('text/html; charset=utf-8').send(document.markup);
}

/** A query parameter as one string (a repeated one is not taken). */
export const param = (query: unknown, name: string): string | undefined => {
  const value = (query as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
};
export const params = <K extends string>(query: unknown, names: readonly K[]): Partial<Record<K, string>> =>
  Object.fromEntries(names.map((n) => [n, param(query, n)]).filter(([, v]) => v !== undefined)) as Partial<Record<K, string>>;
export const idOf = (request: FastifyRequest): number | undefined => {
  const text = (request.params as { id?: string }).id ?? '';
  return /^[1-9]\d{0,14}$/.test(text) ? Number(text) : undefined;
};
