/**
 * Text elements (AE, AS, CS, DA, DT, TM, UI; LO, SH, ST, LT, UC, UT, PN) written straight to bytes in
 * the little-endian transfer syntaxes, as dcmjs writes them: dcmjs spends ~10-20 us on one element
 * (a stream, a tag stream, a deep copy), and a many-answer C-FIND over items not kept parsed writes
 * every element of every answer anew (profiled at 10,000 items: two fifths of a universal query).
 * The rules are dcmjs's own (encodeElementWithDcmjs in encoding.ts is the reference; test/unit/text-element.test.ts
 * compares the two): values joined by "\", UTF-8 for the encoded VRs (one byte a character with
 * byteStrings), ASCII for the others, padded to even length with the VR's pad byte, the length
 * checks of dcmjs's VR object. Anything else (other VRs and transfer syntaxes, a value dcmjs would
 * refuse or log, a value that is not a plain string or person name) is left to dcmjs: undefined.
 */
import { dcmjs } from './dcmjs.js';
import type { DicomJsonElement } from './item.js';

const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';
const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';

/** VRs dcmjs writes one byte a character (AsciiStringRepresentation) without a writeBytes of their own. */
const ASCII_VRS = new Set(['AE', 'AS', 'CS', 'DA', 'DT', 'TM', 'UI']);
/** VRs dcmjs writes as UTF-8 (EncodedStringRepresentation); PN after its own joining of components. */
const ENCODED_VRS = new Set(['LO', 'SH', 'ST', 'LT', 'UC', 'UT', 'PN']);

/** What this writer needs of a dcmjs VR object (the same checks its writeBytes makes). */
interface Representation {
  padByte: number;
  maxLength?: number | null;
  maxCharLength?: number;
  checkLength?: (value: string) => boolean;
  isLength32(): boolean;
  allowMultiple(): boolean;
}

const representations = new Map<string, Representation>();

function representation(vr: string): Representation {
  let rep = representations.get(vr);
  if (!rep) {
    const { ValueRepresentation } = dcmjs.data as unknown as { ValueRepresentation: { createByTypeString(vr: string): Representation } };
    rep = ValueRepresentation.createByTypeString(vr);
    representations.set(vr, rep);
  }
  return rep;
}

/** As dcmjs's writeBytes decides validity: invalid values are left to dcmjs (which throws, or logs and writes). */
function valid(rep: Representation, value: string, bytes: number): boolean {
  if (rep.checkLength) return rep.checkLength(value);
  if (rep.maxCharLength) return value.length <= rep.maxCharLength;
  if (rep.maxLength) return bytes <= rep.maxLength;
  return true;
}

function highestCode(text: string): number {
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > max) max = code;
  }
  return max;
}

/** A person name value as dcmjs's pnObjectToString writes one; undefined for what it would treat otherwise. */
function personNameText(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const groups: Record<string, string> = { Alphabetic: '', Ideographic: '', Phonetic: '' };
  for (const [key, group] of Object.entries(value as Record<string, unknown>)) {
    if (!(key in groups) || (typeof group !== 'string' && group !== undefined)) return undefined;
    if (group !== undefined) groups[key] = group;
  }
  const text = `${groups.Alphabetic}=${groups.Ideographic}=${groups.Phonetic}`;
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0x3d) end--;
  return text.slice(0, end);
}

/**
 * The element's encoding as dcmjs writes it, or undefined when it is not a text element this
 * writer takes (dcmjs writes it then). byteStrings: text values are byte strings (one char per byte).
 */
export function encodeTextElement(tag: string, element: DicomJsonElement, transferSyntaxUid: string, byteStrings: boolean): Buffer | undefined {
  const implicit = transferSyntaxUid === IMPLICIT_VR_LITTLE_ENDIAN;
  if (!implicit && transferSyntaxUid !== EXPLICIT_VR_LITTLE_ENDIAN) return undefined;
  const { vr } = element;
  const ascii = ASCII_VRS.has(vr);
  if (!ascii && !ENCODED_VRS.has(vr)) return undefined;
  const values = element.Value;
  if (!values || values.length === 0 || tag.length !== 8) return undefined;
  const rep = representation(vr);
  // One byte a character for the ASCII VRs and byte strings; else UTF-8.
  const latin1 = ascii || byteStrings;
  const limit = ascii ? 0x7f : byteStrings ? 0xff : Infinity;
  let text: string;
  let length: number;
  if (vr === 'PN') {
    const names: string[] = [];
    for (const value of values) {
      const name = personNameText(value);
      if (name === undefined) return undefined;
      names.push(name);
    }
    text = names.join('\\');
    if (highestCode(text) > limit) return undefined;
    length = latin1 ? text.length : Buffer.byteLength(text, 'utf8');
    if (!valid(rep, text, length)) return undefined;
  } else {
    length = 0;
    for (const value of values) {
      if (typeof value !== 'string' || highestCode(value) > limit) return undefined;
      const bytes = latin1 ? value.length : Buffer.byteLength(value, 'utf8');
      if (!valid(rep, value, bytes)) return undefined;
      length += bytes;
    }
    if (!rep.allowMultiple() && values.length > 1) return undefined;
    length += values.length - 1;
    text = values.length === 1 ? (values[0] as string) : (values as string[]).join('\\');
  }
  const padded = length + (length & 1);
  const length32 = rep.isLength32();
  // dcmjs writes a longer value of a 16-bit-length VR as UN: left to it.
  if (!implicit && !length32 && padded >= 0x10000) return undefined;
  const header = implicit ? 8 : length32 ? 12 : 8;
  const out = Buffer.allocUnsafe(header + padded);
  out.writeUInt16LE(parseInt(tag.slice(0, 4), 16), 0);
  out.writeUInt16LE(parseInt(tag.slice(4), 16), 2);
  if (implicit) out.writeUInt32LE(padded, 4);
  else {
    out.write(vr, 4, 'latin1');
    if (length32) {
      out.writeUInt16LE(0, 6);
      out.writeUInt32LE(padded, 8);
    } else out.writeUInt16LE(padded, 6);
  }
  out.write(text, header, latin1 ? 'latin1' : 'utf8');
  if (padded !== length) out[header + length] = rep.padByte;
  return out;
}
