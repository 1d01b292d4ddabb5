/**
 * The one place that relies on dcmjs-dimse 0.3.3 beyond its typed API. Each use is named here, and
 * test/unit/dimse-shim.test.ts fails if the library changes under it:
 *
 * - `Network` reads and writes through the socket object it is given (on/once for 'data', 'close',
 *   'error', 'timeout', 'connect'; write, end, destroy, setTimeout). The SCP gives it a
 *   LibrarySocket: bytes reach the library only as whole PDUs checked by the PDU gate, and every
 *   write goes through the adapter (which counts it as activity and can refuse it).
 * - `_sendDimse({ context, command })` sends a response on a given presentation context: pending
 *   C-FIND responses are streamed through it (the public callback takes all responses at once).
 * - `_performDimse(presentationContext, dimse)` dispatches a received message: hooked to remember
 *   the request's presentation context and to catch messages no handler takes. After a message
 *   without a data set, 0.3.3 keeps its command stream (`dimseStream`), so the next command set
 *   was appended to it (seen: C-CANCEL then C-FIND on one association gave one command set with
 *   every element twice); the hook starts the next message on a fresh stream.
 * - `Dataset.prototype._fromElementsBuffer(buffer, transferSyntaxUid, readOptions)` reads every
 *   received data set: wrapped to check its structure first and keep the problem with the data set,
 *   and to read plain command sets itself (command-set-reader.ts), returning what dcmjs would, and
 *   the usual identifiers into DICOM JSON (identifier-reader.ts, plainIdentifierOf), leaving
 *   `dataset.elements` to be read by dcmjs when first asked for (the constructor assigns it).
 * - `association.setMaxPduLength` is both what the answer announces and what the library splits
 *   its P-DATA by: the answer announces the SCP's limit, then the peer's own limit is set back.
 * - A request's command element getters return undefined for an element the peer left out (typed
 *   string): the SOP class UIDs are read through affectedSopClassOf / requestedSopClassOf.
 */
import { EventEmitter } from 'node:events';
import dimse from 'dcmjs-dimse';
import { encodedDatasetProblem } from './encoded-dataset.js';
import { readPlainCommandSet } from './command-set-reader.js';
import { readPlainIdentifier } from './identifier-reader.js';
import type { DicomJson } from '../model/item.js';
import { TransferSyntaxUid } from './association-policy.js';
import { lookupTag } from '../model/dictionary.js';

export const { Scp, Dataset, Implementation } = dimse;
export const { CFindResponse, CEchoResponse, NCreateResponse, NSetResponse } = dimse.responses;
export const { Status } = dimse.constants;

export type ScpInstance = InstanceType<typeof Scp>;
export type Association = Parameters<ScpInstance['associationRequested']>[0];
export type CFindRequest = Parameters<ScpInstance['cFindRequest']>[0];
export type CEchoRequest = Parameters<ScpInstance['cEchoRequest']>[0];
export type CCancelRequest = Parameters<ScpInstance['cCancelRequest']>[0];
export type NCreateRequest = Parameters<ScpInstance['nCreateRequest']>[0];
export type NSetRequest = Parameters<ScpInstance['nSetRequest']>[0];
export type CFindResponseT = InstanceType<typeof CFindResponse>;
export type DimseRequest = CFindRequest | CEchoRequest | NCreateRequest | NSetRequest | CCancelRequest;
export type DimseResponse = CFindResponseT | InstanceType<typeof CEchoResponse> | InstanceType<typeof NCreateResponse> | InstanceType<typeof NSetResponse>;
type DatasetT = InstanceType<typeof Dataset>;

interface PresentationContextT {
  getPresentationContextId(): number;
  getAbstractSyntaxUid(): string;
  getAcceptedTransferSyntaxUid(): string;
}

/** What 0.3.3's Network uses of its socket. */
export class LibrarySocket extends EventEmitter {
  constructor(
    private readonly send: (bytes: Buffer) => void,
    private readonly close: () => void,
  ) {
    super();
  }

  write(bytes: Buffer): boolean {
    this.send(bytes);
    return true;
  }

  end(): void {
    this.close();
  }

  destroy(): void {
    this.close();
  }

  /** The adapter owns every timeout; the library's socket timeout would only half-close the socket. */
  setTimeout(): this {
    return this;
  }

  /** Hands the library one whole PDU. */
  deliver(pdu: Buffer): void {
    this.emit('data', pdu);
  }
}

/** A received data set that is not well formed: what is wrong, kept instead of dcmjs's reading of garbage. */
const readProblems = new WeakMap<object, string>();

/** Why a received data set could not be read, or undefined when it was read. */
export function datasetReadProblem(dataset: DatasetT | undefined): string | undefined {
  return dataset ? readProblems.get(dataset) : undefined;
}

function isSequenceTag(tag: number): boolean {
  // Group 0000 (command sets, read in implicit VR) holds no sequence: no dictionary lookup per element.
  if (tag >>> 16 === 0) return false;
  return lookupTag(tag.toString(16).toUpperCase().padStart(8, '0'))?.vr === 'SQ';
}

/** Received data sets read as DICOM JSON without dcmjs (identifier-reader.ts). */
const plainIdentifiers = new WeakMap<object, DicomJson>();

/**
 * A received data set as DICOM JSON when it was read without dcmjs (a usual C-FIND identifier),
 * the same as identifierFromNaturalized(dataset.getElements()) would give; else undefined.
 */
export function plainIdentifierOf(dataset: DatasetT): DicomJson | undefined {
  return plainIdentifiers.get(dataset);
}

/** What _fromElementsBuffer returns for a data set whose elements dcmjs reads only when asked. */
const NOT_READ_YET = Object.freeze({});

/**
 * Makes dataset.elements read by dcmjs on first access. The Dataset constructor assigns the return
 * of _fromElementsBuffer to this.elements: the setter takes any other value as the elements.
 */
function readElementsWhenAsked(dataset: DatasetT, read: () => Record<string, unknown>): void {
  const settle = (elements: unknown): void => {
    Object.defineProperty(dataset, 'elements', { value: elements, writable: true, enumerable: true, configurable: true });
  };
  Object.defineProperty(dataset, 'elements', {
    configurable: true,
    enumerable: true,
    get() {
      const elements = read();
      settle(elements);
      return elements;
    },
    set(value: unknown) {
      if (value !== NOT_READ_YET) settle(value);
    },
  });
}

type FromElementsBuffer = (this: DatasetT, buffer: Buffer, transferSyntaxUid: string, readOptions: unknown) => Record<string, unknown>;
const datasetPrototype = Dataset.prototype as unknown as { _fromElementsBuffer: FromElementsBuffer & { checked?: true } };

/** Installs the data set check (once per process). */
export function checkReceivedDatasets(): void {
  const original = datasetPrototype._fromElementsBuffer;
  if (typeof original !== 'function') throw new Error('dcmjs-dimse: Dataset.prototype._fromElementsBuffer is gone (see src/dicom/dimse-shim.ts)');
  if (original.checked) return;
  const checked: FromElementsBuffer & { checked?: true } = function (this: DatasetT, buffer, transferSyntaxUid, readOptions) {
    const problem = encodedDatasetProblem(buffer, transferSyntaxUid, isSequenceTag);
    if (problem) {
      readProblems.set(this, problem);
      return {};
    }
    // Command sets (implicit VR little endian) are read without dcmjs when they are plain.
    const plain = transferSyntaxUid === TransferSyntaxUid.ImplicitVrLittleEndian ? readPlainCommandSet(buffer) : undefined;
    if (plain) return plain;
    // So are the usual identifiers, into DICOM JSON; dcmjs reads them only if their elements are asked for.
    const identifier = readPlainIdentifier(buffer, transferSyntaxUid);
    if (!identifier) return original.call(this, buffer, transferSyntaxUid, readOptions);
    plainIdentifiers.set(this, identifier);
    readElementsWhenAsked(this, () => original.call(this, buffer, transferSyntaxUid, readOptions));
    return NOT_READ_YET;
  };
  checked.checked = true;
  datasetPrototype._fromElementsBuffer = checked;
}

interface NetworkInternals {
  association: Association | undefined;
  _sendDimse(message: { context: PresentationContextT; command: DimseResponse }): void;
}

/** The presentation context a request arrived on, as remembered by the _performDimse hook. */
const requestContexts = new WeakMap<object, PresentationContextT>();

export function presentationContextOf(request: DimseRequest): { id: number; abstractSyntax: string; transferSyntax: string } | undefined {
  const context = requestContexts.get(request);
  return (
    context && {
      id: context.getPresentationContextId(),
      abstractSyntax: context.getAbstractSyntaxUid(),
      transferSyntax: context.getAcceptedTransferSyntaxUid(),
    }
  );
}

/**
 * A request's Affected SOP Class UID as received: 0.3.3 reads command elements as they came, so it is
 * undefined when the peer left it out (the typings say string).
 */
export function affectedSopClassOf(request: { getAffectedSopClassUid(): string | undefined }): string | undefined {
  return request.getAffectedSopClassUid();
}

/** A request's Requested SOP Class UID as received: undefined when the peer left it out (the typings say string). */
export function requestedSopClassOf(request: { getRequestedSopClassUid(): string | undefined }): string | undefined {
  return request.getRequestedSopClassUid();
}

/** Command field values of the requests the SCP serves (PS3.7 E.1). */
const SERVED_COMMANDS = new Set([0x0030 /* C-ECHO-RQ */, 0x0020 /* C-FIND-RQ */, 0x0fff /* C-CANCEL-RQ */, 0x0140 /* N-CREATE-RQ */, 0x0120 /* N-SET-RQ */]);

/**
 * An Scp whose received messages pass a hook first: the request's presentation context is kept,
 * and a message the SCP does not serve (a response, C-STORE, C-MOVE, N-ACTION..., or a command set
 * without a command field) goes to unservedMessage instead of the library's silent default.
 */
export abstract class HookedScp extends Scp {
  protected abstract unservedMessage(description: string): void;

  /** Hook on Network._performDimse (see the file comment). */
  _performDimse(presentationContext: PresentationContextT, message: DimseRequest & { getCommandFieldType(): number }): void {
    const field = message.getCommandFieldType();
    if (typeof field !== 'number' || !SERVED_COMMANDS.has(field)) {
      this.unservedMessage(typeof field === 'number' ? `DIMSE command 0x${field.toString(16).padStart(4, '0')}` : 'a command set without a command field');
      return;
    }
    requestContexts.set(message, presentationContext);
    if (!(message as unknown as { hasDataset(): boolean }).hasDataset()) (this as unknown as { dimseStream: unknown }).dimseStream = undefined;
    (Scp.prototype as unknown as { _performDimse(pc: PresentationContextT, m: unknown): void })._performDimse.call(this, presentationContext, message);
  }

  /** Sends one response on the presentation context its request arrived on. */
  protected sendOnRequestContext(request: DimseRequest, response: DimseResponse): void {
    const context = requestContexts.get(request);
    if (!context) throw new Error('the request has no known presentation context');
    (this as unknown as NetworkInternals)._sendDimse({ context, command: response });
  }

  /**
   * Accepts the association: the answer announces ownMaxPduLength (what the SCP receives), and the
   * library then splits what it sends by the peer's limit (its own when the peer set none).
   */
  protected acceptWithPduLimits(ownMaxPduLength: number, peerMaxPduLength: number): void {
    const association = (this as unknown as NetworkInternals).association;
    if (!association) throw new Error('no association to accept');
    Implementation.setMaxPduLength(ownMaxPduLength);
    association.setMaxPduLength(ownMaxPduLength);
    this.sendAssociationAccept();
    association.setMaxPduLength(peerMaxPduLength === 0 ? ownMaxPduLength : peerMaxPduLength);
  }

  /** The presentation context a request arrived on, its transfer syntax, and the peer's largest PDU (0: no limit). */
  protected framing(request: DimseRequest): { contextId: number; transferSyntaxUid: string; maxPduLength: number } {
    const context = requestContexts.get(request);
    const association = (this as unknown as NetworkInternals).association;
    if (!context || !association) throw new Error('the request has no known presentation context');
    return {
      contextId: context.getPresentationContextId(),
      transferSyntaxUid: context.getAcceptedTransferSyntaxUid(),
      maxPduLength: association.getMaxPduLength(),
    };
  }

  protected get currentAssociation(): Association | undefined {
    return (this as unknown as NetworkInternals).association;
  }
}

/** Makes a response send the given command set bytes instead of encoding its own (dcmjs-dimse encodes each into two fresh 256 KiB streams). */
export function useEncodedCommandSet(response: DimseResponse, encode: () => Buffer): void {
  const command = response.getCommandDataset() as unknown as { getDenaturalizedCommandDataset: () => Buffer };
  command.getDenaturalizedCommandDataset = encode;
}
