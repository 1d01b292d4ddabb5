/**
 * Named converters from HL7 data types to DICOM values. Each takes the components of one field
 * repetition (escape sequences already decoded) and returns the DICOM string, '' for no value.
 */

export type Components = string[][];

export type ConverterName = 'text' | 'pn' | 'xcn' | 'date' | 'time' | 'datetime';

export const converters: Record<ConverterName, (comps: Components) => string> = {
  /** First subcomponent of the first component. */
  text: (c) => sub(c, 1),
  /** XPN (family^given^middle^suffix^prefix^degree) -> PN (family^given^middle^prefix^suffix). */
  pn: (c) => personName(sub(c, 1), sub(c, 2), sub(c, 3), sub(c, 5), joinNonEmpty(sub(c, 4), sub(c, 6))),
  /** XCN (id^family^given^middle^suffix^prefix^degree) -> PN. */
  xcn: (c) => personName(sub(c, 2), sub(c, 3), sub(c, 4), sub(c, 6), joinNonEmpty(sub(c, 5), sub(c, 7))),
  /**
   * TS/DTM YYYY[MM[DD[HH[MM[SS[.S]]]]]][+/-ZZZZ] -> DA YYYYMMDD ('' when the day is not given). Text
   * that is not a DTM (2013-08-24 17:00, 02282020_150014), or one with a part out of range
   * (20261123250000), is passed on as it is, for the VR check to refuse (and a fallback chain to
   * try its next source): cutting it to 8 characters would store a wrong date.
   */
  date: (c) => {
    const ts = sub(c, 1);
    const m = dtm(ts);
    if (!m) return ts;
    const [, year, month, day] = m;
    return year !== undefined && month !== undefined && day !== undefined ? year + month + day : '';
  },
  /** TS/DTM -> TM HHMM[SS[.FFFF]] ('' when no hour and minute are given; other text as it is). */
  time: (c) => {
    const ts = sub(c, 1);
    const m = dtm(ts);
    if (!m) return ts;
    const [, , , , hour, minute, second = '', fraction = ''] = m;
    return hour !== undefined && minute !== undefined ? hour + minute + second + fraction : '';
  },
  /** TS/DTM -> DT, keeping the precision sent and the UTC offset (other text as it is). */
  datetime: (c) => sub(c, 1),
};

/** Steps applied, in order, to a value after conversion. */
export type TransformStep =
  | { kind: 'trim' }
  | { kind: 'upper' }
  | { kind: 'lower' }
  /** entries: code -> value (one column of the table); patterns: regular expressions tried in order when no code matches. */
  | {
      kind: 'lookup';
      table: string;
      entries: ReadonlyMap<string, string>;
      patterns?: readonly { pattern: RegExp; value: string }[];
      otherwise: 'keep' | 'empty';
    }
  | { kind: 'replace'; pattern: RegExp; with: string };

export function applySteps(value: string, steps: readonly TransformStep[]): string {
  let v = value;
  for (const step of steps) {
    switch (step.kind) {
      case 'trim':
        v = v.trim();
        break;
      case 'upper':
        v = v.toUpperCase();
        break;
      case 'lower':
        v = v.toLowerCase();
        break;
      case 'lookup': {
        const hit = step.entries.get(v) ?? step.entries.get(v.trim().toUpperCase()) ?? step.patterns?.find((p) => p.pattern.test(v))?.value;
        v = hit ?? (step.otherwise === 'keep' ? v : '');
        break;
      }
      case 'replace':
        v = v.replace(step.pattern, step.with);
        break;
    }
  }
  return v;
}

export function isConverterName(name: string): name is ConverterName {
  return Object.prototype.hasOwnProperty.call(converters, name);
}

function sub(comps: Components, component: number): string {
  // Only the first subcomponent counts (e.g. FN.1 surname); others such as FN.2 are not leaked.
  return (comps[component - 1]?.[0] ?? '').trim();
}

/** HL7 DTM: YYYY[MM[DD[HH[MM[SS[.S...]]]]]]][+/-ZZZZ] (up to 6 fraction digits, as DICOM TM), each part only after the one before it. */
const DTM = /^(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(\.\d{1,6})?)?)?)?)?)?([+-]\d{4})?$/;

/**
 * The parts of a DTM whose every part is in range (month 01-12, day 01-31 as DCMTK checks, hour
 * 00-23, minute and second 00-59, offset up to 14 hours), else undefined: a value is read whole or
 * not at all, so that a start date is never taken from a date-time whose time is broken.
 */
function dtm(text: string): RegExpExecArray | undefined {
  const m = DTM.exec(text);
  if (!m) return undefined;
  const [, , month, day, hour, minute, second, , offset] = m;
  const within = (part: string | undefined, min: number, max: number): boolean => part === undefined || (Number(part) >= min && Number(part) <= max);
  const offsetOk = offset === undefined || (Number(offset.slice(1, 3)) <= 14 && Number(offset.slice(3)) <= 59);
  return within(month, 1, 12) && within(day, 1, 31) && within(hour, 0, 23) && within(minute, 0, 59) && within(second, 0, 59) && offsetOk ? m : undefined;
}

function joinNonEmpty(...parts: string[]): string {
  return parts.filter((p) => p !== '').join(' ');
}

/** DICOM PN from its five components, without trailing empty ones. */
function personName(family: string, given: string, middle: string, prefix: string, suffix: string): string {
  return [family, given, middle, prefix, suffix].join('^').replace(/\^+$/, '');
}
