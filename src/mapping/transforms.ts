/**
 * Named converters from HL7 data types to DICOM values. Each takes the components of one field
 * repetition (escape sequences already decoded) and returns the DICOM string, '' for no value.
 */

export type Components = string[][];

export type ConverterName = 'text' | 'pn' | 'xcn' | 'date' | 'time';

export const converters: Record<ConverterName, (comps: Components) => string> = {
  /** First subcomponent of the first component. */
  text: (c) => sub(c, 1),
  /** XPN (family^given^middle^suffix^prefix^degree) -> PN (family^given^middle^prefix^suffix). */
  pn: (c) => personName(sub(c, 1), sub(c, 2), sub(c, 3), sub(c, 5), joinNonEmpty(sub(c, 4), sub(c, 6))),
  /** XCN (id^family^given^middle^suffix^prefix^degree) -> PN. */
  xcn: (c) => personName(sub(c, 2), sub(c, 3), sub(c, 4), sub(c, 6), joinNonEmpty(sub(c, 5), sub(c, 7))),
  /** TS/DTM YYYY[MM[DD[HH[MM[SS[.S]]]]]][+/-ZZZZ] -> DA YYYYMMDD ('' when the day is not given). */
  date: (c) => {
    const digits = tsDigits(sub(c, 1));
    return digits.length >= 8 ? digits.slice(0, 8) : '';
  },
  /** TS/DTM -> TM HHMM[SS[.FFFFFF]] ('' when no hour and minute are given). */
  time: (c) => {
    const ts = sub(c, 1).trim().replace(/[+-]\d{4}$/, '');
    const m = /^\d{8}(\d{4}(?:\d{2}(?:\.\d{1,6})?)?)/.exec(ts);
    return m ? m[1]! : '';
  },
};

export function isConverterName(name: string): name is ConverterName {
  return Object.prototype.hasOwnProperty.call(converters, name);
}

function sub(comps: Components, component: number): string {
  // Subcomponents other than the first (e.g. FN.2 own surname prefix) are not leaked into the name.
  return (comps[component - 1]?.[0] ?? '').trim();
}

function tsDigits(ts: string): string {
  return ts.trim().replace(/[+-]\d{4}$/, '').replace(/\..*$/, '');
}

function joinNonEmpty(...parts: string[]): string {
  return parts.filter((p) => p !== '').join(' ');
}

/** DICOM PN from its five components, without trailing empty ones. */
function personName(family: string, given: string, middle: string, prefix: string, suffix: string): string {
  return [family, given, middle, prefix, suffix].join('^').replace(/\^+$/, '');
}
