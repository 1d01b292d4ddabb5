/**
 * The audit trail as the rest of the bridge sees it: one call per event (application start and
 * stop, a query, an order applied, a security alert), each turned into its PS3.15 A.5 message.
 * With audit.syslog off every call does nothing.
 */
import { hostname } from 'node:os';
import type { BridgeConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { AuditTrail, auditMessage } from '../audit/audit-trail.js';
import { userInfo } from 'node:os';
import { Codes, type AuditEvent, type Participant } from '../audit/messages.js';
import { parseSyslogTarget } from '../audit/syslog-target.js';
import type { OrderObserver } from '../worklist/orders.js';
import type { ItemAction } from '../worklist/order-controls.js';
import type { WorklistStore } from '../store/worklist-store.js';
import { BridgeError } from '../errors.js';

export interface AuditRecorder {
  applicationActivity(kind: 'start' | 'stop'): void;
  query(peer: { remote: string; callingAeTitle: string }, identifier: unknown): void;
  order: OrderObserver;
  /** A refused peer or request; type: node authentication (TLS, association) by default, or use of a restricted function (a bad token). */
  securityAlert(peer: { remote: string; callingAeTitle?: string | undefined }, reason: string, type?: 'node' | 'restricted'): void;
  /** A login (console) or an API connection's token: User Authentication, and a Security Alert when refused. */
  authentication(event: { ok: boolean; user: string | undefined; remote: string; via: 'api' | 'console'; reason?: string | undefined }): void;
  /** A worklist item made or changed by hand (the management API), by the token's holder. */
  manualItem(change: ManualItemChange): void;
  stop(): Promise<void>;
}

export interface ManualItemChange {
  action: 'created' | 'updated' | 'cancelled' | 'deleted';
  /** The token's name, or undefined without tokens (loopback only). */
  user: string | undefined;
  remote: string;
  patientId: string;
  patientName: string;
  accessionNumber: string;
}

const noAudit: AuditRecorder = {
  applicationActivity: () => undefined,
  query: () => undefined,
  order: () => undefined,
  securityAlert: () => undefined,
  authentication: () => undefined,
  manualItem: () => undefined,
  stop: () => Promise.resolve(),
};

const MAX_IMPORT_PATIENTS = 100;

const ACTION: Partial<Record<ItemAction, 'C' | 'U' | 'D'>> = { created: 'C', cancelled: 'D', discontinued: 'D' };

export function startAuditTrail(config: BridgeConfig, store: WorklistStore, logger: Logger): AuditRecorder {
  const text = config['audit.syslog'];
  if (text === 'off') return noAudit;
  const target = parseSyslogTarget(text);
  if (!target) throw new BridgeError('CONFIG_INVALID', `audit.syslog: "${text}" is not tls://host:port, tcp://host:port, udp://host:port or off`);
  const trail = new AuditTrail({
    target,
    sourceId: config['audit.sourceId'],
    spool: store.auditSpool,
    maxMessages: config['audit.spoolMaxMessages'],
    logger,
    tls: { caFile: config['audit.caFile'] || undefined, certFile: config['audit.certFile'] || undefined, keyFile: config['audit.keyFile'] || undefined },
  });
  trail.start();
  logger.info('audit.ready', { target: text, waiting: trail.backlog });
  const aeTitle = config['dicom.aeTitle'];
  const self = (role = Codes.application): Participant => ({
    userId: aeTitle,
    alternativeUserId: String(process.pid),
    isRequestor: false,
    networkAccessPoint: hostname(),
    role,
  });
  const peer = (remote: string, userId: string | undefined): Participant => ({
    userId: userId || remote,
    isRequestor: true,
    networkAccessPoint: remote.replace(/:\d+$/, ''),
    role: Codes.source,
  });
  const record = (event: AuditEvent): void => {
    trail.record(event);
  };
  const recorder: AuditRecorder = {
    applicationActivity(kind) {
      record({
        id: Codes.applicationActivity,
        type: kind === 'start' ? Codes.applicationStart : Codes.applicationStop,
        action: 'E',
        outcome: 0,
        participants: [self()],
      });
    },
    query({ remote, callingAeTitle }, identifier) {
      record({
        id: Codes.query,
        action: 'E',
        outcome: 0,
        participants: [peer(remote, callingAeTitle), self(Codes.destination)],
        objects: [
          {
            typeCode: 2,
            role: 3,
            idType: Codes.mwlFind,
            id: Codes.mwlFind.code,
            query: Buffer.from(JSON.stringify(identifier), 'utf8'),
            details: { TransferSyntax: '1.2.840.10008.1.2' },
          },
        ],
      });
    },
    order(applied) {
      const action = applied.actions.map((a) => ACTION[a]).find(Boolean) ?? 'U';
      record({
        id: Codes.orderRecord,
        action,
        outcome: 0,
        participants: [{ userId: applied.sendingApplication || 'RIS', isRequestor: true, role: Codes.source }, self(Codes.destination)],
        objects: [
          {
            typeCode: 1,
            role: 1,
            idType: Codes.patientNumber,
            id: applied.patientId,
            ...(applied.patientName ? { name: applied.patientName } : {}),
            details: { AccessionNumber: applied.accessionNumber, Actions: applied.actions.join(',') },
          },
        ],
      });
    },
    securityAlert({ remote, callingAeTitle }, reason, type = 'node') {
      record({
        id: Codes.securityAlert,
        type: type === 'node' ? Codes.nodeAuthentication : Codes.useOfRestrictedFunction,
        action: 'E',
        outcome: 4,
        participants: [peer(remote, callingAeTitle), self()],
        objects: [{ typeCode: 2, role: 13, idType: Codes.alertNode, id: remote, details: { 'Alert Description': reason } }],
      });
    },
    authentication({ ok, user, remote, via, reason }) {
      record({
        id: Codes.userAuthentication,
        type: Codes.login,
        action: 'E',
        outcome: ok ? 0 : 4,
        participants: [
          { userId: user ?? 'unknown token', alternativeUserId: via, isRequestor: true, networkAccessPoint: remote },
          { ...self(), isRequestor: false },
        ],
      });
      if (!ok) recorder.securityAlert({ remote, callingAeTitle: user }, `${via} login refused: ${reason ?? 'the token is not known'}`, 'restricted');
    },
    manualItem({ action, user, remote, patientId, patientName, accessionNumber }) {
      record({
        id: Codes.orderRecord,
        action: action === 'created' ? 'C' : action === 'updated' ? 'U' : 'D',
        outcome: 0,
        participants: [
          { userId: user ?? remote, alternativeUserId: 'http', isRequestor: true, networkAccessPoint: remote, role: Codes.source },
          self(Codes.destination),
        ],
        objects: [
          {
            typeCode: 1,
            role: 1,
            idType: Codes.patientNumber,
            id: patientId,
            ...(patientName ? { name: patientName } : {}),
            details: { AccessionNumber: accessionNumber, Actions: action },
          },
        ],
      });
    },
    stop: () => trail.stop(),
  };
  return recorder;
}

/**
 * The `import` command's audit message (Import, 110107): spooled in the bridge's database, where
 * the running bridge (or the next one started) sends it with its own. Nothing when audit.syslog is off.
 */
export function spoolImportAudit(
  config: BridgeConfig,
  store: WorklistStore,
  report: { imported: Array<{ file: string; action: string; patientId: string }>; failed: unknown[] },
): void {
  if (config['audit.syslog'] === 'off') return;
  const changed = report.imported.filter((i) => i.action !== 'unchanged');
  // At most MAX_IMPORT_PATIENTS participant objects: a syslog message stays well under the 64 KiB
  // receivers accept by default (rsyslog cuts longer ones).
  const patients = [...new Set(changed.map((i) => i.patientId).filter(Boolean))].slice(0, MAX_IMPORT_PATIENTS);
  const event: AuditEvent = {
    id: Codes.import,
    action: 'C',
    outcome: report.failed.length > 0 ? 4 : 0,
    participants: [
      { userId: safeUser(), alternativeUserId: String(process.pid), isRequestor: true, role: Codes.applicationLauncher },
      { userId: config['dicom.aeTitle'], isRequestor: false, networkAccessPoint: hostname(), role: Codes.destination },
    ],
    objects: patients.map((id) => ({ typeCode: 1, role: 1, idType: Codes.patientNumber, id })),
  };
  if (!store.auditSpool.add(auditMessage(event, config['audit.sourceId']), config['audit.spoolMaxMessages'])) {
    process.stderr.write('audit.spool_full: the Import audit message was not recorded\n');
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'unknown');
  }
}
