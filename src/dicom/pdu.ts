/**
 * The DICOM upper layer seen from the acceptor, before any library reads a byte (PS3.8 9.3): PDUs
 * are framed here from their 6-byte headers, checked against what the association state allows
 * and refused at the header when too long, so that nothing a peer sends can make the SCP buffer
 * more than one bounded PDU or hand dcmjs-dimse a PDU it would mis-read. Pure: bytes in, events out.
 */

export const PduType = {
  AssociateRq: 0x01,
  AssociateAc: 0x02,
  AssociateRj: 0x03,
  PData: 0x04,
  ReleaseRq: 0x05,
  ReleaseRp: 0x06,
  Abort: 0x07,
} as const;

const PDU_NAMES: Record<number, string> = {
  0x01: 'A-ASSOCIATE-RQ',
  0x02: 'A-ASSOCIATE-AC',
  0x03: 'A-ASSOCIATE-RJ',
  0x04: 'P-DATA-TF',
  0x05: 'A-RELEASE-RQ',
  0x06: 'A-RELEASE-RP',
  0x07: 'A-ABORT',
};

export function pduName(type: number): string {
  return PDU_NAMES[type] ?? `unknown PDU type 0x${type.toString(16).padStart(2, '0')}`;
}

/**
 * Largest A-ASSOCIATE-RQ accepted. Its items carry 2-byte lengths; a modality proposing 128
 * presentation contexts with several transfer syntaxes each sends some 40 KiB, a long user
 * identity token a few more.
 */
export const MAX_ASSOCIATE_RQ_BYTES = 256 * 1024;

const FIXED_LENGTH_TYPES: ReadonlySet<number> = new Set([PduType.ReleaseRq, PduType.ReleaseRp, PduType.Abort]);

/** Where the upper layer of one connection is (PS3.8 Table 9-10, acceptor side, simplified). */
export type UpperLayerState = 'awaiting-request' | 'deciding' | 'associated' | 'released' | 'closed';

export interface PduEvent {
  type: number;
  /** The whole PDU, header included. */
  bytes: Buffer;
}

export class PduProtocolError extends Error {
  constructor(
    message: string,
    /** A-ABORT reason to send (PS3.8 9.3.8): 0 not specified, 1 unrecognized PDU, 2 unexpected PDU, 4 unrecognized parameter, 5 unexpected parameter, 6 invalid parameter value. */
    readonly abortReason: number,
  ) {
    super(message);
    this.name = 'PduProtocolError';
  }
}

/** The largest PDU of a type the current state accepts, or a protocol error for a type it does not. */
function allowedLength(type: number, state: UpperLayerState, maxPduLength: number): number | PduProtocolError {
  if (type < 1 || type > 7) return new PduProtocolError(pduName(type), 1);
  switch (state) {
    case 'awaiting-request':
      if (type === PduType.AssociateRq) return MAX_ASSOCIATE_RQ_BYTES;
      if (type === PduType.Abort) return 4;
      break;
    case 'associated':
      if (type === PduType.PData) return maxPduLength;
      if (type === PduType.ReleaseRq || type === PduType.Abort) return 4;
      break;
    case 'released':
      if (type === PduType.Abort) return 4;
      break;
    case 'deciding':
    case 'closed':
      break;
  }
  return new PduProtocolError(`${pduName(type)} is not expected ${describeState(state)}`, 2);
}

function describeState(state: UpperLayerState): string {
  switch (state) {
    case 'awaiting-request':
      return 'before the association request';
    case 'deciding':
      return 'while the association request is answered';
    case 'associated':
      return 'on an established association';
    case 'released':
      return 'after the release';
    case 'closed':
      return 'after the connection was closed';
  }
}

/**
 * Frames one connection's byte stream into PDUs. A PDU is buffered as a list of chunks and joined
 * once, when complete; its length is checked at its header, before its body is kept.
 */
export class PduFramer {
  private header = Buffer.alloc(0);
  private body: Buffer[] = [];
  private bodyBytes = 0;
  private expected = -1;
  private pduType = 0;
  private failed: PduProtocolError | undefined;

  constructor(private readonly limits: { state(): UpperLayerState; maxPduLength(): number }) {}

  /** True while a PDU has begun and not ended (its first byte was received). */
  get inPdu(): boolean {
    return this.header.length > 0 || this.expected >= 0;
  }

  /** Bytes held for the PDU being received. */
  get bufferedBytes(): number {
    return this.header.length + this.bodyBytes;
  }

  /**
   * Takes the next bytes of the stream; returns the PDUs completed by them, in order. Throws a
   * PduProtocolError at the first PDU the state does not allow or that is too long; after that the
   * connection is to be aborted and every further call throws the same error.
   */
  push(chunk: Buffer): PduEvent[] {
    if (this.failed) throw this.failed;
    const out: PduEvent[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (this.expected < 0) {
        const need = 6 - this.header.length;
        const take = chunk.subarray(offset, offset + need);
        this.header = this.header.length === 0 ? Buffer.from(take) : Buffer.concat([this.header, take]);
        offset += take.length;
        if (this.header.length < 6) break;
        this.startPdu(this.header);
        if (this.expected === 0) out.push(this.finish());
        continue;
      }
      const take = chunk.subarray(offset, offset + (this.expected - this.bodyBytes));
      this.body.push(take);
      this.bodyBytes += take.length;
      offset += take.length;
      if (this.bodyBytes === this.expected) out.push(this.finish());
    }
    return out;
  }

  private startPdu(header: Buffer): void {
    const type = header.readUInt8(0);
    const length = header.readUInt32BE(2);
    const allowed = allowedLength(type, this.limits.state(), this.limits.maxPduLength());
    if (allowed instanceof PduProtocolError) throw this.fail(allowed);
    if (length > allowed) {
      throw this.fail(
        new PduProtocolError(
          `${pduName(type)} of ${length} bytes is longer than the ${allowed} bytes accepted${type === PduType.PData ? ' (dicom.maxPduLength, as announced in the association answer)' : ''}`,
          6,
        ),
      );
    }
    // A-RELEASE-RQ/RP and A-ABORT have a fixed 4-byte body (PS3.8 9.3.6-9.3.8).
    if (FIXED_LENGTH_TYPES.has(type) && length !== 4) throw this.fail(new PduProtocolError(`${pduName(type)} of ${length} bytes instead of 4`, 6));
    this.pduType = type;
    this.expected = length;
    this.body = [];
    this.bodyBytes = 0;
  }

  private finish(): PduEvent {
    // The body chunks are views of the socket's buffers: one copy, here, for the PDU handed on.
    const bytes = Buffer.concat([this.header, ...this.body], 6 + this.expected);
    const event = { type: this.pduType, bytes };
    this.header = Buffer.alloc(0);
    this.body = [];
    this.bodyBytes = 0;
    this.expected = -1;
    return event;
  }

  private fail(error: PduProtocolError): PduProtocolError {
    this.failed = error;
    this.header = Buffer.alloc(0);
    this.body = [];
    return error;
  }
}

/** Largest command set accepted (a command set is some 100-200 bytes). */
export const MAX_COMMAND_SET_BYTES = 64 * 1024;

/**
 * The fragments of DIMSE messages on one association (PS3.8 9.3.5.1, PS3.7 6.3.1): a message is its
 * command set in one or more command fragments, then, when its Command Data Set Type says so, its
 * data set in data fragments, all on one presentation context. dcmjs-dimse assumes this order; a
 * data fragment after a command without a data set made it throw reading a property of undefined.
 */
export class MessageFragments {
  private expect: 'command' | 'command-continuation' | 'data' | 'data-continuation' = 'command';
  private contextId = 0;
  private bytes = 0;
  private command: Buffer[] = [];

  constructor(private readonly maxMessageBytes: number) {}

  /** Checks the next fragment; throws a PduProtocolError when it breaks the order or a size limit. */
  take(pdv: PresentationDataValue): void {
    if (this.expect !== 'command' && pdv.contextId !== this.contextId) {
      throw new PduProtocolError(`a fragment on presentation context ${pdv.contextId} in the middle of a message on context ${this.contextId}`, 6);
    }
    this.contextId = pdv.contextId;
    if (pdv.isCommand) {
      if (this.expect === 'data' || this.expect === 'data-continuation')
        throw new PduProtocolError('a command fragment where the data set of the message was due', 6);
      if (this.expect === 'command') this.command = [];
      this.command.push(pdv.value);
      const commandBytes = this.command.reduce((n, b) => n + b.length, 0);
      if (commandBytes > MAX_COMMAND_SET_BYTES) throw new PduProtocolError(`a command set of more than ${MAX_COMMAND_SET_BYTES} bytes`, 6);
      if (!pdv.isLast) {
        this.expect = 'command-continuation';
        return;
      }
      this.expect = commandHasDataset(Buffer.concat(this.command)) ? 'data' : 'command';
      this.command = [];
      this.bytes = 0;
      return;
    }
    if (this.expect === 'command' || this.expect === 'command-continuation')
      throw new PduProtocolError('a data set fragment with no command set announcing it', 6);
    this.bytes += pdv.length;
    if (this.bytes > this.maxMessageBytes) throw new PduProtocolError(`a data set of more than ${this.maxMessageBytes} bytes (dicom.maxMessageBytes)`, 6);
    this.expect = pdv.isLast ? 'command' : 'data-continuation';
  }
}

/**
 * Whether a command set (implicit VR little endian, PS3.7 E.1) announces a data set: its Command
 * Data Set Type (0000,0800) is anything but 0x0101. Without that element, as dcmjs-dimse reads it, yes.
 */
export function commandHasDataset(command: Buffer): boolean {
  for (let at = 0; at + 8 <= command.length;) {
    const group = command.readUInt16LE(at);
    const element = command.readUInt16LE(at + 2);
    const length = command.readUInt32LE(at + 4);
    if (group === 0 && element === 0x0800) return !(length >= 2 && at + 10 <= command.length && command.readUInt16LE(at + 8) === 0x0101);
    if (length > command.length) break;
    at += 8 + length;
  }
  return true;
}

/** One presentation data value of a P-DATA-TF PDU (PS3.8 9.3.5.1). */
export interface PresentationDataValue {
  contextId: number;
  isCommand: boolean;
  isLast: boolean;
  length: number;
  /** The fragment's bytes (a view of the PDU). */
  value: Buffer;
}

/**
 * The PDV items of a P-DATA-TF PDU, checked for structure: each at least its 2-byte header, all
 * within the PDU and filling it exactly. dcmjs-dimse reads them without such checks.
 */
export function readPresentationDataValues(pdu: Buffer): PresentationDataValue[] {
  const values: PresentationDataValue[] = [];
  const end = 6 + pdu.readUInt32BE(2);
  if (end === 6) throw new PduProtocolError('P-DATA-TF without any presentation data value', 6);
  let offset = 6;
  while (offset < end) {
    if (end - offset < 6) throw new PduProtocolError(`P-DATA-TF: ${end - offset} bytes left, too few for a presentation data value`, 6);
    const itemLength = pdu.readUInt32BE(offset);
    if (itemLength < 2 || itemLength > end - offset - 4) {
      throw new PduProtocolError(`P-DATA-TF: presentation data value length ${itemLength} does not fit the ${end - offset - 4} bytes left`, 6);
    }
    const header = pdu.readUInt8(offset + 5);
    values.push({
      contextId: pdu.readUInt8(offset + 4),
      isCommand: (header & 1) === 1,
      isLast: (header & 2) === 2,
      length: itemLength - 2,
      value: pdu.subarray(offset + 6, offset + 4 + itemLength),
    });
    offset += 4 + itemLength;
  }
  return values;
}
