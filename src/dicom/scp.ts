/**
 * The DICOM SCP (dcmjs-dimse): Verification (C-ECHO) and Modality Worklist Information Model FIND
 * in Implicit and Explicit VR Little Endian. The handler is one narrow function (identifier in,
 * answers out); anything it throws becomes a failure status for that request, never a dead server.
 */
import type { AddressInfo, Socket } from 'node:net';
import dimse from 'dcmjs-dimse';
import type { Logger } from '../log.js';
import type { DicomJson } from '../worklist/item.js';
import { identifierFromNaturalized, naturalizeAnswer } from './dataset.js';
import { describeQuery } from './describe.js';

const { Server, Scp, Dataset, Implementation } = dimse;
const { CFindResponse, CEchoResponse } = dimse.responses;
const { Status, PresentationContextResult, TransferSyntax, SopClass, RejectResult, RejectSource, RejectReason } = dimse.constants;

type Association = Parameters<InstanceType<typeof Scp>['associationRequested']>[0];
type CFindRequest = Parameters<InstanceType<typeof Scp>['cFindRequest']>[0];
type CFindResponseT = InstanceType<typeof CFindResponse>;

/** Failure status for C-FIND "unable to process" (PS3.4 C.4.1.1.4: Cxxx). */
const STATUS_UNABLE_TO_PROCESS = 0xc000;

export type WorklistFindHandler = (identifier: DicomJson, callingAeTitle: string) => { answers: DicomJson[]; truncated: boolean };

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

export interface WorklistScpOptions {
  port: number;
  aeTitle: string;
  logger: Logger;
  find: WorklistFindHandler;
  policy: AssociationPolicy;
}

const ACCEPTED_TRANSFER_SYNTAXES = [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian];
const SUPPORTED_SOP_CLASSES = new Set([SopClass.Verification, SopClass.ModalityWorklistInformationModelFind]);

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

function createScpClass(opts: WorklistScpOptions): typeof Scp {
  const { logger, find, policy } = opts;
  let open = 0;
  return class WorklistScpConnection extends Scp {
    private callingAeTitle = '';
    private associated = false;

    constructor(socket: Socket, options?: ConstructorParameters<typeof Scp>[1]) {
      super(socket, options);
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
        if (!SUPPORTED_SOP_CLASSES.has(sopClass)) {
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

    override cFindRequest(request: CFindRequest, callback: (responses: CFindResponseT[]) => void): void {
      const started = performance.now();
      const finalResponse = CFindResponse.fromRequest(request);
      try {
        const dataset = request.getDataset();
        if (!dataset) throw new Error('the C-FIND request carries no identifier');
        if (request.getAffectedSopClassUid() !== SopClass.ModalityWorklistInformationModelFind) {
          throw new Error(`SOP class ${request.getAffectedSopClassUid()} is not Modality Worklist FIND`);
        }
        const identifier = identifierFromNaturalized(dataset.getElements());
        const { answers, truncated } = find(identifier, this.callingAeTitle);
        if (truncated) {
          logger.warn('dicom.find_truncated', { calling: this.callingAeTitle, keys: describeQuery(identifier), answers: answers.length, hint: 'more items matched than dicom.maxAnswers; the modality should narrow its query' });
        }
        const transferSyntax = dataset.getTransferSyntaxUid();
        const responses = answers.map((answer) => {
          const response = CFindResponse.fromRequest(request);
          response.setDataset(new Dataset(naturalizeAnswer(answer), transferSyntax));
          response.setStatus(Status.Pending);
          return response;
        });
        finalResponse.setStatus(Status.Success);
        logger.info('dicom.find', {
          calling: this.callingAeTitle,
          keys: describeQuery(identifier),
          answers: answers.length,
          ms: Math.round(performance.now() - started),
        });
        callback([...responses, finalResponse]);
      } catch (err) {
        const message = (err as Error).message;
        logger.error('dicom.find_failed', { calling: this.callingAeTitle, error: message });
        finalResponse.setStatus(STATUS_UNABLE_TO_PROCESS);
        finalResponse.setErrorComment(message.slice(0, 64));
        callback([finalResponse]);
      }
    }
  };
}
