/**
 * One TCP connection of the SCP, from accept to close, behind one boundary. Bytes pass the PDU gate
 * (pdu.ts) before dcmjs-dimse reads them; the association request is checked (associate-request.ts)
 * and decided (association-policy.ts) before it is answered; every handler runs inside a guard, so
 * that an exception in a handler, in dcmjs-dimse or in encoding ends this association with an
 * A-ABORT and a log line naming the peer, never the process. The connection owns every timer and
 * gives its association slot back exactly once, whichever way it ends.
 */
import type { Socket } from 'node:net';
import type { Logger, LogFields } from '../log.js';
import type { ThrottledLogger } from '../log-throttle.js';
import { errorMessage } from '../errors.js';
import { MessageFragments, PduFramer, PduProtocolError, PduType, readPresentationDataValues, type UpperLayerState } from './pdu.js';
import { checkAssociateRequest, peekAeTitles, printable, type AssociateRequest } from './associate-request.js';
import { reportRejectedAssociation } from './association-report.js';
import { ContextResult, SopClassUid, decideAssociation, type AssociationPolicy } from './association-policy.js';
import { LibrarySocket, type Association } from './dimse-shim.js';
import { WorklistScpSession, type SessionHost } from './session.js';
import type { ScpServices } from './services.js';
import { IdleTimer } from './idle-timer.js';
import { PeerSocket } from './peer-socket.js';

/** Association slots shared by the connections of one SCP. */
export interface AssociationSlots {
  readonly open: number;
  take(): void;
  give(): void;
}

export interface ConnectionDeps {
  policy: AssociationPolicy;
  services: ScpServices;
  slots: AssociationSlots;
  logger: Logger;
  /** For what a hostile peer can make happen any number of times. */
  noisy: ThrottledLogger;
  onClosed(connection: AssociationConnection): void;
}

/** A-ABORT sources (PS3.8 9.3.8). */
const AbortSource = { serviceUser: 0, serviceProvider: 2 } as const;

export class AssociationConnection implements SessionHost {
  private state: UpperLayerState = 'awaiting-request';
  private readonly framer: PduFramer;
  private readonly library: LibrarySocket;
  private readonly session: WorklistScpSession;
  /** The peer's address:port. */
  readonly remote: string;
  private request: AssociateRequest | undefined;
  /** The AE titles as received, also from a request refused as malformed. */
  private aeTitles: { calledAeTitle: string; callingAeTitle: string } | undefined;
  private holdsSlot = false;
  private acseTimer: NodeJS.Timeout | undefined;
  private readonly idle: IdleTimer;
  private readonly peer: PeerSocket;
  private acceptedContexts = new Map<number, string>();
  private readonly fragments: MessageFragments;
  private closed = false;

  constructor(
    private readonly socket: Socket,
    private readonly deps: ConnectionDeps,
  ) {
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    this.peer = new PeerSocket(socket, () => {
      this.touch();
    });
    this.framer = new PduFramer({ state: () => this.state, maxPduLength: () => deps.policy.maxPduLength });
    this.fragments = new MessageFragments(deps.policy.maxMessageBytes);
    this.library = new LibrarySocket(
      (bytes) => {
        this.peer.write(bytes);
      },
      () => {
        this.endConnection();
      },
    );
    this.idle = new IdleTimer(deps.policy.dimseTimeoutMs, () => {
      if (this.closed) return;
      this.deps.noisy.warn('dicom.dimse_timeout', {
        ...this.fields(),
        seconds: this.deps.policy.dimseTimeoutMs / 1000,
        reason: this.framer.inPdu ? 'a PDU begun and not finished' : 'nothing received or sent',
      });
      this.abort(AbortSource.serviceProvider, 0);
    });
    this.session = new WorklistScpSession(this.library, this, deps.services, deps.logger);
    // Answers go out as many small writes; with Nagle's algorithm each waited for the peer's delayed ACK.
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.guard('receiving', () => {
        this.receive(chunk);
      });
    });
    socket.on('error', (err) => {
      this.deps.noisy.info('dicom.connection_error', { ...this.fields(), error: err.message });
    });
    socket.on('close', () => {
      this.closedSocket();
    });
    // Bounds the whole time to a complete association request, however slowly it trickles in.
    this.acseTimer = setTimeout(() => {
      this.deps.noisy.warn('dicom.acse_timeout', {
        ...this.fields(),
        seconds: deps.policy.acseTimeoutMs / 1000,
        reason: this.framer.inPdu ? 'association request not complete in time' : 'no association request in time',
      });
      this.socket.destroy();
    }, deps.policy.acseTimeoutMs);
  }

  /** The peer's address, AE titles and state, for log lines. */
  fields(): LogFields {
    return {
      remote: this.remote,
      calling: this.aeTitles && printable(this.aeTitles.callingAeTitle),
      called: this.aeTitles && printable(this.aeTitles.calledAeTitle),
    };
  }

  get callingAeTitle(): string {
    return this.request?.callingAeTitle ?? '';
  }

  get calledAeTitle(): string {
    return this.request?.calledAeTitle ?? '';
  }

  /** True until the association is decided (no request yet, or being answered). */
  get pending(): boolean {
    return this.state === 'awaiting-request' || this.state === 'deciding';
  }

  /** True while the association can still carry answers. */
  get open(): boolean {
    return this.state === 'associated' && !this.closed && !this.socket.destroyed;
  }

  /** Ends the connection at once (the SCP is stopping). */
  destroy(): void {
    this.socket.destroy();
  }

  /** Runs fn; anything it throws ends this association, not the process. */
  guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.fail(what, err);
    }
  }

  /** An unexpected failure inside this association: logged once, A-ABORT, connection closed. */
  fail(what: string, err: unknown): void {
    if (this.closed) return;
    if (err instanceof PduProtocolError) {
      this.deps.noisy.warn('dicom.protocol_error', { ...this.fields(), error: err.message, effect: 'A-ABORT, connection closed' });
      this.abort(AbortSource.serviceProvider, err.abortReason);
      return;
    }
    // Where it was thrown: the line that lets a maintainer find the fault.
    const at = err instanceof Error ? /\n\s+at (.*)/.exec(err.stack ?? '')?.[1] : undefined;
    this.deps.logger.error('dicom.association_failed', {
      ...this.fields(),
      while: what,
      error: errorMessage(err),
      at,
      effect: 'A-ABORT, connection closed; the SCP goes on',
    });
    this.abort(AbortSource.serviceUser, 0);
  }

  private receive(chunk: Buffer): void {
    // After a reject, release or abort the SCP waits only for the peer to close.
    if (this.state === 'closed') return;
    for (const pdu of this.framer.push(chunk)) {
      if (this.closed) return;
      this.idle.noteActivity();
      switch (pdu.type) {
        case PduType.AssociateRq:
          this.receiveAssociateRequest(pdu.bytes);
          break;
        case PduType.PData:
          this.checkPData(pdu.bytes);
          this.library.deliver(pdu.bytes);
          break;
        case PduType.ReleaseRq:
          this.library.deliver(pdu.bytes);
          break;
        case PduType.Abort:
          this.deps.logger.info('dicom.peer_aborted', this.fields());
          this.socket.destroy();
          return;
      }
    }
  }

  private receiveAssociateRequest(pdu: Buffer): void {
    this.aeTitles = peekAeTitles(pdu);
    const check = checkAssociateRequest(pdu);
    if (!check.ok) {
      this.reject(check.reject, check.why);
      return;
    }
    this.request = check.request;
    this.state = 'deciding';
    this.library.deliver(check.canonical);
  }

  /** Called by the session when dcmjs-dimse has read the (canonical) request. */
  decideAssociation(association: Association): void {
    const request = this.request;
    if (!request || this.state !== 'deciding') throw new PduProtocolError('association request handled out of order', 2);
    const decision = decideAssociation(request, this.deps.policy, {
      openAssociations: this.deps.slots.open,
      supportedSopClasses: new Set([
        SopClassUid.Verification,
        SopClassUid.ModalityWorklistFind,
        ...(this.deps.services.mpps ? [SopClassUid.ModalityPerformedProcedureStep] : []),
      ]),
    });
    if (!decision.accept) {
      this.reject(decision.reject, decision.why);
      return;
    }
    for (const context of decision.contexts) {
      const libraryContext = association.getPresentationContext(context.id);
      // dcmjs-dimse's constants: 0 accept, 3 abstract syntax, 4 transfer syntaxes not supported.
      libraryContext.setResult(context.result, context.transferSyntax);
      if (context.result === ContextResult.Acceptance) this.acceptedContexts.set(context.id, context.abstractSyntax);
    }
    this.deps.slots.take();
    this.holdsSlot = true;
    this.state = 'associated';
    clearTimeout(this.acseTimer);
    this.session.accept(this.deps.policy.maxPduLength, request.maxPduLength);
    this.touch();
    this.deps.logger.debug('dicom.association', { ...this.fields(), accepted: this.acceptedContexts.size, peer_max_pdu: request.maxPduLength });
  }

  private reject(reject: { result: number; source: number; reason: number }, why: string): void {
    reportRejectedAssociation(this.deps.services, this.deps.noisy, { remote: this.remote, aeTitles: this.aeTitles, fields: this.fields() }, reject, why);
    this.state = 'closed';
    clearTimeout(this.acseTimer);
    this.session.sendAssociationReject(reject.result, reject.source, reject.reason);
    this.endConnection();
  }

  /** P-DATA: PDVs well formed, on accepted contexts, in message order, no message part larger than the limit. */
  private checkPData(pdu: Buffer): void {
    for (const pdv of readPresentationDataValues(pdu)) {
      if (!this.acceptedContexts.has(pdv.contextId))
        throw new PduProtocolError(`presentation data value on presentation context ${pdv.contextId}, which was not accepted`, 6);
      this.fragments.take(pdv);
    }
  }

  /** Called by the session on A-RELEASE-RQ. */
  released(): void {
    this.state = 'released';
    this.session.sendAssociationReleaseResponse();
    this.endConnection();
  }

  /** Resolves once the peer has read what was written (or the connection is gone). */
  writable(): Promise<void> {
    return this.peer.writable();
  }

  /** Activity on the association (a PDU received whole, or bytes sent) restarts the DIMSE timeout. */
  private touch(): void {
    if (this.state === 'associated') this.idle.touch();
    else this.idle.noteActivity();
  }

  /** Sends A-ABORT and closes. */
  private abort(source: number, reason: number): void {
    if (this.closed) return;
    this.state = 'closed';
    this.peer.sendAbort(source, reason);
    this.endConnection();
  }

  private endConnection(): void {
    this.peer.end();
  }

  private closedSocket(): void {
    if (this.closed) return;
    this.closed = true;
    this.state = 'closed';
    clearTimeout(this.acseTimer);
    this.idle.stop();
    this.peer.closed();
    if (this.holdsSlot) {
      this.holdsSlot = false;
      this.deps.slots.give();
    }
    // The library clears its own interval timer on close.
    this.library.emit('close');
    this.deps.onClosed(this);
  }
}
