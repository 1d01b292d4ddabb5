/** Media types and headers shared by the HTTP routes. */

export const DICOM_JSON = 'application/dicom+json';

/** Who the Warning headers name (RFC 7234 5.5: warn-agent). */
const WARN_AGENT = 'mwl-bridge';

/** A Warning header value (code 299, as PS3.18 section 8 uses it): the text quoted, its quotes and controls made safe. */
export function warning(text: string): string {
  const safe = text.replace(/[^\x20-\x7e]/g, '?').replace(/["\\]/g, "'");
  return `299 ${WARN_AGENT} "${safe}"`;
}

/** A search's answer formats (PS3.18 8.7.3.2): DICOM JSON (the default), or the XML model in a multipart/related body. */
export type SearchMediaType = 'json' | 'xml';

/**
 * The answer format for an Accept value (the header, or the accept query parameter, PS3.18
 * 8.3.3.1): the acceptable range of highest quality, DICOM JSON on a tie; undefined when no range
 * is one offered (406). DICOM JSON answers application/dicom+json, application/json (browsers and
 * tools), application/* and the wildcard; the XML model answers multipart/related with
 * type="application/dicom+xml" (or no type) and multipart/*. A single-part application/dicom+xml is
 * not offered: a list of results needs the multipart form (PS3.18 10.4.4 note 3). A charset other
 * than UTF-8 is not offered either.
 */
export function negotiateSearchMediaType(accept: string | undefined): SearchMediaType | undefined {
  if (accept === undefined || accept.trim() === '') return 'json';
  let best: { type: SearchMediaType; q: number } | undefined;
  for (const range of splitOutsideQuotes(accept, ',')) {
    const [mediaType = '', ...rawParams] = splitOutsideQuotes(range, ';').map((p) => p.trim());
    const params = new Map(
      rawParams.map((p) => {
        const eq = p.indexOf('=');
        return eq < 0
          ? [p.toLowerCase(), '']
          : [
              p.slice(0, eq).trim().toLowerCase(),
              p
                .slice(eq + 1)
                .trim()
                .replace(/^"(.*)"$/, '$1'),
            ];
      }),
    );
    const q = params.has('q') ? Number(params.get('q')) : 1;
    if (!(q > 0)) continue;
    const charset = params.get('charset')?.toLowerCase();
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') continue;
    const type = offeredFor(mediaType.toLowerCase(), params.get('type')?.toLowerCase());
    if (!type) continue;
    if (!best || q > best.q || (q === best.q && type === 'json')) best = { type, q };
  }
  return best?.type;
}

function offeredFor(mediaType: string, partType: string | undefined): SearchMediaType | undefined {
  if (mediaType === '*/*' || mediaType === 'application/*' || mediaType === DICOM_JSON || mediaType === 'application/json') return 'json';
  if (mediaType === 'multipart/*') return 'xml';
  if (mediaType === 'multipart/related' && (partType === undefined || partType === 'application/dicom+xml')) return 'xml';
  return undefined;
}

/** Splits at a separator that is not inside double quotes. */
function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    if (ch === separator && !quoted) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.filter((p) => p.trim() !== '');
}
