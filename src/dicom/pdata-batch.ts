/**
 * DIMSE messages framed as P-DATA-TF PDUs (PS3.8 9.3.5) and gathered for one socket write. A
 * many-answer C-FIND went through dcmjs-dimse one message at a time: two socket writes per answer
 * (its command, its data set), each a system call, plus a log string built per message (profiled:
 * writes alone were a third of the time). A message that fits the peer's maximum PDU length goes
 * in one PDU of two PDVs, its command set and its data set (PS3.8 9.3.5: one or more PDVs a PDU):
 * the reader then reads one PDU per answer, not two (DCMTK reads each PDU in two system calls;
 * findscu's CPU time per answer went down by about a third). A longer one is framed as
 * dcmjs-dimse frames it: the command set in one PDU, the data set in PDUs cut to that length.
 */

/** dcmjs-dimse's cap on what it sends in one PDU, whatever the peer allows (0 = no limit). */
const MAX_SENT_PDU = 4194304;
const PDU_HEADER = 6;
const PDV_HEADER = 6;

export class PDataBatch {
  private readonly chunks: Buffer[] = [];
  private held = 0;
  private readonly maxFragment: number;

  constructor(
    private readonly contextId: number,
    peerMaxPduLength: number,
  ) {
    const maxPdu = peerMaxPduLength === 0 ? MAX_SENT_PDU : Math.min(peerMaxPduLength, MAX_SENT_PDU);
    this.maxFragment = maxPdu - PDV_HEADER;
  }

  /** Bytes gathered and not yet taken. */
  get bytes(): number {
    return this.held;
  }

  /** Adds one message: its command set, and its data set as parts (their concatenation) when it has one. */
  add(command: Buffer, dataset?: { parts: Buffer[]; length: number }): void {
    if (dataset && PDV_HEADER + command.length + PDV_HEADER + dataset.length <= this.maxFragment + PDV_HEADER) {
      this.pduOfTwo(command, dataset);
      return;
    }
    this.pdu(command, command.length, 0x03);
    if (!dataset) return;
    if (dataset.length <= this.maxFragment) {
      this.pdu(dataset.parts, dataset.length, 0x02);
      return;
    }
    const whole = Buffer.concat(dataset.parts, dataset.length);
    for (let at = 0; at < whole.length; at += this.maxFragment) {
      const end = Math.min(at + this.maxFragment, whole.length);
      this.pdu(whole.subarray(at, end), end - at, end === whole.length ? 0x02 : 0x00);
    }
  }

  /** Everything gathered, as one buffer (undefined when nothing is); the batch is then empty. */
  take(): Buffer | undefined {
    if (this.chunks.length === 0) return undefined;
    const bytes = Buffer.concat(this.chunks, this.held);
    this.chunks.length = 0;
    this.held = 0;
    return bytes;
  }

  /** One P-DATA-TF PDU holding a whole message: its command set's PDV, then its data set's. */
  private pduOfTwo(command: Buffer, dataset: { parts: Buffer[]; length: number }): void {
    const header = Buffer.allocUnsafe(PDU_HEADER + PDV_HEADER);
    const body = PDV_HEADER + command.length + PDV_HEADER + dataset.length;
    header.writeUInt8(0x04, 0);
    header.writeUInt8(0, 1);
    header.writeUInt32BE(body, 2);
    header.writeUInt32BE(2 + command.length, 6);
    header.writeUInt8(this.contextId, 10);
    header.writeUInt8(0x03, 11);
    const dataHeader = Buffer.allocUnsafe(PDV_HEADER);
    dataHeader.writeUInt32BE(2 + dataset.length, 0);
    dataHeader.writeUInt8(this.contextId, 4);
    dataHeader.writeUInt8(0x02, 5);
    this.chunks.push(header, command, dataHeader, ...dataset.parts);
    this.held += PDU_HEADER + body;
  }

  /** One P-DATA-TF PDU of one PDV; control: bit 0 command, bit 1 last fragment. */
  private pdu(value: Buffer | Buffer[], length: number, control: number): void {
    const header = Buffer.allocUnsafe(PDU_HEADER + PDV_HEADER);
    header.writeUInt8(0x04, 0);
    header.writeUInt8(0, 1);
    header.writeUInt32BE(PDV_HEADER + length, 2);
    header.writeUInt32BE(2 + length, 6);
    header.writeUInt8(this.contextId, 10);
    header.writeUInt8(control, 11);
    this.chunks.push(header);
    if (Array.isArray(value)) this.chunks.push(...value);
    else this.chunks.push(value);
    this.held += header.length + length;
  }
}
