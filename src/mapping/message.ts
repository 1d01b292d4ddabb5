/**
 * The parsed HL7 v2 message the mapping engine reads: plain data, built by hl7/message.ts from the
 * bytes. Values are kept escaped as received; `fieldValue` decodes escape sequences on access.
 */
import { Hl7Error } from '../model/hl7-error.js';

/** A field: repetitions -> components -> subcomponents. */
export type Hl7Field = string[][][];

export interface Hl7Segment {
  name: string;
  /** fields[n] is field n (fields[0] is unused; for MSH, fields[1] is the field separator). */
  fields: Hl7Field[];
}

export interface Hl7Message {
  segments: Hl7Segment[];
  /** The character set the bytes were decoded with (for \X..\ escapes). */
  charset: string;
}

export interface MessageHeader {
  sendingApplication: string;
  sendingFacility: string;
  receivingApplication: string;
  receivingFacility: string;
  controlId: string;
  messageCode: string;
  triggerEvent: string;
  messageStructure: string;
  processingId: string;
  version: string;
}

/** Component c (1-based) / subcomponent s of repetition r of a field, raw (still escaped). */
export function rawComponent(field: Hl7Field | undefined, rep = 1, comp = 1, sub = 1): string {
  return field?.[rep - 1]?.[comp - 1]?.[sub - 1] ?? '';
}

export function findSegments(message: Hl7Message, name: string): Hl7Segment[] {
  return message.segments.filter((s) => s.name === name);
}

export function messageHeader(message: Hl7Message): MessageHeader {
  const msh = message.segments[0];
  const f = (n: number, comp = 1): string => unescapeHl7(rawComponent(msh?.fields[n], 1, comp), message.charset);
  return {
    sendingApplication: f(3),
    sendingFacility: f(4),
    receivingApplication: f(5),
    receivingFacility: f(6),
    controlId: f(10),
    messageCode: f(9, 1),
    triggerEvent: f(9, 2),
    messageStructure: f(9, 3),
    processingId: f(11),
    version: f(12),
  };
}

/**
 * Decodes HL7 escape sequences (\F\ \S\ \T\ \R\ \E\ \Xhh..\ \.br\); formatting escapes such as
 * \H\ and \N\ are dropped. Hex escapes are bytes in the message's character set.
 */
export function unescapeHl7(value: string, charset: string): string {
  if (!value.includes('\\')) return value;
  return value.replace(/\\([^\\]*)\\/g, (whole, body: string) => {
    switch (body) {
      case 'F':
        return '|';
      case 'S':
        return '^';
      case 'T':
        return '&';
      case 'R':
        return '~';
      case 'E':
        return '\\';
      case '.br':
        return '\r\n';
      case 'H':
      case 'N':
        return '';
    }
    if (/^X([0-9A-Fa-f]{2})+$/.test(body)) {
      const bytes = Buffer.from(body.slice(1), 'hex');
      if (charset === 'latin1') return bytes.toString('latin1');
      try {
        return new TextDecoder(charset, { fatal: true }).decode(bytes);
      } catch {
        // Not decoded into replacement characters: a name would be stored with U+FFFD in it.
        throw new Hl7Error('HL7_DECODE', `the escape ${whole} is not valid ${charset}`, {
          hint: 'hex escapes hold bytes of the message character set (MSH-18)',
        });
      }
    }
    return whole;
  });
}
