/**
 * What makes two messages the same message, for recognising a resend: the bytes as received, less
 * MSH-7 (date/time of message, which some senders set anew when they retry) and with CR, LF and
 * CRLF segment separators counted alike (some clients rewrite them). A RIS that reuses a control id
 * for another order sends other bytes, so that order is not taken for a resend of the first.
 */
import { createHash } from 'node:crypto';

export function messageContentHash(bytes: Buffer): string {
  const text = bytes.toString('latin1');
  const lineEnd = text.search(/[\r\n]/);
  const header = lineEnd < 0 ? text : text.slice(0, lineEnd);
  const rest = lineEnd < 0 ? '' : text.slice(lineEnd);
  let headerKey = header;
  if (header.startsWith('MSH') && header.length > 3) {
    const separator = header.charAt(3);
    const fields = header.split(separator);
    // fields[0] "MSH", fields[1] MSH-2 ... fields[6] MSH-7.
    if (fields.length > 6) fields[6] = '';
    headerKey = fields.join(separator);
  }
  const body = rest.replace(/\r\n|\n/g, '\r').replace(/\r+$/, '');
  return createHash('sha256')
    .update(headerKey + body, 'latin1')
    .digest('hex');
}
