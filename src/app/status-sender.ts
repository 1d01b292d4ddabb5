/**
 * MPPS status changes go to the RIS as HL7 (mpps.hl7Destination), queued in the same transaction
 * as the change and sent with retries, over TLS when mpps.tls.enabled is set (the RIS's certificate
 * verified, the bridge's own presented when configured; read again on SIGHUP).
 */
import type { BridgeConfig } from '../config/schema.js';
import { Hl7Sender } from '../hl7/outbound.js';
import { buildStatusMessage } from '../hl7/status-message.js';
import type { Logger } from '../log.js';
import type { WorklistStore } from '../store/worklist-store.js';
import type { MppsNotifier } from '../worklist/mpps.js';
import { ClientTls } from '../tls/client-tls.js';

const DAY_MS = 86_400_000;

export interface StatusSender {
  notify: MppsNotifier;
  /** TLS to the RIS, when mpps.tls.enabled. */
  tls: ClientTls | undefined;
}

/** Starts the sender when mpps.hl7Destination is set; undefined when not. */
export function startStatusSender(
  config: BridgeConfig,
  store: WorklistStore,
  logger: Logger,
  push: (stop: () => void | Promise<void>) => void,
): StatusSender | undefined {
  const destination = config['mpps.hl7Destination'];
  if (!destination) return undefined;
  const tls = config['mpps.tls.enabled']
    ? new ClientTls(
        'outbound',
        {
          caFile: config['mpps.tls.caFile'] || undefined,
          certFile: config['mpps.tls.certFile'] || undefined,
          keyFile: config['mpps.tls.keyFile'] || undefined,
        },
        config['tls.expiryWarningDays'],
        logger,
      )
    : undefined;
  if (tls) {
    const daily = setInterval(() => {
      tls.report();
    }, DAY_MS);
    daily.unref();
    push(() => {
      clearInterval(daily);
    });
  }
  const sender = new Hl7Sender(store.outbox, {
    retrySeconds: config['mpps.hl7RetrySeconds'],
    ackTimeoutMs: 10000,
    logger,
    tls: tls ? (host, port) => tls.connectOptions(host, port) : undefined,
  });
  sender.start();
  push(() => {
    sender.stop();
  });
  logger.info('mpps.status_sender_ready', {
    destination: `${destination.host}:${destination.port}`,
    tls: tls ? 'on' : 'off',
    ...(tls?.notAfter ? { not_after: tls.notAfter.toISOString() } : {}),
  });
  const notify: MppsNotifier = (item, performed) => {
    const code = performed === 'IN PROGRESS' ? 'IP' : performed === 'COMPLETED' ? 'CM' : 'DC';
    const message = buildStatusMessage(item, code, { sendingApplication: config['dicom.aeTitle'] });
    store.outbox.enqueue(`${destination.host}:${destination.port}`, message.controlId, message.text);
    sender.kick();
  };
  return { notify, tls };
}
