/**
 * The DICOM SCP: Verification (C-ECHO), Modality Worklist FIND and, when given, Modality Performed
 * Procedure Step, in Implicit and Explicit VR Little Endian. It owns the listening socket (bound to
 * dicom.host), the association slots and the connections; each connection runs behind its own
 * boundary (association.ts). dcmjs-dimse reads and writes DIMSE messages; it never sees a byte the
 * PDU gate did not check, and none of its failures reaches the process.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import dimse from 'dcmjs-dimse';
import type { Logger } from '../log.js';
import { throttledLogger } from '../log-throttle.js';
import { AssociationConnection, type AssociationSlots } from './association.js';
import type { ScpServices } from './services.js';
import type { AssociationPolicy } from './association-policy.js';
import { checkReceivedDatasets } from './dimse-shim.js';

export type { AssociationPolicy } from './association-policy.js';
export type { MppsHandlers, ScpServices, WorklistFindHandler } from './services.js';

/**
 * Connections that have not associated yet (their request still to come) kept at once, at least;
 * past that the oldest such connection is closed for the new one, so that idle connections can
 * delay a modality by no more than its own connect, never lock it out.
 */
const MIN_PENDING_CONNECTIONS = 64;

class SlotCounter implements AssociationSlots {
  open = 0;
  take(): void {
    this.open++;
  }
  give(): void {
    this.open--;
  }
}

export interface WorklistScpOptions extends ScpServices {
  host: string;
  port: number;
  logger: Logger;
  policy: AssociationPolicy;
}

export class WorklistScp {
  private server: Server | undefined;
  private readonly connections = new Set<AssociationConnection>();
  private readonly slots = new SlotCounter();
  private readonly noisy: ReturnType<typeof throttledLogger>;

  constructor(private readonly opts: WorklistScpOptions) {
    this.noisy = throttledLogger(opts.logger);
  }

  /** Starts serving without a port of its own (dicom.port off): only accept() feeds it, from the TLS listener. */
  startWithoutPort(): void {
    dimse.log.setLevel('silent');
    checkReceivedDatasets();
  }

  /** Starts listening; resolves with the bound port. */
  async start(): Promise<number> {
    const { logger } = this.opts;
    this.startWithoutPort();
    const server = createServer((socket: Socket) => {
      this.accept(socket);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.opts.host, port: this.opts.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => {
      logger.error('dicom.listener_error', { error: err.message });
    });
    return (server.address() as AddressInfo).port;
  }

  /**
   * Serves one connection: from the plain port, or from the TLS listener once its handshake is done
   * (the same slots, limits, timeouts and services for both).
   */
  accept(socket: Socket): void {
    const { logger, policy } = this.opts;
    this.evictOldestPending(Math.max(MIN_PENDING_CONNECTIONS, policy.maxAssociations), this.noisy);
    const connection = new AssociationConnection(socket, {
      policy,
      services: this.opts,
      slots: this.slots,
      logger,
      noisy: this.noisy,
      onClosed: (c) => this.connections.delete(c),
    });
    this.connections.add(connection);
  }

  /** Where the SCP listens. */
  address(): AddressInfo | undefined {
    const address = this.server?.address();
    return address && typeof address === 'object' ? address : undefined;
  }

  /** Associations open now. */
  get associations(): number {
    return this.slots.open;
  }

  private evictOldestPending(limit: number, noisy: ReturnType<typeof throttledLogger>): void {
    let pending = 0;
    let oldest: AssociationConnection | undefined;
    for (const connection of this.connections) {
      if (!connection.pending) continue;
      pending++;
      oldest ??= connection;
    }
    if (pending < limit || !oldest) return;
    noisy.warn('dicom.connection_evicted', {
      ...oldest.fields(),
      pending,
      reason: `${pending} connections without an association request yet; the oldest makes room for a new one`,
    });
    oldest.destroy();
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) {
      for (const connection of this.connections) connection.destroy();
      return;
    }
    const closed = new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
    for (const connection of this.connections) connection.destroy();
    await closed;
  }
}
