/**
 * The console's routes: server-rendered pages over the same narrow services as the API, the login
 * form, and the static assets (read once at start). Every page is sent with a strict
 * Content-Security-Policy (scripts and styles from this server only, nothing inline).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { installDir } from '../../install-dir.js';
import type { HttpServices, ItemView } from '../services.js';
import { html, type HtmlPart } from './html.js';
import { page, type ConsoleUser, type Section } from './layout.js';
import { CONSOLE, TOKEN_COOKIE, localPath } from './paths.js';
import { todayBody } from './page-today.js';
import { itemBody } from './page-item.js';
import { messageBody, messagesBody } from './page-messages.js';
import { queriesBody, queryBody } from './page-queries.js';
import { statusBody } from './page-status.js';
import { loginBody } from './page-login.js';
import { cancelItemBody, editItemBody, newItemBody, readOnlyBody } from './page-manual.js';
import { workbenchBody } from './page-workbench.js';
import { registerConsoleForms, type ConsolePages } from './forms.js';
import { idOf, param, params, secured, send } from './respond.js';

export { CONTENT_SECURITY_POLICY } from './respond.js';

/** The assets, from src/http/console/assets in the installation (they are not compiled into dist/). */
const ASSETS: Readonly<Record<string, string>> = { 'console.css': 'text/css', 'console.js': 'text/javascript', 'favicon.svg': 'image/svg+xml' };
const assetDir = join(installDir, 'src', 'http', 'console', 'assets');

export function registerConsole(app: FastifyInstance, services: HttpServices, version: string): void {
  const assets = new Map(Object.entries(ASSETS).map(([name, type]) => [name, { type, body: readFileSync(join(assetDir, name)) }]));
  const reads = services.management;
  const userOf = (request: FastifyRequest): ConsoleUser | undefined => {
    if (!services.access.tokensConfigured) return { name: 'local user', canWrite: true, loggedIn: false };
    const holder = request.tokenHolder;
    return holder && { name: holder.name, canWrite: holder.role === 'write', loggedIn: true };
  };
  const show = (request: FastifyRequest, reply: FastifyReply, section: Section, title: string, body: HtmlPart, status = 200): FastifyReply =>
    send(reply, status, page({ title, section, user: userOf(request), body }));
  const notFound = (request: FastifyRequest, reply: FastifyReply, section: Section, what: string): FastifyReply =>
    show(request, reply, section, 'Not found', html`<p>${what} is not in the store.</p>`, 404);

  app.get(`${CONSOLE.assets}/:name`, async (request, reply) => {
    const asset = assets.get((request.params as { name: string }).name);
    if (!asset) return reply.code(404).send({ error: 'no such asset' });
    return secured(reply).header('Cache-Control', 'no-cache').type(asset.type).send(asset.body);
  });

  const pages: ConsolePages = { userOf, show, notFound };

  // The console's own folder has no page of its own: a typed or bookmarked /console goes to Today.
  for (const path of ['/console', '/console/']) app.get(path, (_request, reply) => reply.redirect(CONSOLE.today));
  app.get(CONSOLE.today, (request, reply) => {
    const newLink = userOf(request)?.canWrite ? html`<p class="actions"><a class="button" href="${CONSOLE.newItem}">New item</a></p>` : '';
    return show(request, reply, 'today', 'Today', html`${newLink}${todayBody(reads, params(request.query, ['q', 'date', 'status']))}`);
  });
  app.get(CONSOLE.newItem, (request, reply) => {
    const user = userOf(request);
    if (!user?.canWrite) return show(request, reply, 'today', 'New item', readOnlyBody(user), 403);
    return show(request, reply, 'today', 'New item', newItemBody({}, undefined));
  });
  app.get('/console/items/:id', (request, reply) => {
    const id = idOf(request);
    const item = id === undefined ? undefined : reads.getItem(id);
    if (!item || id === undefined) return notFound(request, reply, 'today', 'That item');
    return show(request, reply, 'today', `Item ${id}`, itemBody(reads, services.console, item, userOf(request)));
  });
  for (const [suffix, title, body] of [
    ['edit', 'Edit item', (item: ItemView) => editItemBody(item, undefined, undefined)],
    ['cancel', 'Cancel item', (item: ItemView) => cancelItemBody(item, undefined)],
  ] as const) {
    app.get(`/console/items/:id/${suffix}`, (request, reply) => {
      const id = idOf(request);
      const item = id === undefined ? undefined : reads.getItem(id);
      if (!item || id === undefined) return notFound(request, reply, 'today', 'That item');
      const user = userOf(request);
      if (!user?.canWrite) return show(request, reply, 'today', `${title} ${id}`, readOnlyBody(user), 403);
      return show(request, reply, 'today', `${title} ${id}`, body(item));
    });
  }
  app.get('/console/items/:id/mirror-file', (request, reply) => {
    const id = idOf(request);
    const bytes = id === undefined ? undefined : services.console.mirrorFileOf(id)?.bytes();
    if (!bytes || id === undefined) return notFound(request, reply, 'today', 'That mirror file');
    return secured(reply).header('Content-Disposition', `attachment; filename="mwl-bridge-${id}.wl"`).type('application/dicom').send(bytes);
  });
  app.get(CONSOLE.mapping, (request, reply) => show(request, reply, 'mapping', 'Mapping workbench', workbenchBody(userOf(request), '', undefined)));
  app.get(CONSOLE.messages, (request, reply) => {
    const query = params(request.query, ['outcome', 'patientId', 'accessionNumber', 'controlId', 'since', 'until', 'before']);
    return show(request, reply, 'messages', 'Messages', messagesBody(reads, query));
  });
  app.get('/console/messages/:id', (request, reply) => {
    const id = idOf(request);
    const message = id === undefined ? undefined : reads.getMessage(id);
    if (!message || id === undefined) return notFound(request, reply, 'messages', 'That message');
    return show(request, reply, 'messages', `Message ${id}`, messageBody(message, userOf(request)));
  });
  app.get(CONSOLE.queries, (request, reply) =>
    show(request, reply, 'queries', 'Queries', queriesBody(reads, params(request.query, ['callingAeTitle', 'since', 'until', 'before']))),
  );
  app.get('/console/queries/:id', (request, reply) => {
    const id = idOf(request);
    const query = id === undefined ? undefined : reads.getQuery(id);
    if (!query || id === undefined) return notFound(request, reply, 'queries', 'That query');
    const target = params(request.query, ['accessionNumber', 'patientId']);
    const accessionNumber = target.accessionNumber?.trim().slice(0, 64);
    const patientId = target.patientId?.trim().slice(0, 64);
    const asked = param(request.query, 'explain') !== undefined;
    const report = asked ? reads.explainQuery(id, accessionNumber ? { accessionNumber } : patientId ? { patientId } : undefined) : undefined;
    return show(request, reply, 'queries', `Query ${id}`, queryBody(query, { accessionNumber, patientId }, report));
  });
  app.get(CONSOLE.status, (request, reply) =>
    show(request, reply, 'status', 'Status', statusBody(version, services.readiness(), services.status(), services.console.figures())),
  );

  app.get(CONSOLE.login, (request, reply) =>
    send(
      reply,
      200,
      page({
        title: 'Log in',
        section: 'login',
        user: undefined,
        body: loginBody(localPath(param(request.query, 'next')), undefined, services.access.tokensConfigured),
      }),
    ),
  );
  // Form bodies are parsed for the login and logout forms only (in its own scope): elsewhere a form post, which
  // a browser sends cross-site without asking, stays an unsupported media type (415).
  void app.register((scope, _opts, done) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_request, body, parsed) => {
      parsed(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    scope.post(CONSOLE.login, (request, reply) => {
      const form = (request.body ?? {}) as Record<string, unknown>;
      const token = typeof form.token === 'string' ? form.token.trim() : '';
      const next = localPath(form.next);
      const holder = /^[\x21-\x7e]{1,200}$/.test(token) ? services.access.holderOf(token) : undefined;
      services.access.onAuthentication?.({
        ok: holder !== undefined,
        user: holder?.name,
        remote: request.ip,
        via: 'console',
        ...(holder ? {} : { reason: token === '' ? 'no token given' : 'the token is not known' }),
      });
      if (!holder) {
        const body = loginBody(next, 'That token is not known. Check it, or ask for a new one.', services.access.tokensConfigured);
        return send(reply, 401, page({ title: 'Log in', section: 'login', user: undefined, body }));
      }
      const secure = request.protocol === 'https' ? '; Secure' : '';
      return secured(reply).header('Set-Cookie', `${TOKEN_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict${secure}`).redirect(next, 303);
    });
    scope.post(CONSOLE.logout, (_request, reply) =>
      secured(reply).header('Set-Cookie', `${TOKEN_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`).redirect(CONSOLE.login, 303),
    );
    done();
  });
  void app.register((scope, _opts, done) => {
    registerConsoleForms(scope, services, pages);
    done();
  });
}
