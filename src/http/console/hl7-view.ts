/**
 * An HL7 v2 message laid out for reading: one table per segment, one row per field (PID-3), the
 * components shown apart; the field an ACK's ERR segment names is highlighted and labelled.
 */
import { html, type Html } from './html.js';

/** Where an ACK says the error is: a segment and, when known, a field. */
export interface ErrorLocation {
  segment: string;
  field?: number;
}

/** The error location in an ACK: ERR-2 (v2.5 and later: segment^sequence^field…) or ERR-1 (earlier: the same order). */
export function errorLocationOf(ack: string | null): ErrorLocation | undefined {
  if (!ack) return undefined;
  const err = ack.split(/\r\n|\r|\n/).find((s) => s.startsWith('ERR|'));
  if (!err) return undefined;
  const fields = err.split('|');
  const location = fields[2] || fields[1] || '';
  const [segment = '', , field = ''] = location.split('^');
  if (!/^[A-Z][A-Z0-9]{2}$/.test(segment)) return undefined;
  const n = Number.parseInt(field, 10);
  return Number.isInteger(n) && n > 0 ? { segment, field: n } : { segment };
}

interface Separators {
  field: string;
  component: string;
}

function separatorsOf(firstSegment: string): Separators {
  return { field: firstSegment.charAt(3) || '|', component: firstSegment.charAt(4) || '^' };
}

/** The message's segments and fields, numbered as HL7 numbers them (MSH-1 is the field separator itself). */
export function segmentsOf(raw: string): { name: string; fields: { n: number; value: string }[] }[] {
  const lines = raw.split(/\r\n|\r|\n/).filter((l) => l.trim() !== '');
  const seps = separatorsOf(lines[0] ?? '');
  return lines.map((line) => {
    const parts = line.split(seps.field);
    const name = parts[0] ?? '';
    const values = name === 'MSH' ? [seps.field, ...parts.slice(1)] : parts.slice(1);
    return { name, fields: values.map((value, i) => ({ n: i + 1, value })) };
  });
}

/**
 * The message as tables, with the error's field (or segment) marked. Empty fields are left out,
 * except the one the error names: a required field that was not sent is shown "(empty)".
 */
export function messageLayout(raw: string, caption: string, error?: ErrorLocation): Html {
  const segments = segmentsOf(raw);
  if (segments.length === 0) return html`<p>(empty)</p>`;
  const component = separatorsOf(raw).component;
  let seen = false;
  return html`<div class="hl7" aria-label="${caption}">
    ${segments.map((segment, index) => {
      // The first segment of that name is the one the location means (sequence 1).
      const isErrorSegment = error !== undefined && !seen && segment.name === error.segment;
      if (isErrorSegment) seen = true;
      const wholeSegment = isErrorSegment && error.field === undefined;
      const errorField = isErrorSegment ? error.field : undefined;
      const fields = segment.fields.filter((f) => f.value !== '' || f.n === errorField);
      if (errorField !== undefined && !fields.some((f) => f.n === errorField)) fields.push({ n: errorField, value: '' });
      return html`<table class="segment ${wholeSegment ? 'error-location' : ''}">
        <caption>
          ${segment.name}
          <span class="hint">segment ${index + 1}</span>
          ${wholeSegment ? html`<strong class="error-mark">error in this segment</strong>` : ''}
        </caption>
        <tbody>
          ${fields.map((f) => {
            const marked = errorField === f.n;
            const parts = segment.name === 'MSH' && f.n <= 2 ? [f.value] : f.value.split(component);
            return html`<tr class="${marked ? 'error-location' : ''}">
              <th scope="row">${segment.name}-${f.n}</th>
              <td>
                ${
                  parts.length > 1
                    ? parts.map((p, i) => html`<span class="component" title="component ${i + 1}">${p}</span>`)
                    : f.value || html`<span class="hint">(empty)</span>`
                }
                ${marked ? html`<strong class="error-mark">error here</strong>` : ''}
              </td>
            </tr>`;
          })}
        </tbody>
      </table>`;
    })}
  </div>`;
}
