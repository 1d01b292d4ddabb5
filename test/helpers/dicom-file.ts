/**
 * DICOM files (findscu's answers, the mirror's .wl files) read in the test process with the
 * bridge's copy of dcmjs, into the tag -> text map the tests assert on. It reads what
 * `dcmdump +U8` printed (the tests read one dcmdump per answer before; a 1,000-answer query spent
 * most of a minute spawning them), with the text decoded here rather than by dcmjs: dcmjs 0.50
 * decodes the text inside sequence items with its default decoder (windows-1252) whatever the
 * Specific Character Set says (seen: a UTF-8 "Übersicht" in an item read as "Ãbersicht"), and its
 * "latin1" is windows-1252, not ISO 8859-1. So dcmjs is made to hand over every text value as its
 * bytes, and the bytes are decoded by the Specific Character Set as DCMTK does, failing where
 * dcmdump +U8 failed ("Cannot convert character encoding").
 */
import { readFileSync } from 'node:fs';
import iconv from 'iconv-lite';
import { dcmjs } from '../../src/model/dcmjs.js';
import { REPERTOIRES } from '../../src/model/encoding.js';

export interface DicomAnswer {
  /**
   * "(0010,0020)" -> value for top-level elements (the file meta group included); "(0040,0100)>(0008,0060)"
   * for nested ones (the last item of a sequence wins). Values as dcmdump printed them: multiple
   * values joined by "\", trailing padding removed, '' for an empty element, '<SQ>' for a sequence.
   * Unlike dcmdump, UIDs are given as numbers (dcmdump printed "=Name" for UIDs it knows) and long
   * values in full (dcmdump shortened them past 64 characters).
   */
  values: Record<string, string>;
}

/** VRs whose text is in the Specific Character Set (PS3.5 6.1.2.3); the others are in the default repertoire. */
const CHARSET_VRS = new Set(['SH', 'LO', 'ST', 'LT', 'UT', 'UC', 'PN']);

/** Specific Character Set defined terms without code extensions -> encodings, as DCMTK converts them. */
const ENCODINGS: Readonly<Record<string, string>> = {
  '': 'ascii',
  ...REPERTOIRES,
  // Beyond the bridge's own answer repertoires: what DCMTK also converts (a peer's files).
  'ISO_IR 166': 'tis-620',
  GB18030: 'gb18030',
  GBK: 'gbk',
};

interface Element {
  vr: string;
  Value?: unknown[] | null;
  _rawValue?: unknown;
}
type Dataset = Record<string, Element>;

// Functions of the object they are called on (not bound methods): readFaithfully swaps them on the prototypes.
interface ReadBufferStream {
  readEncodedString: (this: ReadBufferStream, length: number) => string;
  readAsciiString: (this: ReadBufferStream, length: number) => string;
}
interface ValueRepresentation {
  fixed?: boolean;
  maxLength?: number;
  read: (this: ValueRepresentation, stream: unknown, length: number, ...rest: unknown[]) => unknown;
}
const data = dcmjs.data as unknown as { ReadBufferStream: { prototype: ReadBufferStream }; ValueRepresentation: { prototype: ValueRepresentation } };
const streamPrototype = data.ReadBufferStream.prototype;
const vrPrototype = data.ValueRepresentation.prototype;

/**
 * Reads a Part 10 file with dcmjs, with two of its readers changed while this runs (synchronously,
 * so nothing else in the process sees them): every text value comes as its bytes (one char per
 * byte), and a zero-length element of a fixed-length VR (US, UL, FL...) comes empty, where dcmjs
 * would give the value 0 (dcmdump: "no value available").
 */
function readFaithfully(bytes: Buffer): { meta: Dataset; dict: Dataset } {
  const decoding = streamPrototype.readEncodedString;
  const read = vrPrototype.read;
  streamPrototype.readEncodedString = streamPrototype.readAsciiString;
  vrPrototype.read = function (stream, length, ...rest) {
    if (this.fixed && this.maxLength && !length) return { rawValue: [], value: [] };
    return read.call(this, stream, length, ...rest);
  };
  try {
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const file = dcmjs.data.DicomMessage.readFile(buffer, {
      ignoreErrors: false,
      untilTag: null,
      includeUntilTagValue: false,
      noCopy: false,
      forceStoreRaw: true,
    });
    return { meta: file.meta, dict: file.dict };
  } finally {
    streamPrototype.readEncodedString = decoding;
    vrPrototype.read = read;
  }
}

/** Decodes the bytes of a text value; throws where DCMTK's conversion to UTF-8 fails. */
function decodeText(byteString: string, encoding: string, where: string): string {
  const bytes = Buffer.from(byteString, 'latin1');
  if (encoding === 'ascii') {
    if (bytes.some((b) => b > 0x7f)) throw new Error(`${where}: a byte above 0x7F without a Specific Character Set (dcmdump +U8: cannot convert)`);
    return byteString;
  }
  if (encoding === 'utf-8') {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new Error(`${where}: not valid UTF-8 although the Specific Character Set is ISO_IR 192`);
    }
  }
  const text = iconv.decode(bytes, encoding);
  if (text.includes('\ufffd')) throw new Error(`${where}: a byte undefined in ${encoding}`);
  return text;
}

function rawStrings(element: Element): string[] | undefined {
  const raw = element._rawValue;
  if (typeof raw === 'string') return [raw];
  if (Array.isArray(raw) && raw.every((v) => typeof v === 'string')) return raw;
  return undefined;
}

function hexBytes(values: unknown[], wordBytes: number): string {
  const parts: string[] = [];
  for (const v of values) {
    if (!(v instanceof ArrayBuffer)) continue;
    const bytes = Buffer.from(v);
    for (let i = 0; i + wordBytes <= bytes.length; i += wordBytes)
      parts.push((wordBytes === 2 ? bytes.readUInt16LE(i) : bytes[i]!).toString(16).padStart(wordBytes * 2, '0'));
  }
  return parts.join('\\');
}

/** An element's value as text, as dcmdump printed it (see DicomAnswer). */
function valueText(element: Element, encoding: string | undefined, where: string): string {
  const values = element.Value ?? [];
  if (['OB', 'UN', 'OW'].includes(element.vr)) return hexBytes(values, element.vr === 'OW' ? 2 : 1);
  if (['US', 'UL', 'SS', 'SL', 'FL', 'FD', 'SV', 'UV'].includes(element.vr)) return values.map(String).join('\\');
  if (element.vr === 'AT')
    return values
      .map((v) => {
        const hex = Number(v).toString(16).padStart(8, '0');
        return `(${hex.slice(0, 4)},${hex.slice(4)})`;
      })
      .join('\\');
  const strings = rawStrings(element) ?? values.map((v) => String(v));
  let text = strings.join('\\');
  if (encoding !== undefined && CHARSET_VRS.has(element.vr)) text = decodeText(text, encoding, where);
  return text.replace(/[\s\0]+$/, '');
}

/** The Specific Character Set of a data set as stored (dcmjs rewrites its Value to ISO_IR 192). */
function storedCharacterSet(dict: Dataset): string | undefined {
  const element = dict['00080005'];
  if (!element) return undefined;
  return (rawStrings(element) ?? []).join('\\').trim();
}

/**
 * Reads a DICOM file into tag -> value: text converted to UTF-8 (as dcmdump +U8, which also reports
 * the Specific Character Set as ISO_IR 192, adding it where there was none), or with utf8: false as
 * sent: the bytes of every value as latin1 characters, the Specific Character Set as stored.
 */
export function readDicomFile(path: string, opts: { utf8?: boolean } = {}): DicomAnswer {
  const utf8 = opts.utf8 ?? true;
  const bytes = readFileSync(path);
  const { meta, dict } = readFaithfully(bytes);
  let encoding: string | undefined;
  if (utf8) {
    const term = storedCharacterSet(dict) ?? '';
    encoding = ENCODINGS[term];
    if (encoding === undefined)
      throw new Error(`${path}: Specific Character Set "${term}" is not one this reader converts (code extensions are not supported)`);
  }
  const values: Record<string, string> = {};
  // dcmjs reads File Meta Information Group Length to find the group's end and leaves it out.
  if (bytes.toString('latin1', 132, 138) === '\x02\x00\x00\x00UL') values['(0002,0000)'] = String(bytes.readUInt32LE(140));
  const walk = (dataset: Dataset, prefix: string): void => {
    for (const [tag, element] of Object.entries(dataset)) {
      const key = `${prefix}(${tag.slice(0, 4)},${tag.slice(4)})`.toLowerCase();
      if (element.vr === 'SQ') {
        values[key] = '<SQ>';
        for (const item of element.Value ?? []) walk(item as Dataset, `${key}>`);
      } else if (tag === '00080005' && !prefix) {
        values[key] = utf8 ? 'ISO_IR 192' : storedCharacterSet(dict)!;
      } else {
        values[key] = valueText(element, encoding, `${path} ${key}`);
      }
    }
  };
  walk(meta, '');
  walk(dict, '');
  if (utf8) values['(0008,0005)'] = 'ISO_IR 192';
  return { values };
}
