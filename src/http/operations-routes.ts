/**
 * Operations endpoints for orchestrators and load balancers: /health (the process answers),
 * /ready (it can do its work: store writable, listeners up, mirror backlog under its bound; 503
 * otherwise, naming the failing check) and /metrics (Prometheus text format).
 */
import type { FastifyInstance } from 'fastify';
import type { HttpServices } from './services.js';

export function registerOperations(app: FastifyInstance, services: HttpServices): void {
  app.get('/health', () => ({ status: 'ok' }));

  app.get('/ready', async (_request, reply) => {
    const checks = services.readiness();
    const ready = Object.values(checks).every((c) => c.ok);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });

  app.get('/metrics', async (_request, reply) => {
    const { text, contentType } = await services.metricsText();
    return reply.header('Content-Type', contentType).send(text);
  });
}
