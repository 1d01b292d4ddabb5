/**
 * Data sets written in the Native DICOM Model of PS3.19 A.1 (application/dicom+xml), from the same
 * DICOM JSON the search answers with: one DicomAttribute per element (tag, vr, keyword, and
 * privateCreator for private ones), Value, PersonName (its components by name), Item, InlineBinary
 * and BulkData children, numbered from 1. No npm library writes this model (dcmjs reads and writes
 * DICOM JSON and Part 10 only), so it is written here; the output has the shape DCMTK's
 * `dcm2xml --native-format --use-xml-namespace` gives (checked in test/unit/native-dicom-xml.test.ts).
 */
import { lookupTag } from '../model/dictionary.js';
import type { DicomJson, DicomJsonElement } from '../model/item.js';

export const DICOM_XML = 'application/dicom+xml';
const NAMESPACE = 'http://dicom.nema.org/PS3.19/models/NativeDICOM';

/** A person name's component groups and their components, in order (PS3.19 A.1.5 PersonName). */
const PN_GROUPS = ['Alphabetic', 'Ideographic', 'Phonetic'] as const;
const PN_COMPONENTS = ['FamilyName', 'GivenName', 'MiddleName', 'NamePrefix', 'NameSuffix'] as const;

/** One data set as a whole XML document. */
export function nativeDicomXml(dataset: DicomJson): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n', `<NativeDicomModel xml:space="preserve" xmlns="${NAMESPACE}">\n`];
  writeDataset(dataset, out);
  out.push('</NativeDicomModel>\n');
  return out.join('');
}

function writeDataset(dataset: DicomJson, out: string[]): void {
  const tags = Object.keys(dataset).sort();
  for (const tag of tags) {
    const element = dataset[tag];
    if (element) writeAttribute(tag.toUpperCase(), element, dataset, out);
  }
}

function writeAttribute(tag: string, element: DicomJsonElement, dataset: DicomJson, out: string[]): void {
  const keyword = lookupTag(tag)?.keyword;
  const creator = privateCreatorOf(tag, dataset);
  // A private element is named by its creator and the low byte of its element number (PS3.19 A.1.1).
  let attributes = `tag="${creator === undefined ? tag : `${tag.slice(0, 4)}00${tag.slice(6)}`}" vr="${escapeXml(element.vr)}"`;
  if (keyword) attributes += ` keyword="${keyword}"`;
  if (creator !== undefined) attributes += ` privateCreator="${escapeXml(creator)}"`;
  const children: string[] = [];
  const values = element.Value ?? [];
  values.forEach((value, i) => {
    const number = i + 1;
    if (element.vr === 'SQ') {
      children.push(`<Item number="${number}">\n`);
      if (value && typeof value === 'object') writeDataset(value as DicomJson, children);
      children.push('</Item>\n');
    } else if (element.vr === 'PN') children.push(personName(value, number));
    else children.push(`<Value number="${number}">${value === null ? '' : escapeXml(scalarText(value))}</Value>\n`);
  });
  const binary = element as { InlineBinary?: unknown; BulkDataURI?: unknown };
  if (typeof binary.InlineBinary === 'string') children.push(`<InlineBinary>${escapeXml(binary.InlineBinary)}</InlineBinary>\n`);
  if (typeof binary.BulkDataURI === 'string') children.push(`<BulkData uri="${escapeXml(binary.BulkDataURI)}"/>\n`);
  out.push(`<DicomAttribute ${attributes}>\n${children.join('')}</DicomAttribute>\n`);
}

/** A PersonName element: each group present, each non-empty component by its name. */
function personName(value: unknown, number: number): string {
  const groups = typeof value === 'string' ? { Alphabetic: value } : ((value ?? {}) as Partial<Record<(typeof PN_GROUPS)[number], string>>);
  let xml = `<PersonName number="${number}">\n`;
  for (const group of PN_GROUPS) {
    const text = groups[group];
    if (typeof text !== 'string' || text === '') continue;
    xml += `<${group}>\n`;
    text.split('^').forEach((component, i) => {
      const name = PN_COMPONENTS[i];
      if (name && component !== '') xml += `<${name}>${escapeXml(component)}</${name}>\n`;
    });
    xml += `</${group}>\n`;
  }
  return `${xml}</PersonName>\n`;
}

function scalarText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** The Private Creator of a private element (odd group, element 1000-FFFF): the value of (gggg,00xx). */
function privateCreatorOf(tag: string, dataset: DicomJson): string | undefined {
  const group = Number.parseInt(tag.slice(0, 4), 16);
  const element = Number.parseInt(tag.slice(4), 16);
  if (group % 2 === 0 || element < 0x1000) return undefined;
  const creator = dataset[`${tag.slice(0, 4)}00${tag.slice(4, 6)}`]?.Value?.[0];
  return typeof creator === 'string' ? creator : undefined;
}

/**
 * Text as XML 1.0 character data: markup characters escaped, and characters XML 1.0 cannot carry
 * (controls other than tab, line feed and carriage return; lone surrogates) as U+FFFD.
 */
export function escapeXml(text: string): string {
  return text
    .replace(/(?![\t\n\r])(?=\p{ASCII})\p{Cc}|[\ufffe\uffff]|\p{Cs}/gu, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\r/g, '&#13;');
}

/** Results as the parts of a multipart/related; type="application/dicom+xml" body (PS3.18 8.7.3.2, 8.6.1.2). */
export function multipartDicomXml(datasets: DicomJson[], boundary: string): Buffer {
  const parts = datasets.map((d) => `--${boundary}\r\nContent-Type: ${DICOM_XML}\r\n\r\n${nativeDicomXml(d)}\r\n`);
  return Buffer.from(`${parts.join('')}--${boundary}--\r\n`, 'utf8');
}

/** The Content-Type of such a body. */
export function multipartDicomXmlType(boundary: string): string {
  return `multipart/related; type="${DICOM_XML}"; boundary=${boundary}`;
}
