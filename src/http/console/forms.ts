/**
 * The console's changes, posted by its forms (no script needed): create, edit and cancel an item,
 * reprocess a rejected message, try a message in the mapping workbench. Each goes to the service the
 * API's route uses, with the same checks; access control (access.ts) has already refused a read-only
 * token and a request from another site, and a form post must also say it comes from a page of this
 * server. A refusal is shown on the form, next to the field it names.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BridgeError } from '../../errors.js';
import type { HttpServices, ItemView, Requester } from '../services.js';
import { html, type HtmlPart } from './html.js';
import type { ConsoleUser, Section } from './layout.js';
import { CONSOLE } from './paths.js';
import { datasetFromForm, fieldOfLocation, formValues, type FormError } from './item-form.js';
import { cancelItemBody, editItemBody, newItemBody } from './page-manual.js';
import { workbenchBody, hl7FromTextarea } from './page-workbench.js';
import { idOf, secured } from './respond.js';

/** Largest form body: the workbench's message (the API's dry run takes 64 KiB) form-encoded. */
const FORM_BODY_LIMIT = 200 * 1024;

/** What the forms need of the page routes. */
export interface ConsolePages {
  userOf(request: FastifyRequest): ConsoleUser | undefined;
  show(request: FastifyRequest, reply: FastifyReply, section: Section, title: string, body: HtmlPart, status?: number): FastifyReply;
  notFound(request: FastifyRequest, reply: FastifyReply, section: Section, what: string): FastifyReply;
}

/** The status a refusal of the item service is shown with (the API's: 400 invalid, 404 unknown, 409 conflict). */
const STATUS_OF: Readonly<Record<string, number>> = {
  ITEM_INVALID: 400,
  ITEM_NOT_FOUND: 404,
  ITEM_CONFLICT: 409,
  MESSAGE_NOT_FOUND: 404,
  MESSAGE_NOT_REPROCESSABLE: 409,
};

function formError(err: unknown): { status: number; error: FormError } {
  if (!(err instanceof BridgeError) || STATUS_OF[err.code] === undefined) throw err;
  // Next to its field the message says enough; the hint (written for the API's JSON bodies) only for an error without one.
  const field = fieldOfLocation(err.location);
  const message = err.hint && !field ? `${err.message} (${err.hint})` : err.message;
  return { status: STATUS_OF[err.code] ?? 400, error: { field, message } };
}

/**
 * A browser says where a form was posted from: Sec-Fetch-Site, else Origin (sent under the console's
 * same-origin referrer policy). A post that says neither is not taken: a console form always says one.
 */
function fromThisServer(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string') return site === 'same-origin';
  const origin = request.headers.origin;
  try {
    return origin !== undefined && new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

export function registerConsoleForms(scope: FastifyInstance, services: HttpServices, pages: ConsolePages): void {
  scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT }, (_request, body, parsed) => {
    parsed(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  scope.addHook('preHandler', async (request, reply) => {
    if (!fromThisServer(request)) {
      return secured(reply).code(403).type('text/plain').send('a change through the console must be posted from one of its pages');
    }
  });
  const who = (request: FastifyRequest): Requester => ({ remote: request.ip, token: request.tokenHolder?.name ?? null });
  const itemOf = (request: FastifyRequest): ItemView | undefined => {
    const id = idOf(request);
    return id === undefined ? undefined : services.management.getItem(id);
  };
  const body = (request: FastifyRequest): Record<string, unknown> => (request.body ?? {}) as Record<string, unknown>;

  scope.post(CONSOLE.items, async (request, reply) => {
    const values = formValues(request.body);
    const dataset = datasetFromForm(values);
    let id: number;
    try {
      id = (await services.items.create(dataset, who(request), Buffer.from(JSON.stringify(dataset)))).item.id;
    } catch (err) {
      const { status, error } = formError(err);
      return pages.show(request, reply, 'today', 'New item', newItemBody(values, error), status);
    }
    return secured(reply).redirect(CONSOLE.item(id), 303);
  });

  scope.post('/console/items/:id', async (request, reply) => {
    const item = itemOf(request);
    if (!item) return pages.notFound(request, reply, 'today', 'That item');
    const values = formValues(request.body);
    const dataset = datasetFromForm(values, item.dataset);
    try {
      await services.items.update(item.id, dataset, who(request), Buffer.from(JSON.stringify(dataset)));
    } catch (err) {
      const { status, error } = formError(err);
      return pages.show(request, reply, 'today', `Edit item ${item.id}`, editItemBody(item, values, error), status);
    }
    return secured(reply).redirect(CONSOLE.item(item.id), 303);
  });

  scope.post('/console/items/:id/cancel', async (request, reply) => {
    const item = itemOf(request);
    if (!item) return pages.notFound(request, reply, 'today', 'That item');
    try {
      await services.items.cancel(item.id, who(request));
    } catch (err) {
      const { status, error } = formError(err);
      return pages.show(request, reply, 'today', `Cancel item ${item.id}`, cancelItemBody(item, error.message), status);
    }
    return secured(reply).redirect(CONSOLE.item(item.id), 303);
  });

  scope.post('/console/messages/:id/reprocess', async (request, reply) => {
    const id = idOf(request);
    if (id === undefined) return pages.notFound(request, reply, 'messages', 'That message');
    let entryId: number;
    try {
      entryId = (await services.tools.reprocess(id, who(request))).id;
    } catch (err) {
      const { status, error } = formError(err);
      if (status === 404) return pages.notFound(request, reply, 'messages', 'That message');
      return pages.show(request, reply, 'messages', `Message ${id}`, html`<p class="error-text" role="alert">${error.message}</p>`, status);
    }
    return secured(reply).redirect(CONSOLE.message(entryId), 303);
  });

  scope.post(CONSOLE.mapping, (request, reply) => {
    const text = body(request).message;
    const message = typeof text === 'string' ? text : '';
    const result = message.trim() === '' ? undefined : services.tools.dryRun(hl7FromTextarea(message));
    return pages.show(request, reply, 'mapping', 'Mapping workbench', workbenchBody(pages.userOf(request), message, result));
  });
}
