/**
 * The TLS listeners beside the plain ports (dicom.tls.*, mllp.tls.*, http.tls.*): each one hands established
 * connections to the same adapter as its plain port. Certificates are read again on SIGHUP and
 * checked for expiry daily.
 */
import type { Socket } from 'node:net';
import type { BridgeConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { SecureListener } from '../tls/secure-listener.js';
import type { ClientTls } from '../tls/client-tls.js';

const DAY_MS = 86_400_000;

export interface TlsListenerSpec {
  area: 'dicom' | 'mllp' | 'http';
  host: string;
  maxConnections: number;
  onConnection: (socket: Socket) => void;
  onRefused?: (remote: string, reason: string) => void;
}

/** The area's TLS listener settings when it has one (a certificate, and its port not off); undefined when not. */
export function tlsListenerSettings(config: BridgeConfig, area: TlsListenerSpec['area']): { certFile: string; port: number } | undefined {
  const certFile = config[`${area}.tls.certFile`];
  const port = config[`${area}.tls.port`];
  return certFile && port !== 'off' ? { certFile, port } : undefined;
}

/** Starts the area's TLS listener when its certificate is configured; undefined when not. */
export async function startTlsListener(
  config: BridgeConfig,
  spec: TlsListenerSpec,
  logger: Logger,
  push: (stop: () => void | Promise<void>) => void,
): Promise<{ listener: SecureListener; port: number } | undefined> {
  const { area } = spec;
  const settings = tlsListenerSettings(config, area);
  if (!settings) return undefined;
  const { certFile, port } = settings;
  const listener = new SecureListener({
    name: area,
    files: { certFile, keyFile: config[`${area}.tls.keyFile`], caFile: config[`${area}.tls.caFile`] || undefined },
    handshakeTimeoutMs: config['tls.handshakeTimeoutSeconds'] * 1000,
    expiryWarningDays: config['tls.expiryWarningDays'],
    maxConnections: spec.maxConnections,
    logger,
    onConnection: spec.onConnection,
    onRefused: spec.onRefused,
  });
  const bound = await listener.listen(spec.host, port);
  push(() => listener.close());
  const daily = setInterval(() => {
    listener.report();
  }, DAY_MS);
  daily.unref();
  push(() => {
    clearInterval(daily);
  });
  logger.info(`${area}.tls_ready`, {
    host: spec.host,
    port: bound,
    client_certificates: listener.verifiesPeers ? 'required' : 'not asked',
    not_after: listener.notAfter.toISOString(),
  });
  return { listener, port: bound };
}

/** When each certificate in use expires, by listener (dicom, mllp, http) and outbound (the client certificate to the RIS). */
export function certificateExpiry(listeners: readonly SecureListener[], outbound: ClientTls | undefined): Record<string, Date> {
  const expiry: Record<string, Date> = {};
  for (const listener of listeners) expiry[listener.name] = listener.notAfter;
  if (outbound?.notAfter) expiry.outbound = outbound.notAfter;
  return expiry;
}
