/**
 * One TCP connection of the SCP, from accept to close, behind one boundary. Bytes pass the PDU gate
 * (pdu.ts) before dcmjs-dimse reads them; the association request is checked (associate-request.ts)
 * and decided (association-policy.ts) before it is answered; every handler runs inside a guard, so
 * that an exception in a handler, in dcmjs-dimse or in encoding ends this association with an
 * A-ABORT and a log line naming the peer, never the process. The connection owns every timer and
 * gives its association slot back exactly once, whichever way it ends.
 */
import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { Logger, LogFields } from '../log.js';
import type { ThrottledLogger } from '../log-throttle.js';
import { errorMessage } from '../errors.js';
import type { DicomJson } from '../worklist/item.js';
import type { MppsResult, MppsRefusal } from '../worklist/mpps.js';
import type { CallingAeSetting } from '../config/schema.js';
import { describeTag } from '../worklist/dictionary.js';
import { MessageFragments, PduFramer, PduProtocolError, PduType, readPresentationDataValues, type UpperLayerState } from './pdu.js';
import { checkAssociateRequest, peekAeTitles, printable, type AssociateRequest } from './associate-request.js';
import { ContextResult, SopClassUid, decideAssociation, type AssociationPolicy } from './association-policy.js';
import {
  CEchoResponse,
  CFindResponse,
  HookedScp,
  LibrarySocket,
  NCreateResponse,
  NSetResponse,
  Status,
  datasetReadProblem,
  presentationContextOf,
  useEncodedCommandSet,
  type Association,
  type CCancelRequest,
  type CEchoRequest,
  type CFindRequest,
  type CFindResponseT,
  type DimseRequest,
  type NCreateRequest,
  type NSetRequest,
} from './dimse-shim.js';
import { identifierFromNaturalized, identifierProblem } from './identifier.js';
import { describeQuery } from './describe.js';
import { AnswerDataset, encodeAnswer, encodeCommandSet } from './charset.js';
import { streamAnswers, type AnswerChannel } from './find-service.js';
import type { AnswerStream } from './find.js';

/** The answers to a query, page by page; onlyStation restricts them to items scheduled for that station. */
export type WorklistFindHandler = (identifier: DicomJson, opts: { callingAeTitle: string; maxAnswers?: number; onlyStation?: string }) => AnswerStream;

/** MPPS N-CREATE / N-SET handlers: the SOP instance, its attributes, the modality's AE title. */
export interface MppsHandlers {
  create(sopInstanceUid: string, dataset: DicomJson, callingAeTitle: string): MppsResult;
  set(sopInstanceUid: string, changes: DicomJson, callingAeTitle: string): MppsResult;
}

export interface ScpServices {
  find: WorklistFindHandler;
  /** When given, Modality Performed Procedure Step is accepted too. */
  mpps?: MppsHandlers;
  /** Settings of particular calling AE titles. */
  callingAeSettings?: Readonly<Record<string, CallingAeSetting>>;
}

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

/** DIMSE statuses (PS3.7 Annex C, PS3.4 C.4.1.1.4). */
const DimseStatus = {
  sopClassNotSupported: 0x0122,
  outOfResources: 0xa700,
  identifierDoesNotMatchSopClass: 0xa900,
  unableToProcess: 0xc000,
  processingFailure: 0x0110,
  invalidAttributeValue: 0x0106,
  missingAttribute: 0x0120,
  missingAttributeValue: 0x0121,
  duplicateSopInstance: 0x0111,
  noSuchObjectInstance: 0x0112,
  invalidObjectInstance: 0x0117,
} as const;

const MPPS_STATUS: Record<MppsRefusal, number> = {
  duplicate: DimseStatus.duplicateSopInstance,
  'no-such-instance': DimseStatus.noSuchObjectInstance,
  final: DimseStatus.processingFailure, // a COMPLETED/DISCONTINUED step may not change
  'invalid-status': DimseStatus.invalidAttributeValue,
  'missing-attribute': DimseStatus.missingAttribute,
  'missing-value': DimseStatus.missingAttributeValue,
};

/** A-ABORT sources (PS3.8 9.3.8). */
const AbortSource = { serviceUser: 0, serviceProvider: 2 } as const;
/** How long a connection may take to close after the SCP ended it (release, reject, abort) before it is destroyed. */
const CLOSE_GRACE_MS = 1000;

/** Thrown when an answer cannot be encoded or sent: the association ends, the C-FIND gets no final status. */
class AnswerSendError extends Error {}

export class AssociationConnection {
  private state: UpperLayerState = 'awaiting-request';
  private readonly framer: PduFramer;
  private readonly library: LibrarySocket;
  private readonly session: WorklistScpSession;
  private readonly remote: string;
  private request: AssociateRequest | undefined;
  /** The AE titles as received, also from a request refused as malformed. */
  private aeTitles: { calledAeTitle: string; callingAeTitle: string } | undefined;
  private holdsSlot = false;
  private lastActivity = Date.now();
  private acseTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  private acceptedContexts = new Map<number, string>();
  private readonly fragments: MessageFragments;
  private closed = false;

  constructor(
    private readonly socket: Socket,
    private readonly deps: ConnectionDeps,
  ) {
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    this.framer = new PduFramer({ state: () => this.state, maxPduLength: () => deps.policy.maxPduLength });
    this.fragments = new MessageFragments(deps.policy.maxMessageBytes);
    this.library = new LibrarySocket(
      (bytes) => this.write(bytes),
      () => this.endConnection(),
    );
    this.session = new WorklistScpSession(this.library, this, deps.services, deps.logger);
    // Answers go out as many small writes; with Nagle's algorithm each waited for the peer's delayed ACK.
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.guard('receiving', () => this.receive(chunk)));
    socket.on('error', (err) => this.deps.noisy.info('dicom.connection_error', { ...this.fields(), error: err.message }));
    socket.on('close', () => this.closedSocket());
    // Bounds the whole time to a complete association request, however slowly it trickles in.
    this.acseTimer = setTimeout(() => {
      this.deps.noisy.warn('dicom.acse_timeout', { ...this.fields(), seconds: deps.policy.acseTimeoutMs / 1000, reason: this.framer.inPdu ? 'association request not complete in time' : 'no association request in time' });
      this.socket.destroy();
    }, deps.policy.acseTimeoutMs);
  }

  /** The peer's address, AE titles and state, for log lines. */
  fields(): LogFields {
    return { remote: this.remote, calling: this.aeTitles && printable(this.aeTitles.callingAeTitle), called: this.aeTitles && printable(this.aeTitles.calledAeTitle) };
  }

  get callingAeTitle(): string {
    return this.request?.callingAeTitle ?? '';
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
    this.deps.logger.error('dicom.association_failed', { ...this.fields(), while: what, error: errorMessage(err), at, effect: 'A-ABORT, connection closed; the SCP goes on' });
    this.abort(AbortSource.serviceUser, 0);
  }

  private receive(chunk: Buffer): void {
    // After a reject, release or abort the SCP waits only for the peer to close.
    if (this.state === 'closed') return;
    for (const pdu of this.framer.push(chunk)) {
      if (this.closed) return;
      this.lastActivity = Date.now();
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
      supportedSopClasses: new Set([SopClassUid.Verification, SopClassUid.ModalityWorklistFind, ...(this.deps.services.mpps ? [SopClassUid.ModalityPerformedProcedureStep] : [])]),
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
    this.deps.noisy.warn('dicom.association_rejected', { ...this.fields(), reason: why });
    this.state = 'closed';
    clearTimeout(this.acseTimer);
    this.session.sendAssociationReject(reject.result, reject.source, reject.reason);
    this.endConnection();
  }

  /** P-DATA: PDVs well formed, on accepted contexts, in message order, no message part larger than the limit. */
  private checkPData(pdu: Buffer): void {
    for (const pdv of readPresentationDataValues(pdu)) {
      if (!this.acceptedContexts.has(pdv.contextId)) throw new PduProtocolError(`presentation data value on presentation context ${pdv.contextId}, which was not accepted`, 6);
      this.fragments.take(pdv);
    }
  }

  /** Called by the session on A-RELEASE-RQ. */
  released(): void {
    this.state = 'released';
    this.session.sendAssociationReleaseResponse();
    this.endConnection();
  }

  private write(bytes: Buffer): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    this.socket.write(bytes);
    this.touch();
  }

  /** Resolves once the peer has read what was written (or the connection is gone). */
  writable(): Promise<void> {
    if (!this.socket.writableNeedDrain || this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.once('drain', done);
      this.socket.once('close', done);
    });
  }

  /** Activity on the association (a PDU received whole, or bytes sent) restarts the DIMSE timeout. */
  private touch(): void {
    this.lastActivity = Date.now();
    if (this.idleTimer || this.state !== 'associated') return;
    const check = (): void => {
      this.idleTimer = undefined;
      if (this.closed) return;
      const idle = Date.now() - this.lastActivity;
      if (idle < this.deps.policy.dimseTimeoutMs) {
        this.idleTimer = setTimeout(check, this.deps.policy.dimseTimeoutMs - idle);
        return;
      }
      this.deps.noisy.warn('dicom.dimse_timeout', { ...this.fields(), seconds: this.deps.policy.dimseTimeoutMs / 1000, reason: this.framer.inPdu ? 'a PDU begun and not finished' : 'nothing received or sent' });
      this.abort(AbortSource.serviceProvider, 0);
    };
    this.idleTimer = setTimeout(check, this.deps.policy.dimseTimeoutMs);
  }

  /** Sends A-ABORT and closes. */
  private abort(source: number, reason: number): void {
    if (this.closed) return;
    this.state = 'closed';
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(Buffer.from([PduType.Abort, 0, 0, 0, 0, 4, 0, 0, source, reason]));
    this.endConnection();
  }

  /** Ends the connection gracefully; destroys it if the peer does not close its side in time. */
  private endConnection(): void {
    if (this.socket.destroyed || this.closeTimer) return;
    this.socket.end();
    this.closeTimer = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
  }

  private closedSocket(): void {
    if (this.closed) return;
    this.closed = true;
    this.state = 'closed';
    clearTimeout(this.acseTimer);
    clearTimeout(this.idleTimer);
    clearTimeout(this.closeTimer);
    if (this.holdsSlot) {
      this.holdsSlot = false;
      this.deps.slots.give();
    }
    // The library clears its own interval timer on close.
    this.library.emit('close');
    this.deps.onClosed(this);
  }
}

/** A UID for an MPPS instance the modality left to the SCP to name. */
function generateUid(): string {
  return `2.25.${BigInt('0x' + randomUUID().replace(/-/g, '')).toString(10)}`;
}

/** Truncated for a DIMSE Error Comment (LO, 64 characters). */
function errorComment(text: string): string {
  return text.slice(0, 64);
}

/**
 * The dcmjs-dimse side of one connection: the library's callbacks, each guarded, each turned into
 * a call of the connection or a service. Responses carry the request's SOP Class UID.
 */
class WorklistScpSession extends HookedScp {
  /** C-FIND requests in progress on this association, by message ID, with their cancel flag. */
  private readonly findsInProgress = new Map<number, { cancelled: boolean }>();

  constructor(
    socket: LibrarySocket,
    private readonly connection: AssociationConnection,
    private readonly services: ScpServices,
    private readonly logger: Logger,
  ) {
    // The library's own timeouts stay off (0 is replaced by its defaults, so: a day); the connection owns them.
    super(socket as never, { associationTimeout: 86_400_000, pduTimeout: 86_400_000, connectTimeout: 86_400_000 });
    this.on('networkError', (err: unknown) => this.connection.fail('reading or sending a message (dcmjs-dimse)', err));
  }

  accept(ownMaxPduLength: number, peerMaxPduLength: number): void {
    this.acceptWithPduLimits(ownMaxPduLength, peerMaxPduLength);
  }

  protected unservedMessage(description: string): void {
    this.connection.fail('dispatching a message', new PduProtocolError(`${description}, which this SCP does not serve`, 0));
  }

  override associationRequested(association: Association): void {
    this.connection.guard('deciding the association', () => this.connection.decideAssociation(association));
  }

  override associationReleaseRequested(): void {
    this.connection.guard('releasing', () => this.connection.released());
  }

  override abort(): void {
    this.connection.destroy();
  }

  /** True when the request came on a context of its own SOP class (PS3.7 9.1.1: else refused). */
  private onOwnContext(request: DimseRequest, sopClassUid: string): boolean {
    return presentationContextOf(request)?.abstractSyntax === sopClassUid;
  }

  override cEchoRequest(request: CEchoRequest, callback: (response: InstanceType<typeof CEchoResponse>) => void): void {
    this.connection.guard('answering C-ECHO', () => {
      const response = CEchoResponse.fromRequest(request);
      const sopClass = request.getAffectedSopClassUid();
      response.setAffectedSopClassUid(sopClass);
      response.setStatus(sopClass === SopClassUid.Verification && this.onOwnContext(request, sopClass) ? Status.Success : DimseStatus.sopClassNotSupported);
      this.logger.debug('dicom.echo', this.connection.fields());
      callback(response);
    });
  }

  override cCancelRequest(request: CCancelRequest): void {
    this.connection.guard('C-CANCEL', () => {
      const id = request.getMessageIdBeingRespondedTo();
      const find = typeof id === 'number' ? this.findsInProgress.get(id) : undefined;
      if (find) find.cancelled = true;
      // A C-CANCEL for a request not in progress refers to nothing (PS3.7 9.3.2.3): it is not kept.
      else this.logger.debug('dicom.cancel_ignored', { ...this.connection.fields(), message_id: String(id), reason: 'no C-FIND with that message ID is in progress' });
    });
  }

  override cFindRequest(request: CFindRequest, callback: (responses: CFindResponseT[]) => void): void {
    this.answerFind(request, callback).catch((err: unknown) => this.connection.fail('answering C-FIND', err));
  }

  private async answerFind(request: CFindRequest, callback: (responses: CFindResponseT[]) => void): Promise<void> {
    const started = performance.now();
    const final = CFindResponse.fromRequest(request);
    const sopClass = request.getAffectedSopClassUid();
    final.setAffectedSopClassUid(sopClass);
    // Encoded when sent, after its status is set.
    useEncodedCommandSet(final, () => encodeCommandSet(final.getCommandDataset()));
    const fields = this.connection.fields();
    const refuse = (status: number, event: string, reason: string, keys?: string): void => {
      this.logger.warn(event, { ...fields, keys, status: `0x${status.toString(16).toUpperCase().padStart(4, '0')}`, reason });
      final.setStatus(status);
      final.setErrorComment(errorComment(reason));
      callback([final]);
    };
    if (sopClass !== SopClassUid.ModalityWorklistFind || !this.onOwnContext(request, sopClass)) {
      refuse(DimseStatus.sopClassNotSupported, 'dicom.find_refused', `SOP class ${printable(sopClass ?? '')} is not Modality Worklist FIND on its own presentation context`);
      return;
    }
    const messageId = request.getMessageId();
    if (this.findsInProgress.size > 0) {
      refuse(DimseStatus.outOfResources, 'dicom.find_refused', 'another C-FIND is in progress on this association (one at a time)');
      return;
    }
    const dataset = request.getDataset();
    const unreadable = !dataset ? 'the C-FIND request carries no identifier' : datasetReadProblem(dataset);
    if (unreadable || !dataset) {
      refuse(DimseStatus.identifierDoesNotMatchSopClass, 'dicom.find_unreadable', `identifier unreadable: ${unreadable ?? 'missing'}`);
      return;
    }
    let identifier: DicomJson;
    try {
      identifier = identifierFromNaturalized(dataset.getElements());
    } catch (err) {
      refuse(DimseStatus.identifierDoesNotMatchSopClass, 'dicom.find_unreadable', `identifier unreadable: ${errorMessage(err)}`);
      return;
    }
    const keys = describeQuery(identifier);
    const problem = identifierProblem(identifier);
    if (problem) {
      refuse(DimseStatus.identifierDoesNotMatchSopClass, 'dicom.find_unreadable', problem, keys);
      return;
    }
    const callingAeTitle = this.connection.callingAeTitle;
    const setting = this.services.callingAeSettings?.[callingAeTitle];
    const charset = setting?.characterSet && setting.characterSet !== 'ISO_IR 192' ? setting.characterSet : undefined;
    const transferSyntax = dataset.getTransferSyntaxUid();
    const replaced = new Set<string>();
    const progress = { cancelled: false };
    this.findsInProgress.set(messageId, progress);
    let pendingCommand: Buffer | undefined;
    let sent = 0;
    try {
      const stream = this.services.find(identifier, {
        callingAeTitle,
        maxAnswers: setting?.maxAnswers,
        onlyStation: setting?.onlyOwnStation ? callingAeTitle : undefined,
      });
      const connection = this.connection;
      const channel: AnswerChannel = {
        get open() {
          return connection.open;
        },
        get cancelled() {
          return progress.cancelled;
        },
        sendAnswer: (answer) => {
          try {
            const response = CFindResponse.fromRequest(request);
            response.setAffectedSopClassUid(sopClass);
            if (charset) {
              const encoded = encodeAnswer(answer, charset);
              encoded.replaced.forEach((tag) => replaced.add(tag));
              response.setDataset(new AnswerDataset(encoded.answer, transferSyntax, true));
            } else response.setDataset(new AnswerDataset(answer, transferSyntax));
            response.setStatus(Status.Pending);
            // Every pending response of a C-FIND has the same command set: encoded once.
            pendingCommand ??= encodeCommandSet(response.getCommandDataset());
            const command = pendingCommand;
            useEncodedCommandSet(response, () => command);
            this.sendOnRequestContext(request, response);
            sent++;
          } catch (err) {
            throw new AnswerSendError(`answer ${sent + 1} could not be encoded or sent: ${errorMessage(err)}`);
          }
        },
        writable: () => connection.writable(),
      };
      const result = await streamAnswers(stream, channel);
      if (replaced.size) {
        this.logger.warn('dicom.charset_replaced', { ...fields, charset, attributes: [...replaced].map(describeTag).join(', '), reason: `characters ${charset} cannot represent were sent as "?"` });
      }
      if (result.outcome === 'gone') {
        this.logger.info('dicom.find_abandoned', { ...fields, keys, answers_sent: result.sent, reason: 'the association ended before the last answer; no more answers were built' });
        return;
      }
      if (result.outcome === 'cancelled') {
        final.setStatus(Status.Cancel);
        this.logger.info('dicom.find_cancelled', { ...fields, keys, answers_sent: result.sent });
      } else {
        if (stream.truncated) {
          this.logger.warn('dicom.find_truncated', { ...fields, keys, answers: result.sent, hint: 'more items matched than the answer limit; the modality should narrow its query' });
        }
        final.setStatus(Status.Success);
        this.logger.info('dicom.find', { ...fields, keys, answers: result.sent, ms: Math.round(performance.now() - started) });
      }
    } catch (err) {
      // An answer that cannot be sent leaves the association in an unknown state: it ends.
      if (err instanceof AnswerSendError) throw err;
      const message = errorMessage(err);
      this.logger.error('dicom.find_failed', { ...fields, keys, answers_sent: sent, error: message });
      final.setStatus(DimseStatus.unableToProcess);
      final.setErrorComment(errorComment(message));
    } finally {
      this.findsInProgress.delete(messageId);
    }
    callback([final]);
  }

  override nCreateRequest(request: NCreateRequest, callback: (response: InstanceType<typeof NCreateResponse>) => void): void {
    this.connection.guard('answering N-CREATE', () => {
      const response = NCreateResponse.fromRequest(request);
      const uid = request.getAffectedSopInstanceUid() || generateUid();
      response.setAffectedSopInstanceUid(uid);
      callback(this.runMpps('create', uid, request, response));
    });
  }

  override nSetRequest(request: NSetRequest, callback: (response: InstanceType<typeof NSetResponse>) => void): void {
    this.connection.guard('answering N-SET', () => {
      const response = NSetResponse.fromRequest(request);
      callback(this.runMpps('set', request.getRequestedSopInstanceUid(), request, response));
    });
  }

  /** Runs an MPPS handler and turns its outcome (or any exception) into the response status. */
  private runMpps<R extends InstanceType<typeof NCreateResponse> | InstanceType<typeof NSetResponse>>(op: 'create' | 'set', uid: string, request: NCreateRequest | NSetRequest, response: R): R {
    const fields = { ...this.connection.fields(), sop_instance: printable(uid ?? '') };
    const refuse = (status: number, reason: string): R => {
      response.setStatus(status);
      response.setErrorComment(errorComment(reason));
      this.logger.warn(`dicom.mpps_${op}_refused`, { ...fields, status: `0x${status.toString(16).padStart(4, '0')}`, reason });
      return response;
    };
    const sopClass = op === 'create' ? (request as NCreateRequest).getAffectedSopClassUid() : (request as NSetRequest).getRequestedSopClassUid();
    if (!this.services.mpps || sopClass !== SopClassUid.ModalityPerformedProcedureStep || !this.onOwnContext(request, SopClassUid.ModalityPerformedProcedureStep)) {
      return refuse(DimseStatus.sopClassNotSupported, `SOP class ${printable(sopClass ?? '')} is not Modality Performed Procedure Step on its own presentation context`);
    }
    if (!uid) return refuse(DimseStatus.missingAttribute, 'N-SET names no Requested SOP Instance UID');
    if (typeof uid !== 'string' || !/^[0-9]+(\.[0-9]+)*$/.test(uid) || uid.length > 64) return refuse(DimseStatus.invalidObjectInstance, `SOP Instance UID "${printable(uid)}" is not a UID`);
    const dataset = request.getDataset();
    if (!dataset) return refuse(DimseStatus.missingAttribute, `N-${op.toUpperCase()} carries no data set`);
    const unreadable = datasetReadProblem(dataset);
    if (unreadable) return refuse(DimseStatus.processingFailure, `data set unreadable: ${unreadable}`);
    let attributes: DicomJson;
    try {
      attributes = identifierFromNaturalized(dataset.getElements());
    } catch (err) {
      return refuse(DimseStatus.processingFailure, `data set unreadable: ${errorMessage(err)}`);
    }
    try {
      const result = this.services.mpps[op](uid, attributes, this.connection.callingAeTitle);
      if (!result.ok) return refuse(MPPS_STATUS[result.reason], result.message);
      response.setStatus(Status.Success);
      this.logger.info(`dicom.mpps_${op}`, {
        ...fields,
        status: result.status,
        items: result.itemIds.join(',') || 'none (unscheduled)',
        closed_items_kept: result.closedItemIds.length ? result.closedItemIds.join(',') : undefined,
      });
    } catch (err) {
      response.setStatus(DimseStatus.processingFailure);
      response.setErrorComment(errorComment(errorMessage(err)));
      this.logger.error(`dicom.mpps_${op}_failed`, { ...fields, error: errorMessage(err) });
    }
    return response;
  }
}
