/**
 * DICOM data sets (DICOM JSON) to bytes with dcmjs, and text in a repertoire other than UTF-8, for
 * modalities and files with an older Specific Character Set (e.g. ISO_IR 100). dcmjs writes every text value as UTF-8 whatever the dataset
 * declares (measured: an answer declared ISO_IR 100 arrived as "MÃ\x9cLLER"), so text values are
 * encoded here with iconv-lite and handed to dcmjs as byte strings (one char per byte), which
 * AnswerDataset writes byte for byte. Characters the repertoire lacks are replaced by "?" and
 * reported, never dropped silently.
 */
import iconv from 'iconv-lite';
import { dcmjs } from './dcmjs.js';
import type { DicomJson, DicomJsonElement, PersonNameValue } from './item.js';
import { encodeTextElement } from './text-element.js';

/** DICOM Specific Character Set defined terms (single-byte, no code extensions) -> iconv-lite encodings. */
export const REPERTOIRES = {
  'ISO_IR 6': 'ascii',
  'ISO_IR 100': 'iso-8859-1',
  'ISO_IR 101': 'iso-8859-2',
  'ISO_IR 109': 'iso-8859-3',
  'ISO_IR 110': 'iso-8859-4',
  'ISO_IR 144': 'iso-8859-5',
  'ISO_IR 127': 'iso-8859-6',
  'ISO_IR 126': 'iso-8859-7',
  'ISO_IR 138': 'iso-8859-8',
  'ISO_IR 148': 'iso-8859-9',
  'ISO_IR 203': 'iso-8859-15',
  'ISO_IR 192': 'utf-8',
} as const satisfies Record<string, string>;

export type CharacterSetTerm = keyof typeof REPERTOIRES;

/** The Specific Character Set defined terms the bridge answers and writes in (single-byte, and UTF-8). */
export const CHARACTER_SET_TERMS = Object.keys(REPERTOIRES) as CharacterSetTerm[];

export function isCharacterSetTerm(term: string): term is CharacterSetTerm {
  return Object.prototype.hasOwnProperty.call(REPERTOIRES, term);
}

/** VRs whose text is encoded with the Specific Character Set. */
const TEXT_VRS = new Set(['SH', 'LO', 'ST', 'LT', 'UT', 'UC', 'PN']);

export interface EncodedAnswer {
  answer: DicomJson;
  /** Attributes whose text had characters the repertoire cannot represent (replaced by "?"). */
  replaced: string[];
}

/** Re-encodes the text of an answer into a repertoire; the result must be written with AnswerDataset (byteStrings). */
export function encodeAnswer(answer: DicomJson, term: CharacterSetTerm): EncodedAnswer {
  if (REPERTOIRES[term] === 'utf-8') return { answer, replaced: [] };
  const replaced: string[] = [];
  const out: DicomJson = {};
  for (const [tag, el] of Object.entries(answer)) out[tag] = elementInRepertoire(tag, el, term, replaced);
  out['00080005'] = { vr: 'CS', Value: [term] };
  return { answer: out, replaced: [...new Set(replaced)] };
}

/**
 * One element with its text re-encoded into a repertoire (a byte string, one char per byte), its
 * sequence items too; the tags of text with characters the repertoire lacks are added to replaced.
 */
export function elementInRepertoire(tag: string, el: DicomJsonElement, term: CharacterSetTerm, replaced: string[]): DicomJsonElement {
  const encoding = REPERTOIRES[term];
  const toBytes = (text: string, at: string): string => {
    const bytes = iconv.encode(text, encoding);
    if (iconv.decode(bytes, encoding) !== text) replaced.push(at);
    return bytes.toString('latin1');
  };
  const convert = (at: string, element: DicomJsonElement): DicomJsonElement => {
    if (!element.Value) return element;
    if (element.vr === 'SQ') {
      return {
        ...element,
        Value: element.Value.map((item) => {
          const out: DicomJson = {};
          for (const [t, e] of Object.entries(item as DicomJson)) out[t] = convert(t, e);
          return out;
        }),
      };
    }
    if (!TEXT_VRS.has(element.vr)) return element;
    return {
      ...element,
      Value: element.Value.map((v) => {
        if (typeof v === 'string') return toBytes(v, at);
        if (element.vr === 'PN' && v && typeof v === 'object') {
          const pn = v as PersonNameValue;
          return Object.fromEntries(Object.entries(pn).map(([k, s]) => [k, typeof s === 'string' ? toBytes(s, at) : s]));
        }
        return v;
      }),
    };
  };
  return convert(tag, el);
}

const { WriteBufferStream } = dcmjs.data;

/**
 * Runs fn (which encodes a dataset synchronously with dcmjs) with dcmjs's UTF-8 string writer
 * swapped for its byte writer, so byte strings from encodeAnswer are written byte for byte.
 */
export function withByteStringWriter<T>(fn: () => T): T {
  const proto = WriteBufferStream.prototype;
  const utf8 = proto.writeUTF8String;
  proto.writeUTF8String = proto.writeAsciiString;
  try {
    return fn();
  } finally {
    proto.writeUTF8String = utf8;
  }
}

/**
 * A deep copy of a dataset as dcmjs's writer needs it: it consumes what it writes, and a
 * zero-length element must carry an empty Value array (DICOM JSON leaves Value out).
 */
export function writableCopy(dataset: DicomJson): DicomJson {
  const out: DicomJson = {};
  for (const [tag, el] of Object.entries(dataset)) {
    const values = el.Value ?? [];
    out[tag] = { vr: el.vr, Value: el.vr === 'SQ' ? values.map((item) => writableCopy(item as DicomJson)) : structuredClone(values) };
  }
  return out;
}

/**
 * Encoded elements by content: a data set's encoding is its elements' encodings in tag order, and
 * answers repeat many elements (modality, station, dates, zero-length keys; the same items when
 * modalities poll the same query), while dcmjs's writer spends tens of microseconds per element
 * (measured: ~290 us per answer of 4-5 new elements).
 * Bounded: cleared when full.
 */
const encodedElements = new Map<string, Buffer>();
const MAX_ENCODED_ELEMENTS = 20000;
/**
 * First buffer of the stream an element is written to. dcmjs's default is 256 KiB, allocated and
 * zeroed for every stream, so a long answer left tens of MB of garbage buffers behind (measured,
 * 20,000 distinct answers: array buffers 41 -> 2 MB, peak RSS 238 -> ~180 MB, 345 -> 288 us per
 * answer). The stream grows by further buffers of this size when an element is longer.
 */
const ELEMENT_STREAM_BYTES = 1024;

/** Encodes a data set (DICOM JSON) with dcmjs, element by element, reusing identical elements. */
export function encodeDataset(dataset: DicomJson, transferSyntaxUid: string, byteStrings: boolean, writeOptions: Record<string, unknown> = {}): Buffer {
  const parts: Buffer[] = [];
  for (const [tag, element] of Object.entries(dataset).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    parts.push(encodeElementByContent(tag, element, transferSyntaxUid, byteStrings, writeOptions));
  }
  return Buffer.concat(parts);
}

/** One element's encoding, reused for an identical element (same tag, VR and values). */
export function encodeElementByContent(
  tag: string,
  element: DicomJsonElement,
  transferSyntaxUid: string,
  byteStrings: boolean,
  writeOptions: Record<string, unknown> = {},
): Buffer {
  // A text element is written faster than it is looked up (the key alone is a JSON.stringify).
  const text = plainTextElement(tag, element, transferSyntaxUid, byteStrings, writeOptions);
  if (text) return text;
  const key = `${transferSyntaxUid}|${byteStrings ? 'b' : 'u'}|${tag}|${JSON.stringify(element)}`;
  let bytes = encodedElements.get(key);
  if (!bytes) {
    bytes = encodeElementWithDcmjs(tag, element, transferSyntaxUid, byteStrings, writeOptions);
    if (encodedElements.size >= MAX_ENCODED_ELEMENTS) encodedElements.clear();
    encodedElements.set(key, bytes);
  }
  return bytes;
}

/** A text element written by text-element.ts: only without dcmjs write options, which it does not know. */
function plainTextElement(
  tag: string,
  element: DicomJsonElement,
  transferSyntaxUid: string,
  byteStrings: boolean,
  writeOptions: Record<string, unknown>,
): Buffer | undefined {
  for (const _ in writeOptions) return undefined;
  return encodeTextElement(tag, element, transferSyntaxUid, byteStrings);
}

/** One element's encoding (not cached): a text element by text-element.ts, others by dcmjs. */
export function encodeElement(
  tag: string,
  element: DicomJsonElement,
  transferSyntaxUid: string,
  byteStrings: boolean,
  writeOptions: Record<string, unknown> = {},
): Buffer {
  return (
    plainTextElement(tag, element, transferSyntaxUid, byteStrings, writeOptions) ??
    encodeElementWithDcmjs(tag, element, transferSyntaxUid, byteStrings, writeOptions)
  );
}

/** One element's encoding, written by dcmjs (not cached): the reference text-element.ts is checked against. */
export function encodeElementWithDcmjs(
  tag: string,
  element: DicomJsonElement,
  transferSyntaxUid: string,
  byteStrings: boolean,
  writeOptions: Record<string, unknown> = {},
): Buffer {
  const write = (): Buffer => {
    const stream = new WriteBufferStream(ELEMENT_STREAM_BYTES);
    dcmjs.data.DicomMessage.write(writableCopy({ [tag]: element }), stream, transferSyntaxUid, writeOptions);
    return Buffer.from(stream.getBuffer());
  };
  return byteStrings ? withByteStringWriter(write) : write();
}

/**
 * The narrowest repertoire that holds every value of a dataset: undefined for plain ASCII,
 * ISO_IR 100 (Latin-1) when that suffices, else ISO_IR 192 (UTF-8). Old readers of worklist files
 * often know Latin-1 but not UTF-8.
 */
export function narrowestCharacterSet(dataset: DicomJson): 'ISO_IR 100' | 'ISO_IR 192' | undefined {
  let widest = 0;
  const visitText = (text: string): void => {
    // Per UTF-16 code unit: a character above U+FFFF is a surrogate pair, both units above 0xFF.
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code > 0xff) widest = 2;
      else if (code > 0x7f && widest < 1) widest = 1;
    }
  };
  const walk = (ds: DicomJson): void => {
    for (const el of Object.values(ds)) {
      for (const v of el.Value ?? []) {
        if (el.vr === 'SQ') walk(v as DicomJson);
        else if (typeof v === 'string') visitText(v);
        else if (el.vr === 'PN' && v && typeof v === 'object') {
          for (const s of Object.values(v as PersonNameValue)) if (typeof s === 'string') visitText(s);
        }
      }
    }
  };
  walk(dataset);
  return widest === 0 ? undefined : widest === 1 ? 'ISO_IR 100' : 'ISO_IR 192';
}
