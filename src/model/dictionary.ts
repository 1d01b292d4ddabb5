/**
 * The DICOM data dictionary, from dcmjs (the one source of truth for keywords, tags and VRs).
 */
import { dcmjs } from './dcmjs.js';

export interface AttributeDefinition {
  keyword: string;
  /** 8 upper-case hex digits, as used as DICOM JSON keys. */
  tag: string;
  vr: string;
  vm: string;
}

const { DicomMetaDictionary } = dcmjs.data;

export function lookupKeyword(keyword: string): AttributeDefinition | undefined {
  // nameMap is a plain object: "constructor" or "toString" would find Object.prototype's members.
  if (!Object.hasOwn(DicomMetaDictionary.nameMap, keyword)) return undefined;
  const entry = DicomMetaDictionary.nameMap[keyword];
  if (!entry) return undefined;
  const tag = entry.tag.replace(/[(),]/g, '').toUpperCase();
  // Some entries list alternatives ("US or SS"); the first is the one used for worklists.
  const vr = entry.vr.split(/\s+or\s+|\|/)[0] ?? entry.vr;
  return { keyword, tag, vr, vm: entry.vm };
}

export function lookupTag(tag: string): AttributeDefinition | undefined {
  const key = `(${tag.slice(0, 4)},${tag.slice(4, 8)})`.toUpperCase();
  const entry = DicomMetaDictionary.dictionary[key];
  if (!entry) return undefined;
  return lookupKeyword(entry.name);
}

/** "(0010,0020) PatientID" style label for logs and errors. */
export function describeTag(tag: string): string {
  const t = tag.toUpperCase();
  const label = `(${t.slice(0, 4)},${t.slice(4, 8)})`;
  const def = lookupTag(t);
  return def ? `${label} ${def.keyword}` : label;
}
