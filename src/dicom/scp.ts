/**
 * The DICOM SCP (dcmjs-dimse): Verification (C-ECHO) and Modality Worklist Information Model FIND
 * in Implicit and Explicit VR Little Endian. The handler is one narrow function (identifier in,
 * answers out); anything it throws becomes a failure status for that request, never a dead server.
 */
import type { AddressInfo, Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import dimse from 'dcmjs-dimse';
import type { Logger } from '../log.js';
import type { DicomJson } from '../worklist/item.js';
import { identifierFromNaturalized } from './dataset.js';
import { describeQuery } from './describe.js';
import { describeTag } from '../worklist/dictionary.js';
import type { MppsResult } from '../worklist/mpps.js';
import type { CallingAeSetting } from '../config/schema.js';
import { AnswerDataset, encodeAnswer, encodeCommandSet } from './charset.js';
import type { AnswerStream } from './find.js';

const { Server, Scp, Implementation } = dimse;
const { CFindResponse, CEchoResponse, NCreateResponse, NSetResponse } = dimse.responses;
const { Status, PresentationContextResult, TransferSyntax, SopClass, RejectResult, RejectSource, RejectReason } = dimse.constants;

type Association = Parameters<InstanceType<typeof Scp>['associationRequested']>[0];
type CFindRequest = Parameters<InstanceType<typeof Scp>['cFindRequest']>[0];
type CFindResponseT = InstanceType<typeof CFindResponse>;
type NCreateRequestT = Parameters<InstanceType<typeof Scp>['nCreateRequest']>[0];
type NSetRequestT = Parameters<InstanceType<typeof Scp>['nSetRequest']>[0];

/** Failure status for C-FIND "unable to process" (PS3.4 C.4.1.1.4: Cxxx). */
const STATUS_UNABLE_TO_PROCESS = 0xc000;

/** The answers to a query, page by page; onlyStation restricts them to items scheduled for that station. */
export type WorklistFindHandler = (
  identifier: DicomJson,
  opts: { callingAeTitle: string; maxAnswers?: number; onlyStation?: string },
) => AnswerStream;

/** Answers sent per event-loop turn: between pages a C-CANCEL can arrive and stop the rest. */
const ANSWER_BATCH = 64;

/** Who may associate, and how long they may take. */
export interface AssociationPolicy {
  /** Reject a called AE title other than the SCP's own. */
  checkCalledAeTitle: boolean;
  /** Calling AE titles allowed; empty allows any. */
  allowedCallingAeTitles: readonly string[];
  maxAssociations: number;
  maxPduLength: number;
  acseTimeoutMs: number;
  dimseTimeoutMs: number;
}

/** MPPS N-CREATE / N-SET handlers: the SOP instance, its attributes, the modality's AE title. */
export interface MppsHandlers {
  create(sopInstanceUid: string, dataset: DicomJson, callingAeTitle: string): MppsResult;
  set(sopInstanceUid: string, changes: DicomJson, callingAeTitle: string): MppsResult;
}

export interface WorklistScpOptions {
  port: number;
  aeTitle: string;
  logger: Logger;
  find: WorklistFindHandler;
  policy: AssociationPolicy;
  /** When given, Modality Performed Procedure Step is accepted too. */
  mpps?: MppsHandlers;
  /** Settings of particular calling AE titles. */
  callingAeSettings?: Readonly<Record<string, CallingAeSetting>>;
}

/** DIMSE statuses for N-CREATE / N-SET refusals (PS3.7 C). */
const MPPS_STATUS: Record<Exclude<MppsResult, { ok: true }>['reason'], number> = {
  duplicate: 0x0111, // Duplicate SOP Instance
  'no-such-instance': 0x0112, // No Such Object Instance
  final: 0x0110, // Processing Failure: a COMPLETED/DISCONTINUED step may not change
  'invalid-status': 0x0106, // Invalid Attribute Value
};

const ACCEPTED_TRANSFER_SYNTAXES = [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian];

export class WorklistScp {
  private server: InstanceType<typeof Server> | undefined;

  constructor(private readonly opts: WorklistScpOptions) {}

  /** Starts listening; resolves with the bound port. */
  async start(): Promise<number> {
    const { logger } = this.opts;
    dimse.log.setLevel('silent');
    // The PDU size the SCP announces is a process-wide setting in dcmjs-dimse.
    Implementation.setMaxPduLength(this.opts.policy.maxPduLength);
    const server = new Server(createScpClass(this.opts));
    this.server = server;
    const net = (): { address(): AddressInfo | string | null; once(e: string, f: (...a: unknown[]) => void): void } =>
      (server as unknown as { server: { address(): AddressInfo | string | null; once(e: string, f: (...a: unknown[]) => void): void } }).server;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: unknown): void => reject(err instanceof Error ? err : new Error(String(err)));
      server.once('listening', () => resolve());
      server.once('networkError', onError);
      server.listen(this.opts.port, {
        associationTimeout: this.opts.policy.acseTimeoutMs,
        pduTimeout: this.opts.policy.dimseTimeoutMs,
        // the socket idle timeout: an association silent for longer than the DIMSE timeout is closed
        connectTimeout: this.opts.policy.dimseTimeoutMs,
      });
    });
    server.on('networkError', (err: unknown) => logger.warn('dicom.network_error', { error: (err as Error)?.message ?? String(err) }));
    const address = net().address();
    return address && typeof address === 'object' ? address.port : this.opts.port;
  }

  stop(): void {
    this.server?.close();
  }
}

/** Resolves when the socket's write buffer has drained, or it closed. */
function drained(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.once('drain', done);
    socket.once('close', done);
  });
}

/** A UID for an MPPS instance the modality left to the SCP to name. */
function generateUid(): string {
  return `2.25.${BigInt('0x' + randomUUID().replace(/-/g, '')).toString(10)}`;
}

function createScpClass(opts: WorklistScpOptions): typeof Scp {
  const { logger, find, policy, mpps } = opts;
  const supportedSopClasses = new Set([SopClass.Verification, SopClass.ModalityWorklistInformationModelFind, ...(mpps ? [SopClass.ModalityPerformedProcedureStep] : [])]);
  let open = 0;
  return class WorklistScpConnection extends Scp {
    private callingAeTitle = '';
    private readonly peerSocket: Socket;
    private associated = false;

    constructor(socket: Socket, options?: ConstructorParameters<typeof Scp>[1]) {
      super(socket, options);
      this.peerSocket = socket;
      // Answers go out as many small writes; with Nagle's algorithm each waited for the peer's
      // delayed ACK (measured: 91 ms per one-answer query, 5 s for 1,000 answers; without: see bench).
      socket.setNoDelay(true);
      // dcmjs-dimse 0.3.3 starts its association timeout on the socket's "connect" event, which an
      // accepted socket never emits: without this, a peer that never sends A-ASSOCIATE-RQ (or sends
      // garbage announcing a huge PDU) holds its connection until the idle timeout.
      const timer = setTimeout(() => {
        if (this.associated) return;
        logger.warn('dicom.acse_timeout', { remote: `${socket.remoteAddress}:${socket.remotePort}`, seconds: policy.acseTimeoutMs / 1000, reason: 'no association request in time' });
        socket.destroy();
      }, policy.acseTimeoutMs);
      socket.once('close', () => clearTimeout(timer));
    }

    /** Why an association must be refused, or undefined to accept it. */
    private refusal(called: string, calling: string): { reason: number; result: number; source: number; why: string } | undefined {
      if (policy.checkCalledAeTitle && called.trim() !== opts.aeTitle.trim()) {
        return { result: RejectResult.Permanent, source: RejectSource.ServiceUser, reason: RejectReason.CalledAeNotRecognized, why: `called AE title "${called}" is not "${opts.aeTitle}" (dicom.aeTitle)` };
      }
      if (policy.allowedCallingAeTitles.length > 0 && !policy.allowedCallingAeTitles.includes(calling.trim())) {
        return { result: RejectResult.Permanent, source: RejectSource.ServiceUser, reason: RejectReason.CallingAeNotRecognized, why: `calling AE title "${calling}" is not in dicom.allowedCallingAeTitles` };
      }
      if (open >= policy.maxAssociations) {
        return { result: RejectResult.Transient, source: RejectSource.ServiceProviderPresentation, reason: RejectReason.LocalLimitExceeded, why: `${open} associations already open (dicom.maxAssociations)` };
      }
      return undefined;
    }

    override associationRequested(association: Association): void {
      this.associated = true;
      this.callingAeTitle = association.getCallingAeTitle();
      const called = association.getCalledAeTitle();
      const refusal = this.refusal(called, this.callingAeTitle);
      if (refusal) {
        logger.warn('dicom.association_rejected', { calling: this.callingAeTitle, called, reason: refusal.why });
        this.sendAssociationReject(refusal.result, refusal.source, refusal.reason);
        return;
      }
      open++;
      this.once('close', () => open--);
      const accepted: string[] = [];
      for (const { id } of association.getPresentationContexts()) {
        const context = association.getPresentationContext(id);
        const sopClass = context.getAbstractSyntaxUid();
        if (!supportedSopClasses.has(sopClass)) {
          context.setResult(PresentationContextResult.RejectAbstractSyntaxNotSupported);
          continue;
        }
        const syntax = ACCEPTED_TRANSFER_SYNTAXES.find((ts) => context.getTransferSyntaxUids().includes(ts));
        if (syntax) {
          context.setResult(PresentationContextResult.Accept, syntax);
          accepted.push(sopClass);
        } else context.setResult(PresentationContextResult.RejectTransferSyntaxesNotSupported);
      }
      logger.debug('dicom.association', { calling: this.callingAeTitle, called, accepted: accepted.length });
      this.sendAssociationAccept();
    }

    override associationReleaseRequested(): void {
      this.sendAssociationReleaseResponse();
    }

    override cEchoRequest(request: Parameters<InstanceType<typeof Scp>['cEchoRequest']>[0], callback: (r: InstanceType<typeof CEchoResponse>) => void): void {
      const response = CEchoResponse.fromRequest(request);
      response.setStatus(Status.Success);
      logger.debug('dicom.echo', { calling: this.callingAeTitle });
      callback(response);
    }

    override nCreateRequest(request: NCreateRequestT, callback: (response: InstanceType<typeof NCreateResponse>) => void): void {
      const response = NCreateResponse.fromRequest(request);
      const uid = request.getAffectedSopInstanceUid() || generateUid();
      response.setAffectedSopInstanceUid(uid);
      callback(this.runMpps('create', uid, request, response));
    }

    override nSetRequest(request: NSetRequestT, callback: (response: InstanceType<typeof NSetResponse>) => void): void {
      const response = NSetResponse.fromRequest(request);
      callback(this.runMpps('set', request.getRequestedSopInstanceUid(), request, response));
    }

    /** Runs an MPPS handler and turns its outcome (or any exception) into the response status. */
    private runMpps<R extends InstanceType<typeof NCreateResponse> | InstanceType<typeof NSetResponse>>(
      op: 'create' | 'set',
      uid: string,
      request: NCreateRequestT | NSetRequestT,
      response: R,
    ): R {
      try {
        if (!mpps) throw new Error('MPPS is not served');
        const dataset = request.getDataset();
        const attributes = dataset ? identifierFromNaturalized(dataset.getElements()) : {};
        const result = mpps[op](uid, attributes, this.callingAeTitle);
        if (result.ok) {
          response.setStatus(Status.Success);
          logger.info(`dicom.mpps_${op}`, { calling: this.callingAeTitle, sop_instance: uid, status: result.status, items: result.itemIds.join(',') || 'none (unscheduled)' });
        } else {
          response.setStatus(MPPS_STATUS[result.reason]);
          response.setErrorComment(result.message.slice(0, 64));
          logger.warn(`dicom.mpps_${op}_refused`, { calling: this.callingAeTitle, sop_instance: uid, reason: result.message });
        }
      } catch (err) {
        response.setStatus(0x0110);
        response.setErrorComment((err as Error).message.slice(0, 64));
        logger.error(`dicom.mpps_${op}_failed`, { calling: this.callingAeTitle, sop_instance: uid, error: (err as Error).message });
      }
      return response;
    }

    private readonly cancelled = new Set<number>();

    override cCancelRequest(request: Parameters<InstanceType<typeof Scp>['cCancelRequest']>[0]): void {
      this.cancelled.add(request.getMessageIdBeingRespondedTo());
    }

    override cFindRequest(request: CFindRequest, callback: (responses: CFindResponseT[]) => void): void {
      void this.answerFind(request, callback);
    }

    /**
     * Streams the answers: dcmjs-dimse takes all responses of a C-FIND in one callback (a second call
     * throws "Callback was already called"), so pending responses are handed to its sender directly,
     * a page at a time, with the event loop free in between for a C-CANCEL to arrive; the callback
     * gets the final status only.
     */
    private async answerFind(request: CFindRequest, callback: (responses: CFindResponseT[]) => void): Promise<void> {
      const started = performance.now();
      const finalResponse = CFindResponse.fromRequest(request);
      // Encoded when sent, after its status is set.
      const finalCommand = finalResponse.getCommandDataset();
      finalCommand.getDenaturalizedCommandDataset = () => encodeCommandSet(finalCommand);
      const messageId = request.getMessageId();
      let keys = '';
      let sent = 0;
      try {
        const dataset = request.getDataset();
        if (!dataset) throw new Error('the C-FIND request carries no identifier');
        if (request.getAffectedSopClassUid() !== SopClass.ModalityWorklistInformationModelFind) {
          throw new Error(`SOP class ${request.getAffectedSopClassUid()} is not Modality Worklist FIND`);
        }
        const identifier = identifierFromNaturalized(dataset.getElements());
        keys = describeQuery(identifier);
        const setting = opts.callingAeSettings?.[this.callingAeTitle.trim()];
        const stream = find(identifier, {
          callingAeTitle: this.callingAeTitle,
          maxAnswers: setting?.maxAnswers,
          onlyStation: setting?.onlyOwnStation ? this.callingAeTitle.trim() : undefined,
        });
        const transferSyntax = dataset.getTransferSyntaxUid();
        const send = this.pendingSender(transferSyntax);
        const charset = setting?.characterSet && setting.characterSet !== 'ISO_IR 192' ? setting.characterSet : undefined;
        const replaced = new Set<string>();
        let pendingCommand: Buffer | undefined;
        for (let batch = stream.next(ANSWER_BATCH); batch.length > 0; batch = stream.next(ANSWER_BATCH)) {
          for (const answer of batch) {
            const response = CFindResponse.fromRequest(request);
            if (charset) {
              const encoded = encodeAnswer(answer, charset);
              encoded.replaced.forEach((tag) => replaced.add(tag));
              response.setDataset(new AnswerDataset(encoded.answer, transferSyntax, true));
            } else response.setDataset(new AnswerDataset(answer, transferSyntax));
            response.setStatus(Status.Pending);
            // Every pending response of a C-FIND has the same command set: encode it once (dcmjs-dimse
            // re-encodes it per response, a third of the time of a large answer).
            const command = response.getCommandDataset();
            pendingCommand ??= encodeCommandSet(command);
            const encodedCommand = pendingCommand;
            command.getDenaturalizedCommandDataset = () => encodedCommand;
            send(response);
            sent++;
          }
          // Let the socket drain and a C-CANCEL arrive before the next page.
          await new Promise((resolve) => setImmediate(resolve));
          // Backpressure: a slow reader must not make the answers pile up in memory.
          if (this.peerSocket.writableNeedDrain) await drained(this.peerSocket);
          if (this.cancelled.delete(messageId)) {
            finalResponse.setStatus(Status.Cancel);
            logger.info('dicom.find_cancelled', { calling: this.callingAeTitle, keys, answers_sent: sent });
            callback([finalResponse]);
            return;
          }
        }
        if (replaced.size) {
          logger.warn('dicom.charset_replaced', { calling: this.callingAeTitle, charset, attributes: [...replaced].map(describeTag).join(', '), reason: `characters ${charset} cannot represent were sent as "?"` });
        }
        if (stream.truncated) {
          logger.warn('dicom.find_truncated', { calling: this.callingAeTitle, keys, answers: sent, hint: 'more items matched than the answer limit; the modality should narrow its query' });
        }
        finalResponse.setStatus(Status.Success);
        logger.info('dicom.find', { calling: this.callingAeTitle, keys, answers: sent, ms: Math.round(performance.now() - started) });
      } catch (err) {
        const message = (err as Error).message;
        logger.error('dicom.find_failed', { calling: this.callingAeTitle, keys, answers_sent: sent, error: message });
        finalResponse.setStatus(STATUS_UNABLE_TO_PROCESS);
        finalResponse.setErrorComment(message.slice(0, 64));
      }
      callback([finalResponse]);
    }

    /**
     * Sends one pending response on the presentation context of the request (the accepted MWL FIND
     * context with the request's transfer syntax), through dcmjs-dimse's own DIMSE sender.
     *
     * Each response also counts as activity for dcmjs-dimse's PDU timeout (dicom.dimseTimeoutSeconds),
     * which 0.3.3 measures from the last PDU received only: a modality waiting for a long answer
     * sends nothing, and the association was aborted mid-answer (seen: a universal query over
     * 100,000 items cut off after 85,440 answers, "Exceeded PDU timeout (60000)").
     */
    private pendingSender(transferSyntax: string): (response: CFindResponseT) => void {
      const self = this as unknown as {
        association: Association;
        lastPduTime: number | undefined;
        _sendDimse(message: { context: { getPresentationContextId(): number }; command: CFindResponseT }): void;
      };
      const context = self.association
        .getPresentationContexts()
        .map(({ id }) => self.association.getPresentationContext(id))
        .find((c) => c.getAbstractSyntaxUid() === SopClass.ModalityWorklistInformationModelFind && c.getAcceptedTransferSyntaxUid() === transferSyntax);
      if (!context || typeof self._sendDimse !== 'function') throw new Error('no accepted presentation context for Modality Worklist FIND');
      return (response) => {
        self.lastPduTime = Date.now();
        self._sendDimse({ context, command: response });
      };
    }
  };
}
