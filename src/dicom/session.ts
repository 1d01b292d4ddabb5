/**
 * The dcmjs-dimse side of one connection: each of the library's callbacks runs guarded and is
 * handed to the connection (association, release) or to a service (C-ECHO here, C-FIND and MPPS in
 * their modules). Responses carry the request's Affected SOP Class UID.
 */
import type { Logger, LogFields } from '../log.js';
import { randomUUID } from 'node:crypto';
import { SopClassUid } from './association-policy.js';
import {
  CEchoResponse,
  HookedScp,
  NCreateResponse,
  NSetResponse,
  Status,
  presentationContextOf,
  type Association,
  type CCancelRequest,
  type CEchoRequest,
  type CFindRequest,
  type CFindResponseT,
  type DimseRequest,
  type DimseResponse,
  type LibrarySocket,
  type NCreateRequest,
  type NSetRequest,
} from './dimse-shim.js';
import { DimseStatus } from './dimse-status.js';
import { answerWorklistFind } from './find-service.js';
import { FindsInProgress } from './find-stream.js';
import { answerMpps } from './mpps-service.js';
import { PduProtocolError } from './pdu.js';
import type { RequestScope, ScpServices } from './services.js';

/** What the session needs of its connection. */
export interface SessionHost {
  readonly callingAeTitle: string;
  readonly calledAeTitle: string;
  readonly remote: string;
  readonly open: boolean;
  fields(): LogFields;
  writable(): Promise<void>;
  guard(what: string, fn: () => void): void;
  fail(what: string, err: unknown): void;
  decideAssociation(association: Association): void;
  released(): void;
  destroy(): void;
}

/** A UID for an MPPS instance the modality left to the SCP to name. */
function generateUid(): string {
  return `2.25.${BigInt('0x' + randomUUID().replace(/-/g, '')).toString(10)}`;
}

export class WorklistScpSession extends HookedScp {
  private readonly finds = new FindsInProgress();
  private readonly scope: RequestScope;

  constructor(
    socket: LibrarySocket,
    private readonly host: SessionHost,
    private readonly services: ScpServices,
    private readonly logger: Logger,
  ) {
    // The library's own timeouts stay off (0 is replaced by its defaults, so: a day); the connection owns them.
    super(socket as never, { associationTimeout: 86_400_000, pduTimeout: 86_400_000, connectTimeout: 86_400_000 });
    this.on('networkError', (err: unknown) => {
      this.host.fail('reading or sending a message (dcmjs-dimse)', err);
    });
    this.scope = {
      get callingAeTitle() {
        return host.callingAeTitle;
      },
      get calledAeTitle() {
        return host.calledAeTitle;
      },
      remote: host.remote,
      get open() {
        return host.open;
      },
      logger,
      fields: () => host.fields(),
      writable: () => host.writable(),
      send: (request: DimseRequest, response: DimseResponse) => {
        this.sendOnRequestContext(request, response);
      },
      framing: (request: DimseRequest) => this.framing(request),
      writeBytes: (bytes: Buffer) => {
        socket.write(bytes);
      },
      onOwnContext: (request: DimseRequest, sopClassUid: string) => presentationContextOf(request)?.abstractSyntax === sopClassUid,
    };
  }

  accept(ownMaxPduLength: number, peerMaxPduLength: number): void {
    this.acceptWithPduLimits(ownMaxPduLength, peerMaxPduLength);
  }

  protected unservedMessage(description: string): void {
    this.host.fail('dispatching a message', new PduProtocolError(`${description}, which this SCP does not serve`, 0));
  }

  override associationRequested(association: Association): void {
    this.host.guard('deciding the association', () => {
      this.host.decideAssociation(association);
    });
  }

  override associationReleaseRequested(): void {
    this.host.guard('releasing', () => {
      this.host.released();
    });
  }

  override abort(): void {
    this.host.destroy();
  }

  override cEchoRequest(request: CEchoRequest, callback: (response: InstanceType<typeof CEchoResponse>) => void): void {
    this.host.guard('answering C-ECHO', () => {
      const response = CEchoResponse.fromRequest(request);
      const sopClass = request.getAffectedSopClassUid();
      response.setAffectedSopClassUid(sopClass);
      response.setStatus(
        sopClass === SopClassUid.Verification && this.scope.onOwnContext(request, sopClass) ? Status.Success : DimseStatus.sopClassNotSupported,
      );
      this.logger.debug('dicom.echo', this.host.fields());
      callback(response);
    });
  }

  override cCancelRequest(request: CCancelRequest): void {
    this.host.guard('C-CANCEL', () => {
      const id = request.getMessageIdBeingRespondedTo();
      if (!this.finds.cancel(id)) {
        this.logger.debug('dicom.cancel_ignored', { ...this.host.fields(), message_id: String(id), reason: 'no C-FIND with that message ID is in progress' });
      }
    });
  }

  override cFindRequest(request: CFindRequest, callback: (responses: CFindResponseT[]) => void): void {
    answerWorklistFind(request, callback, this.scope, this.services, this.finds).catch((err: unknown) => {
      this.host.fail('answering C-FIND', err);
    });
  }

  override nCreateRequest(request: NCreateRequest, callback: (response: InstanceType<typeof NCreateResponse>) => void): void {
    this.host.guard('answering N-CREATE', () => {
      const response = NCreateResponse.fromRequest(request);
      const uid = request.getAffectedSopInstanceUid() || generateUid();
      response.setAffectedSopInstanceUid(uid);
      callback(answerMpps('create', uid, request, response, this.scope, this.services.mpps));
    });
  }

  override nSetRequest(request: NSetRequest, callback: (response: InstanceType<typeof NSetResponse>) => void): void {
    this.host.guard('answering N-SET', () => {
      const response = NSetResponse.fromRequest(request);
      callback(answerMpps('set', request.getRequestedSopInstanceUid(), request, response, this.scope, this.services.mpps));
    });
  }
}
