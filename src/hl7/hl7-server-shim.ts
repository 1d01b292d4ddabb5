/**
 * The one place that touches node-hl7-server's private API (pinned to 2.5.0; checked by
 * test/integration/mllp-library.test.ts, which fails when the library changes under it).
 *
 * The library's Server/Inbound own the listening socket and its shutdown; two private methods are
 * replaced:
 * - `_listen`: 2.5.0 calls `net.Server.listen({ port, ipv6Only, hostname: bindAddress })`. Node's
 *   listen() reads `host`, not `hostname`, so the address is ignored and every listener binds all
 *   addresses (measured: `bindAddress: '127.0.0.1'` -> the socket's address() is `::`, port
 *   reachable on every interface). This version passes `host`, and caps connections.
 * - `_onTcpClientConnected`: 2.5.0 never resets its receive buffer (a second message on one
 *   connection re-delivers the first), decodes all bytes with one fixed string encoding, has no
 *   frame size limit and does not answer unparseable messages. Each accepted socket is handed to
 *   the bridge's own connection handling (mllp-connection.ts) instead.
 */
import { createServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { Server as Hl7Server, Inbound } from 'node-hl7-server';

/** The private members of Inbound used here, as 2.5.0 has them. */
interface InboundPrivate {
  emit(event: string, ...args: unknown[]): boolean;
  _main: { _opt: { bindAddress: string; ipv6: boolean } };
  _opt: { port: number };
  _sockets: Socket[];
  _socket: NetServer | undefined;
  _onTcpClientConnected: (socket: Socket) => void;
}

export interface ListenOptions {
  host: string;
  port: number;
  /** Connections served at once; more are closed on accept (net.Server maxConnections) and reported. */
  maxConnections: number;
  onConnection: (socket: Socket) => void;
  /** A connection refused because maxConnections were open. */
  onRefused: (remote: string) => void;
}

class BoundInbound extends Inbound {}

/**
 * Replaces 2.5.0's _listen (the base constructor calls this._listen through the prototype, before
 * any subclass code runs): the same server, with `host` passed, so the bind address holds.
 */
(BoundInbound.prototype as unknown as { _listen: (this: InboundPrivate) => NetServer })._listen = function () {
  const server = createServer((socket) => {
    this._onTcpClientConnected(socket);
  });
  server.on('error', (err) => this.emit('error', err));
  server.listen({ port: this._opt.port, host: this._main._opt.bindAddress, ipv6Only: this._main._opt.ipv6 }, () => this.emit('listen'));
  return server;
};

export interface MllpServerHandle {
  address(): AddressInfo | null;
  close(): Promise<void>;
}

/** Starts listening; resolves once the socket is bound (rejects on e.g. EADDRINUSE). */
export async function listenMllp(opts: ListenOptions, onError: (err: Error) => void): Promise<MllpServerHandle> {
  const inbound = new BoundInbound(new Hl7Server({ bindAddress: opts.host }), { port: opts.port }, () => undefined);
  const internals = inbound as unknown as InboundPrivate;
  internals._onTcpClientConnected = (socket) => {
    internals._sockets.push(socket);
    // The library's close() destroys what is in this list; closed sockets leave it.
    socket.once('close', () => {
      const i = internals._sockets.indexOf(socket);
      if (i >= 0) internals._sockets.splice(i, 1);
    });
    opts.onConnection(socket);
  };
  // The base constructor listens (through _listen above); no socket means the library changed under this shim.
  const server = internals._socket;
  if (!server) throw new Error('node-hl7-server: Inbound has no listening socket after construction (this shim is written for 2.5.0)');
  server.maxConnections = opts.maxConnections;
  server.on('drop', (data?: { remoteAddress?: string; remotePort?: number }) => {
    opts.onRefused(`${data?.remoteAddress ?? '?'}:${data?.remotePort ?? 0}`);
  });
  await new Promise<void>((resolve, reject) => {
    inbound.once('listen', () => {
      resolve();
    });
    inbound.once('error', (err: Error) => {
      reject(err);
    });
  });
  inbound.on('error', onError);
  return {
    address() {
      const address = server.address();
      return address && typeof address === 'object' ? address : null;
    },
    async close() {
      await inbound.close();
    },
  };
}
