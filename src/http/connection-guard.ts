/**
 * A bound on the HTTP server's connections that idle or half-sent ones cannot fill. Node's
 * server.maxConnections refuses every new connection once the bound is reached: 256 sockets that
 * send half a request header (a few bytes each, from one script) then shut every client out until
 * the header timeout (measured: /health unanswered for as long as they stayed). Here a new
 * connection at the bound evicts the oldest one that has no request being answered (an idle
 * keep-alive connection, or one still sending its header or body); only when every connection is
 * busy answering a received request is the new one refused.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { ThrottledLogger } from '../log-throttle.js';

export function guardConnections(server: Server, maxConnections: number, noisy: ThrottledLogger): void {
  /** Open connections in the order they came, each with the request being answered on it, if any. */
  const connections = new Map<Socket, IncomingMessage | undefined>();
  server.on('connection', (socket: Socket) => {
    if (connections.size >= maxConnections && !evictOne(connections)) {
      noisy.warn('http.connection_refused', {
        remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`,
        reason: `${connections.size} connections busy answering requests`,
      });
      socket.destroy();
      return;
    }
    connections.set(socket, undefined);
    socket.once('close', () => connections.delete(socket));
  });
  server.on('request', (request: IncomingMessage, response: { once(event: 'finish' | 'close', fn: () => void): void }) => {
    const { socket } = request;
    if (!connections.has(socket)) return;
    connections.set(socket, request);
    const done = (): void => {
      if (connections.get(socket) === request) connections.set(socket, undefined);
    };
    response.once('finish', done);
    response.once('close', done);
  });

  function evictOne(open: Map<Socket, IncomingMessage | undefined>): boolean {
    for (const [socket, request] of open) {
      // Busy: a request received whole and being answered.
      if (request?.complete) continue;
      noisy.warn('http.connection_evicted', {
        remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`,
        reason: `${open.size} connections open (at most ${maxConnections}); the oldest without a request being answered makes room`,
      });
      open.delete(socket);
      socket.destroy();
      return true;
    }
    return false;
  }
}
