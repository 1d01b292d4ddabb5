/**
 * A-ASSOCIATE-RQ (PS3.8 9.3.2, PS3.7 Annex D.3.3) read and checked before dcmjs-dimse sees it.
 * dcmjs-dimse trusts the request: two presentation contexts with one ID made it renumber the second
 * past 255 and crash writing the answer, IDs proposed out of order were renumbered and the request
 * refused, a maximum PDU length of 1 made its P-DATA splitter loop forever. Here the request is
 * read completely, every structural rule is checked, and the request handed on is canonical:
 * presentation contexts in ascending ID order, each ID odd, 1-255 and unique. Pure.
 */
import { aeTitleProblem } from '../model/names.js';

/** Lowest maximum PDU length a peer may announce (0 = no limit). PS3.8 sets no floor; DCMTK's ASC_MINIMUMPDUSIZE is 4096. */
export const MIN_PEER_MAX_PDU_LENGTH = 4096;

export const DICOM_APPLICATION_CONTEXT = '1.2.840.10008.3.1.1.1';

export interface ProposedContext {
  id: number;
  abstractSyntax: string;
  transferSyntaxes: string[];
}

export interface AssociateRequest {
  protocolVersion: number;
  calledAeTitle: string;
  callingAeTitle: string;
  applicationContext: string;
  contexts: ProposedContext[];
  /** The peer's maximum PDU length (what it can receive); 0 means no limit. */
  maxPduLength: number;
  implementationClassUid: string;
  implementationVersionName: string;
}

/** A-ASSOCIATE-RJ parameters (PS3.8 9.3.4). */
export interface AssociateReject {
  result: 1 | 2;
  source: 1 | 2 | 3;
  reason: number;
}

export const Reject = {
  noReason: { result: 1, source: 1, reason: 1 },
  applicationContextNotSupported: { result: 1, source: 1, reason: 2 },
  callingAeNotRecognized: { result: 1, source: 1, reason: 3 },
  calledAeNotRecognized: { result: 1, source: 1, reason: 7 },
  protocolVersionNotSupported: { result: 1, source: 2, reason: 2 },
  localLimitExceeded: { result: 2, source: 3, reason: 2 },
} as const satisfies Record<string, AssociateReject>;

/** The name of a reject reason (Reject's keys: callingAeNotRecognized, localLimitExceeded...), for the metrics. */
export function rejectReasonName(reject: { result: number; source: number; reason: number }): string {
  const named = Object.entries(Reject).find(([, r]) => r.result === reject.result && r.source === reject.source && r.reason === reject.reason);
  return named ? named[0] : `${reject.result}-${reject.source}-${reject.reason}`;
}

export type AssociateRequestCheck = { ok: true; request: AssociateRequest; canonical: Buffer } | { ok: false; reject: AssociateReject; why: string };

class MalformedRequest extends Error {}

const ITEM_APPLICATION_CONTEXT = 0x10;
const ITEM_PRESENTATION_CONTEXT = 0x20;
const ITEM_ABSTRACT_SYNTAX = 0x30;
const ITEM_TRANSFER_SYNTAX = 0x40;
const ITEM_USER_INFORMATION = 0x50;
const SUBITEM_MAX_LENGTH = 0x51;
const SUBITEM_IMPLEMENTATION_CLASS = 0x52;
const SUBITEM_ASYNC_OPERATIONS = 0x53;
const SUBITEM_ROLE_SELECTION = 0x54;
const SUBITEM_IMPLEMENTATION_VERSION = 0x55;
const SUBITEM_USER_IDENTITY = 0x58;
/** Fixed part of the PDU after its 6-byte header: version, reserved, called AE, calling AE, reserved. */
const FIXED_FIELDS = 2 + 2 + 16 + 16 + 32;

/** Reads and checks a whole A-ASSOCIATE-RQ PDU (header included). */
export function checkAssociateRequest(pdu: Buffer): AssociateRequestCheck {
  let parsed: { request: AssociateRequest; contextItems: Map<number, Buffer> };
  try {
    parsed = readAssociateRequest(pdu);
  } catch (err) {
    if (err instanceof MalformedRequest) return { ok: false, reject: Reject.noReason, why: `malformed A-ASSOCIATE-RQ: ${err.message}` };
    throw err;
  }
  const { request, contextItems } = parsed;
  if ((request.protocolVersion & 1) === 0) {
    return { ok: false, reject: Reject.protocolVersionNotSupported, why: `protocol version 0x${request.protocolVersion.toString(16)} lacks version 1 (bit 0)` };
  }
  if (request.applicationContext !== DICOM_APPLICATION_CONTEXT) {
    return {
      ok: false,
      reject: Reject.applicationContextNotSupported,
      why: `application context "${printable(request.applicationContext)}" is not the DICOM application context ${DICOM_APPLICATION_CONTEXT}`,
    };
  }
  const calledProblem = aeTitleProblem(request.calledAeTitle);
  if (calledProblem) return { ok: false, reject: Reject.calledAeNotRecognized, why: `called AE title "${printable(request.calledAeTitle)}": ${calledProblem}` };
  const callingProblem = aeTitleProblem(request.callingAeTitle);
  if (callingProblem)
    return { ok: false, reject: Reject.callingAeNotRecognized, why: `calling AE title "${printable(request.callingAeTitle)}": ${callingProblem}` };
  if (request.maxPduLength !== 0 && request.maxPduLength < MIN_PEER_MAX_PDU_LENGTH) {
    return {
      ok: false,
      reject: Reject.noReason,
      why: `maximum PDU length ${request.maxPduLength} is below ${MIN_PEER_MAX_PDU_LENGTH} bytes, the least the SCP sends answers in (0 would mean no limit)`,
    };
  }
  return { ok: true, request, canonical: canonicalRequest(pdu, contextItems) };
}

/** The AE titles of a request, however malformed the rest, for the log line that says why it was refused. */
export function peekAeTitles(pdu: Buffer): { calledAeTitle: string; callingAeTitle: string } | undefined {
  if (pdu.length < 42) return undefined;
  return { calledAeTitle: pdu.toString('latin1', 10, 26).trim(), callingAeTitle: pdu.toString('latin1', 26, 42).trim() };
}

/** Text for a log line: control characters and non-ASCII bytes shown as \xNN. */
export function printable(text: unknown): string {
  return String(text).replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function readAssociateRequest(pdu: Buffer): { request: AssociateRequest; contextItems: Map<number, Buffer> } {
  const end = 6 + pdu.readUInt32BE(2);
  if (end !== pdu.length) throw new MalformedRequest(`PDU length ${end - 6} does not match the ${pdu.length - 6} bytes received`);
  if (end - 6 < FIXED_FIELDS) throw new MalformedRequest(`${end - 6} bytes, fewer than the ${FIXED_FIELDS} of its fixed fields`);
  const request: AssociateRequest = {
    protocolVersion: pdu.readUInt16BE(6),
    calledAeTitle: pdu.toString('latin1', 10, 26).trim(),
    callingAeTitle: pdu.toString('latin1', 26, 42).trim(),
    applicationContext: '',
    contexts: [],
    maxPduLength: 0,
    implementationClassUid: '',
    implementationVersionName: '',
  };
  const contextItems = new Map<number, Buffer>();
  let applicationContexts = 0;
  let userInformation = 0;
  for (const item of readItems(pdu, 6 + FIXED_FIELDS, end, 'A-ASSOCIATE-RQ')) {
    if (item.type === ITEM_APPLICATION_CONTEXT) {
      applicationContexts++;
      request.applicationContext = uidText(item.value);
    } else if (item.type === ITEM_PRESENTATION_CONTEXT) {
      const context = readPresentationContext(item.value);
      if (contextItems.has(context.id)) throw new MalformedRequest(`two presentation contexts carry ID ${context.id}`);
      contextItems.set(context.id, item.whole);
      request.contexts.push(context);
    } else if (item.type === ITEM_USER_INFORMATION) {
      userInformation++;
      readUserInformation(item.value, request);
    }
    // PS3.8 9.3.1: items of other types are ignored.
  }
  if (applicationContexts !== 1) throw new MalformedRequest(`${applicationContexts} application context items instead of one`);
  if (userInformation > 1) throw new MalformedRequest(`${userInformation} user information items`);
  if (request.contexts.length === 0) throw new MalformedRequest('no presentation context proposed');
  request.contexts.sort((a, b) => a.id - b.id);
  return { request, contextItems };
}

function readPresentationContext(value: Buffer): ProposedContext {
  if (value.length < 4) throw new MalformedRequest(`presentation context item of ${value.length} bytes`);
  const id = value.readUInt8(0);
  if (id % 2 === 0) throw new MalformedRequest(`presentation context ID ${id} is not an odd number from 1 to 255`);
  let abstractSyntax: string | undefined;
  const transferSyntaxes: string[] = [];
  for (const sub of readItems(value, 4, value.length, `presentation context ${id}`)) {
    if (sub.type === ITEM_ABSTRACT_SYNTAX) {
      if (abstractSyntax !== undefined) throw new MalformedRequest(`presentation context ${id} has two abstract syntaxes`);
      abstractSyntax = uidText(sub.value);
    } else if (sub.type === ITEM_TRANSFER_SYNTAX) {
      transferSyntaxes.push(uidText(sub.value));
    } else {
      throw new MalformedRequest(`presentation context ${id} holds an item of type 0x${sub.type.toString(16)}`);
    }
  }
  if (!abstractSyntax) throw new MalformedRequest(`presentation context ${id} has no abstract syntax`);
  if (transferSyntaxes.length === 0) throw new MalformedRequest(`presentation context ${id} proposes no transfer syntax`);
  return { id, abstractSyntax, transferSyntaxes };
}

/**
 * The user information sub-items (PS3.7 D.3.3). Those dcmjs-dimse reads field by field are checked
 * to be exactly as long as their fields: it reads them by their inner lengths, so a sub-item whose
 * inner lengths disagree with its own made it read past the PDU.
 */
function readUserInformation(value: Buffer, request: AssociateRequest): void {
  for (const sub of readItems(value, 0, value.length, 'user information')) {
    const v = sub.value;
    switch (sub.type) {
      case SUBITEM_MAX_LENGTH:
        if (v.length !== 4) throw new MalformedRequest(`maximum length sub-item of ${v.length} bytes instead of 4`);
        request.maxPduLength = v.readUInt32BE(0);
        break;
      case SUBITEM_IMPLEMENTATION_CLASS:
        request.implementationClassUid = uidText(v);
        break;
      case SUBITEM_IMPLEMENTATION_VERSION:
        if (v.length > 16) throw new MalformedRequest(`implementation version name of ${v.length} bytes (16 at most)`);
        request.implementationVersionName = v.toString('latin1').trim();
        break;
      case SUBITEM_ASYNC_OPERATIONS:
        if (v.length !== 4) throw new MalformedRequest(`asynchronous operations sub-item of ${v.length} bytes instead of 4`);
        break;
      case SUBITEM_ROLE_SELECTION: {
        const uidLength = v.length >= 2 ? v.readUInt16BE(0) : -1;
        if (uidLength < 0 || v.length !== 2 + uidLength + 2)
          throw new MalformedRequest(`role selection sub-item of ${v.length} bytes does not hold its ${uidLength}-byte UID and two roles`);
        uidText(v.subarray(2, 2 + uidLength));
        break;
      }
      case SUBITEM_USER_IDENTITY: {
        const primary = v.length >= 4 ? v.readUInt16BE(2) : -1;
        const secondary = primary >= 0 && v.length >= 6 + primary ? v.readUInt16BE(4 + primary) : -1;
        if (secondary < 0 || v.length !== 6 + primary + secondary)
          throw new MalformedRequest(`user identity sub-item of ${v.length} bytes does not match the lengths of its fields`);
        break;
      }
      // Other sub-items (extended negotiation) are skipped whole by dcmjs-dimse.
    }
  }
}

interface Item {
  type: number;
  value: Buffer;
  /** The item with its 4-byte header. */
  whole: Buffer;
}

/** The items between start and end: type, reserved byte, 2-byte length, value; they must fill the range exactly. */
function readItems(buffer: Buffer, start: number, end: number, where: string): Item[] {
  const items: Item[] = [];
  let offset = start;
  while (offset < end) {
    if (end - offset < 4) throw new MalformedRequest(`${where}: ${end - offset} bytes left, too few for an item header`);
    const type = buffer.readUInt8(offset);
    const length = buffer.readUInt16BE(offset + 2);
    if (offset + 4 + length > end)
      throw new MalformedRequest(`${where}: item of type 0x${type.toString(16)} announces ${length} bytes, ${end - offset - 4} are left`);
    items.push({ type, value: buffer.subarray(offset + 4, offset + 4 + length), whole: buffer.subarray(offset, offset + 4 + length) });
    offset += 4 + length;
  }
  return items;
}

/** A UID as carried in an item: ASCII, possibly padded with NUL or space (seen from some implementations). */
function uidText(value: Buffer): string {
  if (value.length > 64) throw new MalformedRequest(`UID of ${value.length} bytes (64 at most)`);
  return value.toString('latin1').replace(/[\0 ]+$/, '');
}

/** The PDU with its presentation context items in ascending ID order, every other item where it was. */
function canonicalRequest(pdu: Buffer, contextItems: Map<number, Buffer>): Buffer {
  const original = [...contextItems.keys()];
  const sortedIds = [...original].sort((a, b) => a - b);
  if (original.every((id, i) => id === sortedIds[i])) return pdu;
  // Rebuild: the fixed part, then the items with the context items replaced in sorted order
  // (readAssociateRequest put each context item of this PDU in the map, every ID once).
  const sortedItems = [...contextItems].sort(([a], [b]) => a - b).map(([, whole]) => whole);
  const parts: Buffer[] = [pdu.subarray(0, 6 + FIXED_FIELDS)];
  let next = 0;
  for (const item of readItems(pdu, 6 + FIXED_FIELDS, pdu.length, 'A-ASSOCIATE-RQ')) {
    if (item.type !== ITEM_PRESENTATION_CONTEXT) {
      parts.push(item.whole);
      continue;
    }
    const contextItem = sortedItems[next++];
    if (!contextItem) throw new Error('A-ASSOCIATE-RQ: more presentation context items than were read from it');
    parts.push(contextItem);
  }
  return Buffer.concat(parts);
}
