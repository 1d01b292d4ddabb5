/**
 * The rules of DICOM value representations (PS3.5 6.2), applied to every value before an item is
 * stored: syntax and ranges of dates and times, lengths in characters, the characters each VR
 * allows (none of the control characters in PN, LO, SH, CS, AE; LT, ST and UT allow TAB, LF, FF,
 * CR and ESC, PS3.5 6.1.3), PN structure, UID syntax. Which VR a value has comes from the
 * dictionary (dcmjs), so one table of rules covers every attribute a mapping or a file can carry.
 */
import { lookupTag, type AttributeDefinition } from './dictionary.js';
import type { DicomJson, DicomJsonElement, PersonNameValue } from './item.js';

/** Most characters per value (PN: per component group), PS3.5 Table 6.2-1. */
const MAX_CHARS: Record<string, number> = {
  AE: 16,
  AS: 4,
  CS: 16,
  DA: 8,
  DS: 16,
  DT: 26,
  IS: 12,
  LO: 64,
  LT: 10240,
  PN: 64,
  SH: 16,
  ST: 1024,
  TM: 16,
  UI: 64,
};

/** Any C0 or C1 control character, DEL included (Unicode general category Cc: U+0000-U+001F, U+007F-U+009F). */
const CONTROL = /\p{Cc}/u;
const CONTROLS = /\p{Cc}/gu;
/** Controls the free-text VRs allow: TAB, LF, FF, CR, ESC. */
const TEXT_CONTROLS_ALLOWED = new Set(['\t', '\n', '\f', '\r', '\x1b']);
const TEXT_VRS = new Set(['LT', 'ST', 'UT']);
/** Short strings in which a backslash would split the value. */
const NO_BACKSLASH_VRS = new Set(['AE', 'CS', 'LO', 'PN', 'SH', 'UC']);

const UID = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;
const DT = /^(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:\.\d{1,6})?)?)?)?)?)?([+-]\d{4})?$/;
const TM = /^(\d{2})(?:(\d{2})(?:(\d{2})(?:\.\d{1,6})?)?)?$/;
const DS = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const IS = /^[+-]?\d+$/;

const NUMERIC_RANGES: Record<string, [number, number]> = {
  US: [0, 0xffff],
  SS: [-0x8000, 0x7fff],
  UL: [0, 0xffffffff],
  SL: [-0x80000000, 0x7fffffff],
  FL: [-3.4028234663852886e38, 3.4028234663852886e38],
  FD: [-Number.MAX_VALUE, Number.MAX_VALUE],
};

/** The VR's length limit in characters, if it has one (the truncate policy cuts to it). */
export function maxChars(vr: string): number | undefined {
  return MAX_CHARS[vr];
}

/** Which rule of its VR a text value breaks, or undefined when it is valid. */
export function checkValue(vr: string, value: string): string | undefined {
  if (vr === 'PN') return checkPersonName(value);
  const control = forbiddenControl(vr, value);
  if (control !== undefined) return `${vr} allows no control character ${codePoint(control)}${TEXT_VRS.has(vr) ? ' (only TAB, LF, FF, CR, ESC)' : ''}`;
  // The syntax first (it says more than a length would), then the length.
  const syntax = checkSyntax(vr, value);
  if (syntax) return syntax;
  const max = MAX_CHARS[vr];
  const length = charCount(value);
  if (max !== undefined && length > max) return `${vr} max ${max} characters (got ${length})`;
  if (NO_BACKSLASH_VRS.has(vr) && value.includes('\\')) return `${vr} allows no backslash (it separates values)`;
  return undefined;
}

function checkSyntax(vr: string, value: string): string | undefined {
  switch (vr) {
    case 'AE':
      return /^[\x20-\x7e]*$/.test(value) && value.trim() !== '' ? undefined : 'AE is 1-16 printable ASCII characters, not only spaces';
    case 'AS':
      return /^\d{3}[DWMY]$/.test(value) ? undefined : 'AS is nnnD, nnnW, nnnM or nnnY';
    case 'CS':
      return /^[A-Z0-9 _]*$/.test(value) ? undefined : 'CS allows only A-Z, 0-9, space and _';
    case 'DA':
      return checkDate(value);
    case 'DT':
      return checkDateTime(value);
    case 'TM':
      return checkTime(value);
    case 'DS':
      return DS.test(value.trim()) && Number.isFinite(Number(value.trim())) ? undefined : 'DS is a decimal number, e.g. 72.5 or -1.2E3';
    case 'IS': {
      const n = Number(value.trim());
      return IS.test(value.trim()) && n >= -0x80000000 && n <= 0x7fffffff ? undefined : 'IS is a whole number from -2^31 to 2^31-1';
    }
    case 'UI':
      return UID.test(value) ? undefined : 'UI is digits and dots, no leading zeros';
    case 'UR':
      return /^[^\s]*\s*$/.test(value) ? undefined : 'UR allows no spaces inside the URI';
    default:
      return undefined;
  }
}

/** PN: at most three component groups (=), five components each (^), 64 characters per group, no control characters. */
export function checkPersonName(value: string): string | undefined {
  const control = CONTROL.exec(value);
  if (control) return `PN allows no control character ${codePoint(control[0])}`;
  if (value.includes('\\')) return 'PN allows no backslash (it separates values)';
  const groups = value.split('=');
  if (groups.length > 3) return `PN has at most 3 component groups (alphabetic=ideographic=phonetic), got ${groups.length}`;
  for (const group of groups) {
    const components = group.split('^').length;
    if (components > 5) return `PN has at most 5 components (family^given^middle^prefix^suffix), got ${components}`;
    const length = charCount(group);
    if (length > 64) return `PN max 64 characters per component group (got ${length})`;
  }
  return undefined;
}

function checkDate(value: string): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  if (!m) return 'DA is YYYYMMDD';
  return validDay(Number(m[1]), Number(m[2]), Number(m[3])) ? undefined : 'DA is YYYYMMDD, month 01-12, day 01-31';
}

function checkTime(value: string): string | undefined {
  const m = TM.exec(value.trimEnd());
  if (!m) return 'TM is HH[MM[SS[.FFFFFF]]]';
  return validTime(m[1], m[2], m[3]) ? undefined : 'TM has HH 00-23, MM 00-59, SS 00-60';
}

function checkDateTime(value: string): string | undefined {
  const m = DT.exec(value.trimEnd());
  if (!m) return 'DT is YYYY[MM[DD[HH[MM[SS[.FFFFFF]]]]]][&ZZXX]';
  const [, y, mo, d, h, mi, s, zone] = m;
  if (mo !== undefined && (Number(mo) < 1 || Number(mo) > 12)) return 'DT has a month 01-12';
  if (d !== undefined && !validDay(Number(y), Number(mo), Number(d))) return 'DT has a day 01-31';
  if (h !== undefined && !validTime(h, mi, s)) return 'DT has HH 00-23, MM 00-59, SS 00-60';
  if (zone !== undefined) {
    const hours = Number(zone.slice(1, 3));
    const minutes = Number(zone.slice(3, 5));
    if (hours > 14 || minutes > 59) return 'DT has a UTC offset from -1200 to +1400';
  }
  return undefined;
}

/**
 * Month 01-12 and day 01-31, as DCMTK checks DA (dcmdata vrscan): the day is not checked against its
 * month, because real worklist databases carry such dates (DCMTK's own example worklists have a
 * patient born 17320431) and they must import and answer as they are.
 */
function validDay(_year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

function validTime(h: string | undefined, m: string | undefined, s: string | undefined): boolean {
  return Number(h) <= 23 && (m === undefined || Number(m) <= 59) && (s === undefined || Number(s) <= 60);
}

/** Characters as people count them (code points, so that an astral character is one). */
function charCount(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}

/** The first control character of a value that its VR does not allow. */
function forbiddenControl(vr: string, value: string): string | undefined {
  if (!TEXT_VRS.has(vr)) return CONTROL.exec(value)?.[0];
  for (const [ch] of value.matchAll(CONTROLS)) if (!TEXT_CONTROLS_ALLOWED.has(ch)) return ch;
  return undefined;
}

/** U+XXXX of a control character (one UTF-16 code unit). */
function codePoint(ch: string): string {
  return `U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

export interface ItemProblem {
  /** Keyword path, e.g. "ScheduledProcedureStepSequence[1].ScheduledProcedureStepStartDate". */
  attribute: string;
  tag: string;
  vr: string;
  value: string;
  rule: string;
}

/** Dictionary entries by tag, looked up once (every stored item is checked: measured 20 -> 7 us per item). */
const definitions = new Map<string, AttributeDefinition | undefined>();

function definitionOf(tag: string): AttributeDefinition | undefined {
  if (definitions.has(tag)) return definitions.get(tag);
  const def = lookupTag(tag);
  // Bounded: private tags of imported files are many; the dictionary's are few.
  if (definitions.size < 10000) definitions.set(tag, def);
  return def;
}

/** Every value of an item checked against the rules of its VR (from the dictionary); the problems found. */
export function validateItem(item: DicomJson, prefix = ''): ItemProblem[] {
  const problems: ItemProblem[] = [];
  for (const [tag, element] of Object.entries(item)) {
    const def = definitionOf(tag);
    const name = prefix + (def?.keyword ?? `(${tag.slice(0, 4)},${tag.slice(4)})`);
    const vr = def && def.vr !== 'SQ' && element.vr !== 'SQ' ? def.vr : element.vr;
    if (vr === 'SQ') {
      (element.Value ?? []).forEach((child, i) => {
        if (child && typeof child === 'object' && !isPersonName(child)) problems.push(...validateItem(child as DicomJson, `${name}[${i + 1}].`));
      });
      continue;
    }
    const problem = checkElement(vr, def?.vm, element);
    if (problem) problems.push({ attribute: name, tag, vr, ...problem });
  }
  return problems;
}

/** The first value of an element that breaks its VR's rules (or its multiplicity), if any. */
export function checkElement(vr: string, vm: string | undefined, element: DicomJsonElement): { value: string; rule: string } | undefined {
  const values = element.Value ?? [];
  if (vm === '1' && values.length > 1) return { value: values.map(String).join('\\'), rule: `${vr} takes one value here (got ${values.length})` };
  for (const v of values) {
    // Null is an empty value in DICOM JSON (undefined cannot come from JSON, but is skipped the same).
    if (v == null) continue;
    if (typeof v === 'number') {
      const range = NUMERIC_RANGES[vr];
      if (!Number.isFinite(v) || (range && (v < range[0] || v > range[1]))) return { value: String(v), rule: `${vr} value out of range` };
      continue;
    }
    if (typeof v === 'object') {
      if (vr !== 'PN') return { value: JSON.stringify(v), rule: `${vr} value must be text` };
      for (const group of [(v as PersonNameValue).Alphabetic, (v as PersonNameValue).Ideographic, (v as PersonNameValue).Phonetic]) {
        if (group === undefined) continue;
        const rule = checkPersonName(group);
        if (rule) return { value: group, rule };
      }
      continue;
    }
    const rule = checkValue(vr, v);
    if (rule) return { value: v, rule };
  }
  return undefined;
}

function isPersonName(v: object): boolean {
  return 'Alphabetic' in v || 'Ideographic' in v || 'Phonetic' in v;
}
