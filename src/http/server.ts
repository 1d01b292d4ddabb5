/**
 * The bridge's one HTTP server (fastify): DICOMweb worklist search and the operations endpoints.
 * The web console (console/) is served at / on top of the same services.
 * Every request is bounded (body, URL and header sizes, time to arrive, parameters of a search),
 * and any error a route throws becomes a JSON error answer, never a crash: the routes see only the
 * narrow services of services.ts.
 */
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { AddressInfo, Socket } from 'node:net';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { DICOM_JSON, warning } from './http-common.js';
import { registerAccessControl } from './access.js';
import { registerApi } from './api-routes.js';
import { itemWriteOperations, registerItemWrites } from './api-item-routes.js';
import { registerTools, toolOperations } from './api-tool-routes.js';
import { openApiDocument } from './openapi.js';
import { registerMwlSearch } from './mwl-search-route.js';
import { registerMpps } from './mpps-routes.js';
import { registerOperations } from './operations-routes.js';
import { registerConsole } from './console/routes.js';
import type { HttpServerOptions, HttpServices } from './services.js';
import { guardConnections } from './connection-guard.js';
import { throttledLogger } from '../log-throttle.js';

/** Largest request body (DICOM JSON data sets of items and MPPS, HL7 messages for a dry run). */
const BODY_LIMIT_BYTES = 1024 * 1024;
/** Time a request may take to arrive whole (headers and body), and an idle keep-alive connection to stay. */
const REQUEST_TIMEOUT_MS = 30_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** Connections open at once (a bound on sockets and memory, like mllp.maxConnections; connection-guard.ts). */
const MAX_CONNECTIONS = 256;

export class HttpServer {
  private readonly app: FastifyInstance;

  constructor(
    private readonly opts: HttpServerOptions,
    services: HttpServices,
    private readonly logger: Logger,
  ) {
    this.app = Fastify({
      logger: false,
      bodyLimit: BODY_LIMIT_BYTES,
      requestTimeout: REQUEST_TIMEOUT_MS,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      routerOptions: { maxParamLength: 200 },
      return503OnClosing: true,
      // An unknown query parameter is an error, not silently dropped (fastify's default removes it).
      ajv: { customOptions: { removeAdditional: false } },
    });
    // DICOM JSON payloads (MPPS) are JSON: fastify's own parser, with its prototype-poisoning checks and body limit.
    this.app.addContentTypeParser(DICOM_JSON, { parseAs: 'string' }, this.app.getDefaultJsonParser('error', 'error'));
    this.app.setErrorHandler((err: FastifyError, request, reply) => {
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
      if (status === 500) logger.error('http.request_failed', { method: request.method, url: request.url.slice(0, 200), error: errorMessage(err) });
      void reply.code(status).header('Warning', warning(err.message)).send({ error: err.message });
    });
    this.app.setNotFoundHandler((request, reply) => {
      void reply.code(404).send({ error: `no such resource: ${request.method} ${request.url.split('?')[0]?.slice(0, 200) ?? ''}` });
    });
    registerAccessControl(this.app, services.access);
    registerOperations(this.app, services);
    registerMwlSearch(this.app, services, opts, logger);
    registerApi(this.app, services.management);
    registerItemWrites(this.app, services.items);
    registerTools(this.app, services.tools);
    registerMpps(this.app, services.mpps, logger);
    const openApi = openApiDocument(opts.version, [itemWriteOperations, toolOperations]);
    this.app.get('/api/openapi.json', () => openApi);
    registerConsole(this.app, services, opts.version);
  }

  /**
   * Starts the server; with listen (http.port not off) it listens and resolves with the bound port,
   * without it only accept() feeds it (the HTTPS listener's connections).
   */
  async start(listen = true): Promise<number | undefined> {
    if (listen) await this.app.listen({ host: this.opts.host, port: this.opts.port });
    else await this.app.ready();
    guardConnections(this.app.server, MAX_CONNECTIONS, throttledLogger(this.logger));
    this.app.server.headersTimeout = REQUEST_TIMEOUT_MS;
    this.app.server.on('error', (err) => {
      this.logger.error('http.listener_error', { error: err.message });
    });
    return listen ? (this.app.server.address() as AddressInfo).port : undefined;
  }

  /**
   * Serves a connection established elsewhere (an HTTPS one, decrypted by the TLS listener) like one
   * of its own: the same routes, timeouts and connection bound.
   */
  accept(socket: Socket): void {
    this.app.server.emit('connection', socket);
  }

  /** Where the server listens. */
  address(): AddressInfo | undefined {
    const address = this.app.server.address();
    return address && typeof address === 'object' ? address : undefined;
  }

  async stop(): Promise<void> {
    await this.app.close();
  }
}
