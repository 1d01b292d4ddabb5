/**
 * The audit trail: each event becomes a PS3.15 A.5 message, spooled in the database at once, and
 * sent oldest first to the syslog receiver. TCP and TLS have no acknowledgement of their own, so a
 * message leaves the spool only once it was written at least CONFIRM_MS before while the connection
 * stayed up; when the connection drops, everything not yet confirmed is sent again (at least once:
 * a receiver that went down may see a message twice, never miss one). UDP is fire and forget.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Logger } from '../log.js';
import { errorMessage } from '../errors.js';
import { auditXml, type AuditEvent } from './messages.js';
import { octetCounted, syslogMessage, type SyslogTarget } from './syslog-target.js';

/** What the trail needs of the database (store/audit-spool.ts). */
export interface AuditSpoolStore {
  add(message: string, maxMessages: number): boolean;
  after(id: number, limit: number): Array<{ id: number; message: string }>;
  removeThrough(id: number): void;
  count(): number;
}

export interface AuditTrailOptions {
  target: SyslogTarget;
  sourceId: string;
  spool: AuditSpoolStore;
  maxMessages: number;
  logger: Logger;
  tls?: { caFile?: string | undefined; certFile?: string | undefined; keyFile?: string | undefined };
}

const CONFIRM_MS = 2000;
const BATCH = 200;
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;
const FULL_LOG_INTERVAL_MS = 60_000;
/** How long stop() waits for the receiver to close the connection after ours is ended. */
const STOP_CLOSE_MS = 2000;
const STOP_FLUSH_MS = 2000;

/** One event as the syslog message that is spooled and sent. */
export function auditMessage(event: AuditEvent, sourceId: string): string {
  return syslogMessage(auditXml(event, sourceId), { hostname: hostname(), time: event.time });
}

export class AuditTrail {
  private socket: Socket | undefined;
  private udp: UdpSocket | undefined;
  private connecting = false;
  private lastSentId = 0;
  private unconfirmed: Array<{ id: number; at: number }> = [];
  private retryMs = RETRY_MIN_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private confirmTimer: NodeJS.Timeout | undefined;
  private pumping = false;
  private stopped = false;
  /** A connection attempt not yet established (stop() ends it too). */
  private connectingSocket: Socket | undefined;
  private down = false;
  private dropped = 0;
  private lastFullLog = 0;
  /** UDP datagrams handed to the socket and not yet sent (stop() waits for them before closing it). */
  private udpPending = 0;

  constructor(private readonly opts: AuditTrailOptions) {}

  start(): void {
    // Also picks up messages other processes spooled (the import command's).
    this.confirmTimer = setInterval(() => {
      this.confirm();
      this.kick();
    }, CONFIRM_MS / 4);
    this.confirmTimer.unref();
    this.kick();
  }

  /** Records an event: spooled now (durable with the next commit), sent when the receiver takes it. */
  record(event: AuditEvent): void {
    const message = auditMessage(event, this.opts.sourceId);
    let added: boolean;
    try {
      added = this.opts.spool.add(message, this.opts.maxMessages);
    } catch (err) {
      this.opts.logger.error('audit.spool_failed', { error: errorMessage(err), event: event.id.text });
      return;
    }
    if (!added) this.spoolFull();
    this.kick();
  }

  /** Messages waiting in the spool (for tests and the log). */
  get backlog(): number {
    return this.opts.spool.count();
  }

  /**
   * Sends what waits (for up to STOP_FLUSH_MS while connected), then closes the connection
   * gracefully: what was written before the close is delivered and leaves the spool; the rest waits
   * for the next start.
   */
  async stop(): Promise<void> {
    const deadline = Date.now() + STOP_FLUSH_MS;
    while (this.socket && Date.now() < deadline && this.opts.spool.after(this.lastSentId, 1).length > 0) {
      this.kick();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // The last events (Application Stop) were handed to the UDP socket just now: closing it at once
    // drops them (seen against rsyslog).
    while (this.udpPending > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    this.stopped = true;
    this.connectingSocket?.destroy();
    clearInterval(this.confirmTimer);
    clearTimeout(this.retryTimer);
    const socket = this.socket;
    if (socket && !socket.destroyed) {
      const sent = this.lastSentId;
      // A receiver that does not close its side (or a connection already dead) must not hold the
      // bridge's stop: after STOP_CLOSE_MS the socket is destroyed and what was sent stays spooled.
      const clean = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          socket.destroy();
          resolve(false);
        }, STOP_CLOSE_MS);
        socket.once('close', (hadError: boolean) => {
          clearTimeout(timer);
          resolve(!hadError);
        });
        socket.end();
      });
      if (clean && sent > 0) this.opts.spool.removeThrough(sent);
    }
    this.udp?.close();
  }

  private spoolFull(): void {
    this.dropped++;
    const now = Date.now();
    if (now - this.lastFullLog < FULL_LOG_INTERVAL_MS) return;
    this.opts.logger.error('audit.spool_full', {
      waiting: this.opts.maxMessages,
      not_recorded: this.dropped,
      effect: 'events are not recorded until the syslog receiver takes the waiting messages',
    });
    this.lastFullLog = now;
    this.dropped = 0;
  }

  /** Sends what waits, connecting first if need be. */
  private kick(): void {
    if (this.stopped || this.pumping) return;
    if (this.opts.target.transport === 'udp') {
      this.pumpUdp();
      return;
    }
    if (!this.socket) {
      this.connect();
      return;
    }
    this.pumping = true;
    setImmediate(() => {
      this.pumping = false;
      this.pump();
    });
  }

  private pump(): void {
    const socket = this.socket;
    if (!socket || this.stopped) return;
    const batch = this.opts.spool.after(this.lastSentId, BATCH);
    if (batch.length === 0) return;
    let writable = true;
    const now = Date.now();
    for (const { id, message } of batch) {
      writable = socket.write(octetCounted(message));
      this.lastSentId = id;
      this.unconfirmed.push({ id, at: now });
    }
    if (writable) this.kick();
    else
      socket.once('drain', () => {
        this.kick();
      });
  }

  /** Removes from the spool what was written CONFIRM_MS ago on a connection still up. */
  private confirm(): void {
    if (!this.socket || this.connecting) return;
    const before = Date.now() - CONFIRM_MS;
    let through = 0;
    while (this.unconfirmed.length > 0 && (this.unconfirmed[0]?.at ?? Infinity) <= before) through = this.unconfirmed.shift()?.id ?? through;
    if (through > 0) this.opts.spool.removeThrough(through);
  }

  private connect(): void {
    if (this.connecting || this.stopped) return;
    this.connecting = true;
    const { target, tls } = this.opts;
    const socket =
      target.transport === 'tls'
        ? tlsConnect({
            host: target.host,
            port: target.port,
            minVersion: 'TLSv1.2',
            ...(tls?.caFile ? { ca: readFileSync(tls.caFile) } : {}),
            ...(tls?.certFile && tls.keyFile ? { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) } : {}),
          })
        : netConnect({ host: target.host, port: target.port });
    socket.setKeepAlive(true, 30_000);
    this.connectingSocket = socket;
    socket.once(target.transport === 'tls' ? 'secureConnect' : 'connect', () => {
      this.connecting = false;
      this.connectingSocket = undefined;
      // Connected after stop() began (a connection attempt it did not see through): not kept.
      if (this.stopped) {
        socket.destroy();
        return;
      }
      this.socket = socket;
      this.retryMs = RETRY_MIN_MS;
      if (this.down) this.opts.logger.info('audit.receiver_recovered', { target: this.describe(), waiting: this.opts.spool.count() });
      this.down = false;
      this.kick();
    });
    // The receiver never sends; its end means it is going away.
    socket.on('data', () => undefined);
    socket.once('end', () => socket.destroy());
    socket.on('error', (err: Error) => {
      if (!this.down)
        this.opts.logger.warn('audit.receiver_unavailable', { target: this.describe(), error: err.message, effect: 'audit messages wait in the database' });
      this.down = true;
    });
    socket.once('close', () => {
      this.connecting = false;
      if (this.socket === socket) this.socket = undefined;
      // Everything not confirmed is sent again on the next connection.
      this.lastSentId = 0;
      this.unconfirmed = [];
      if (!this.down)
        this.opts.logger.warn('audit.receiver_unavailable', {
          target: this.describe(),
          error: 'connection closed',
          effect: 'audit messages wait in the database',
        });
      this.down = true;
      if (this.stopped) return;
      this.retryTimer = setTimeout(() => {
        this.connect();
      }, this.retryMs);
      this.retryTimer.unref();
      this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
    });
  }

  private pumpUdp(): void {
    this.udp ??= createSocket(this.opts.target.host.includes(':') ? 'udp6' : 'udp4');
    const batch = this.opts.spool.after(0, BATCH);
    for (const { message } of batch) {
      this.udpPending++;
      this.udp.send(Buffer.from(message, 'utf8'), this.opts.target.port, this.opts.target.host, () => {
        this.udpPending--;
      });
    }
    const last = batch.at(-1);
    if (last) this.opts.spool.removeThrough(last.id);
    if (batch.length === BATCH)
      setImmediate(() => {
        this.pumpUdp();
      });
  }

  private describe(): string {
    const { transport, host, port } = this.opts.target;
    return `${transport}://${host}:${port}`;
  }
}
