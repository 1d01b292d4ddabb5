/**
 * A DICOM peer at the byte level, for tests that must send what no well-behaved client sends:
 * hand-built A-ASSOCIATE-RQ PDUs (duplicate or unordered context IDs, tiny PDU limits), P-DATA
 * with any command set and data set, raw headers, slow streams. It reads the SCP's PDUs back and
 * decodes response command sets, so a test can check what went over the wire.
 */
import { connect, type Socket } from 'node:net';
import { dcmjs } from '../../src/model/dcmjs.js';
import { encodeDataset } from '../../src/model/encoding.js';
import type { DicomJson } from '../../src/model/item.js';

export const IMPLICIT_LE = '1.2.840.10008.1.2';
export const EXPLICIT_LE = '1.2.840.10008.1.2.1';

/**
 * What dcmjs-dimse 0.3.3's Dataset holds after dcmjs read the bytes (the body of its
 * _fromElementsBuffer): the reference the plain command-set and identifier readers are held to.
 */
export function dcmjsDimseReading(bytes: Buffer, transferSyntaxUid: string): Record<string, unknown> {
  const data = dcmjs.data as unknown as {
    DicomMessage: { _read(stream: unknown, syntax: string, options: unknown): Record<string, unknown> };
    ReadBufferStream: new (buffer: ArrayBufferLike) => unknown;
    DicomMetaDictionary: { naturalizeDataset(dataset: Record<string, unknown>): Record<string, unknown> };
  };
  const stream = new data.ReadBufferStream(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return data.DicomMetaDictionary.naturalizeDataset(data.DicomMessage._read(stream, transferSyntaxUid, { ignoreErrors: true }));
}
export const VERIFICATION = '1.2.840.10008.1.1';
export const MWL_FIND = '1.2.840.10008.5.1.4.31';
export const MPPS = '1.2.840.10008.3.1.2.3.3';
export const STUDY_ROOT_FIND = '1.2.840.10008.5.1.4.1.2.2.1';

export interface ContextProposal {
  id: number;
  abstractSyntax: string;
  transferSyntaxes: string[];
}

function item(type: number, value: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header[0] = type;
  header.writeUInt16BE(value.length, 2);
  return Buffer.concat([header, value]);
}

function pdu(type: number, body: Buffer): Buffer {
  const header = Buffer.alloc(6);
  header[0] = type;
  header.writeUInt32BE(body.length, 2);
  return Buffer.concat([header, body]);
}

function aeField(title: string): Buffer {
  return Buffer.from(title.padEnd(16, ' ').slice(0, 16), 'latin1');
}

/** A user information sub-item (type, then value), for requests with more than the usual ones. */
export function userItem(type: number, value: Buffer): Buffer {
  return item(type, value);
}

export function associateRequest(opts: {
  called: string;
  calling: string;
  contexts: ContextProposal[];
  maxPduLength?: number;
  protocolVersion?: number;
  userItems?: Buffer[];
}): Buffer {
  const fixed = Buffer.concat([Buffer.from([0, opts.protocolVersion ?? 1, 0, 0]), aeField(opts.called), aeField(opts.calling), Buffer.alloc(32)]);
  const appContext = item(0x10, Buffer.from('1.2.840.10008.3.1.1.1'));
  const contexts = opts.contexts.map((c) =>
    item(
      0x20,
      Buffer.concat([Buffer.from([c.id, 0, 0, 0]), item(0x30, Buffer.from(c.abstractSyntax)), ...c.transferSyntaxes.map((ts) => item(0x40, Buffer.from(ts)))]),
    ),
  );
  const maxLength = Buffer.alloc(4);
  maxLength.writeUInt32BE(opts.maxPduLength ?? 16384);
  const userInfo = item(
    0x50,
    Buffer.concat([item(0x51, maxLength), item(0x52, Buffer.from('1.2.3.4.5.6')), item(0x55, Buffer.from('WIRE_TEST')), ...(opts.userItems ?? [])]),
  );
  return pdu(0x01, Buffer.concat([fixed, appContext, ...contexts, userInfo]));
}

/** A P-DATA-TF PDU with one presentation data value. */
export function pData(contextId: number, isCommand: boolean, isLast: boolean, value: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(value.length + 2);
  return pdu(0x04, Buffer.concat([length, Buffer.from([contextId, (isCommand ? 1 : 0) | (isLast ? 2 : 0)]), value]));
}

export const releaseRequest = (): Buffer => pdu(0x05, Buffer.alloc(4));
export const abortRequest = (): Buffer => pdu(0x07, Buffer.from([0, 0, 0, 0]));

/** A command set (implicit VR little endian, with its group length). */
export function commandSet(elements: Record<string, { vr: string; value: string | number }>): Buffer {
  const json: DicomJson = {};
  for (const [tag, { vr, value }] of Object.entries(elements)) json[tag] = { vr, Value: [value] };
  const body = encodeDataset(json, IMPLICIT_LE, false);
  const groupLength = encodeDataset({ '00000000': { vr: 'UL', Value: [body.length] } }, IMPLICIT_LE, false);
  return Buffer.concat([groupLength, body]);
}

const NO_DATASET = 0x0101;
const HAS_DATASET = 0x0000;

export function cEcho(messageId: number, sopClass = VERIFICATION): Buffer {
  return commandSet({
    '00000002': { vr: 'UI', value: sopClass },
    '00000100': { vr: 'US', value: 0x0030 },
    '00000110': { vr: 'US', value: messageId },
    '00000800': { vr: 'US', value: NO_DATASET },
  });
}

export function cFind(messageId: number, sopClass = MWL_FIND): Buffer {
  return commandSet({
    '00000002': { vr: 'UI', value: sopClass },
    '00000100': { vr: 'US', value: 0x0020 },
    '00000110': { vr: 'US', value: messageId },
    '00000700': { vr: 'US', value: 0 },
    '00000800': { vr: 'US', value: HAS_DATASET },
  });
}

export function cCancel(messageIdBeingRespondedTo: number): Buffer {
  return commandSet({
    '00000100': { vr: 'US', value: 0x0fff },
    '00000120': { vr: 'US', value: messageIdBeingRespondedTo },
    '00000800': { vr: 'US', value: NO_DATASET },
  });
}

export function nCreate(messageId: number, sopInstanceUid: string, withDataset = true): Buffer {
  return commandSet({
    '00000002': { vr: 'UI', value: MPPS },
    '00000100': { vr: 'US', value: 0x0140 },
    '00000110': { vr: 'US', value: messageId },
    '00000800': { vr: 'US', value: withDataset ? HAS_DATASET : NO_DATASET },
    '00001000': { vr: 'UI', value: sopInstanceUid },
  });
}

export function nSet(messageId: number, sopInstanceUid: string): Buffer {
  return commandSet({
    '00000003': { vr: 'UI', value: MPPS },
    '00000100': { vr: 'US', value: 0x0120 },
    '00000110': { vr: 'US', value: messageId },
    '00000800': { vr: 'US', value: HAS_DATASET },
    '00001001': { vr: 'UI', value: sopInstanceUid },
  });
}

/** A data set in the given transfer syntax. */
export function dataset(json: DicomJson, transferSyntax = EXPLICIT_LE): Buffer {
  return encodeDataset(json, transferSyntax, false);
}

export interface ReceivedPdu {
  type: number;
  bytes: Buffer;
}

/** The elements of an implicit VR little endian command set: tag -> raw value bytes. */
export function readCommandSet(bytes: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let offset = 0;
  while (offset + 8 <= bytes.length) {
    const tag =
      bytes.readUInt16LE(offset).toString(16).padStart(4, '0') +
      bytes
        .readUInt16LE(offset + 2)
        .toString(16)
        .padStart(4, '0');
    const length = bytes.readUInt32LE(offset + 4);
    out.set(tag.toUpperCase(), bytes.subarray(offset + 8, offset + 8 + length));
    offset += 8 + length;
  }
  return out;
}

export interface DimseMessage {
  contextId: number;
  command: Map<string, Buffer>;
  dataset?: Buffer;
  status: number | undefined;
  affectedSopClassUid: string | undefined;
  commandField: number | undefined;
}

const uidText = (b: Buffer | undefined): string | undefined => b?.toString('latin1').replace(/[\0 ]+$/, '');

/** A raw connection to an SCP: write anything, read PDUs and DIMSE messages back. */
export class WireClient {
  readonly pdus: ReceivedPdu[] = [];
  private buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  closed = false;
  readonly closedPromise: Promise<void>;
  private partialCommand: Buffer[] = [];
  private partialData: Buffer[] = [];
  private pendingMessage: DimseMessage | undefined;
  readonly messages: DimseMessage[] = [];

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      while (this.buffer.length >= 6) {
        const length = this.buffer.readUInt32BE(2);
        if (this.buffer.length < 6 + length) break;
        const bytes = this.buffer.subarray(0, 6 + length);
        this.buffer = this.buffer.subarray(6 + length);
        const received = { type: bytes[0]!, bytes: Buffer.from(bytes) };
        this.pdus.push(received);
        if (received.type === 0x04) this.readPData(received.bytes);
      }
      this.wake();
    });
    socket.on('error', () => undefined);
    this.closedPromise = new Promise((resolve) =>
      socket.once('close', () => {
        this.closed = true;
        this.wake();
        resolve();
      }),
    );
  }

  /** allowHalfOpen: the client keeps its side open when the SCP ends the connection (as a stuck peer does). */
  static connect(port: number, opts: { host?: string; allowHalfOpen?: boolean } = {}): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: opts.host ?? '127.0.0.1', allowHalfOpen: opts.allowHalfOpen ?? false }, () => {
        resolve(new WireClient(socket));
      });
      socket.once('error', reject);
    });
  }

  private readPData(bytes: Buffer): void {
    let offset = 6;
    while (offset < bytes.length) {
      const length = bytes.readUInt32BE(offset);
      const contextId = bytes[offset + 4]!;
      const header = bytes[offset + 5]!;
      const value = bytes.subarray(offset + 6, offset + 4 + length);
      offset += 4 + length;
      if (header & 1) {
        this.partialCommand.push(value);
        if (header & 2) {
          const command = readCommandSet(Buffer.concat(this.partialCommand));
          this.partialCommand = [];
          const message: DimseMessage = {
            contextId,
            command,
            status: command.get('00000900')?.readUInt16LE(0),
            affectedSopClassUid: uidText(command.get('00000002')),
            commandField: command.get('00000100')?.readUInt16LE(0),
          };
          if (command.get('00000800')?.readUInt16LE(0) === 0x0101) this.messages.push(message);
          else this.pendingMessage = message;
        }
      } else {
        this.partialData.push(value);
        if (header & 2 && this.pendingMessage) {
          this.pendingMessage.dataset = Buffer.concat(this.partialData);
          this.partialData = [];
          this.messages.push(this.pendingMessage);
          this.pendingMessage = undefined;
        }
      }
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((w) => {
      w();
    });
  }

  send(bytes: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** Waits until the condition holds, the connection closes, or the time runs out; returns whether it held. */
  async waitFor(condition: () => boolean, timeoutMs = 5000): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (!condition()) {
      if (this.closed || Date.now() > until) return condition();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, Math.min(100, until - Date.now())));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return true;
  }

  /** The next PDU of a type after the given count of received PDUs. */
  async nextPdu(timeoutMs = 5000): Promise<ReceivedPdu | undefined> {
    const seen = this.pdus.length;
    await this.waitFor(() => this.pdus.length > seen, timeoutMs);
    return this.pdus[seen];
  }

  /** Associates (A-ASSOCIATE-RQ, waits for the answer); returns the answer's PDU type (2 accept, 3 reject). */
  async associate(opts: Parameters<typeof associateRequest>[0], timeoutMs = 5000): Promise<ReceivedPdu | undefined> {
    const seen = this.pdus.length;
    this.send(associateRequest(opts));
    await this.waitFor(() => this.pdus.length > seen, timeoutMs);
    return this.pdus[seen];
  }

  /** Sends a command (and data set) on a context, in PDUs of at most maxValue bytes of value. */
  sendMessage(contextId: number, command: Buffer, data?: Buffer, maxValue = 16000): void {
    const sendPart = (bytes: Buffer, isCommand: boolean): void => {
      for (let at = 0; at < bytes.length || at === 0; at += maxValue) {
        const part = bytes.subarray(at, at + maxValue);
        this.send(pData(contextId, isCommand, at + maxValue >= bytes.length, part));
        if (bytes.length === 0) break;
      }
    };
    sendPart(command, true);
    if (data) sendPart(data, false);
  }

  /** Waits for the final response (status not pending) to the n-th message; returns all messages after `from`. */
  async finalResponse(from = 0, timeoutMs = 10000): Promise<DimseMessage | undefined> {
    const isFinal = (m: DimseMessage): boolean => m.status !== undefined && m.status !== 0xff00 && m.status !== 0xff01;
    await this.waitFor(() => this.messages.slice(from).some(isFinal), timeoutMs);
    return this.messages.slice(from).find(isFinal);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The ACSE answer's accepted contexts: id -> result (A-ASSOCIATE-AC). */
export function acceptedContexts(ac: Buffer): Map<number, number> {
  const out = new Map<number, number>();
  let offset = 6 + 68;
  while (offset + 4 <= ac.length) {
    const type = ac[offset]!;
    const length = ac.readUInt16BE(offset + 2);
    if (type === 0x21) out.set(ac[offset + 4]!, ac[offset + 6]!);
    offset += 4 + length;
  }
  return out;
}

/** The maximum PDU length an A-ASSOCIATE-AC announces. */
export function announcedMaxPduLength(ac: Buffer): number | undefined {
  let offset = 6 + 68;
  while (offset + 4 <= ac.length) {
    const type = ac[offset]!;
    const length = ac.readUInt16BE(offset + 2);
    if (type === 0x50) {
      let sub = offset + 4;
      while (sub + 4 <= offset + 4 + length) {
        const subLength = ac.readUInt16BE(sub + 2);
        if (ac[sub] === 0x51) return ac.readUInt32BE(sub + 4);
        sub += 4 + subLength;
      }
    }
    offset += 4 + length;
  }
  return undefined;
}
