/** Media types and headers shared by the HTTP routes. */

export const DICOM_JSON = 'application/dicom+json';

/** Who the Warning headers name (RFC 7234 5.5: warn-agent). */
const WARN_AGENT = 'mwl-bridge';

/** A Warning header value (code 299, as PS3.18 section 8 uses it): the text quoted, its quotes and controls made safe. */
export function warning(text: string): string {
  const safe = text.replace(/[^\x20-\x7e]/g, '?').replace(/["\\]/g, "'");
  return `299 ${WARN_AGENT} "${safe}"`;
}

/**
 * Whether an Accept header allows DICOM JSON: no header, a wildcard, application/dicom+json or
 * application/json (for browsers and tools), each unless given q=0.
 */
export function acceptsDicomJson(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  return accept.split(',').some((range) => {
    const [type = '', ...params] = range.split(';').map((p) => p.trim().toLowerCase());
    if (params.some((p) => /^q=0(\.0*)?$/.test(p))) return false;
    return type === '*/*' || type === 'application/*' || type === DICOM_JSON || type === 'application/json';
  });
}
