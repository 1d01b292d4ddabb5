/**
 * The mapping workbench: an HL7 message pasted in, and what the bridge would make of it with the
 * mapping files as they are now (the API's dry run, `mwl-bridge map`): the item, the values derived
 * from other fields or defaults, and the ACK it would get. Nothing is stored.
 */
import type { DryRunView } from '../services.js';
import { html, type Html } from './html.js';
import { CONSOLE } from './paths.js';
import { attributeTable } from './dicom-view.js';
import { errorLocationOf, messageLayout } from './hl7-view.js';
import type { ConsoleUser } from './layout.js';

/** Line breaks as a textarea sends them (CRLF) or as pasted (LF) become HL7's segment separator (CR). */
export function hl7FromTextarea(text: string): Buffer {
  return Buffer.from(text.trim().replace(/\r\n|\n|\r/g, '\r') + '\r', 'utf8');
}

export function workbenchBody(user: ConsoleUser | undefined, message: string, result: DryRunView | undefined): Html {
  if (!user?.canWrite) {
    return html`<p>The workbench runs a message through the mappings (nothing is stored); it takes a write token, as the API's dry run does.</p>`;
  }
  return html`<form method="post" action="${CONSOLE.mapping}" class="workbench">
      <label for="hl7">HL7 message (one segment a line)</label>
      <textarea id="hl7" name="message" rows="10" cols="100" spellcheck="false" required aria-describedby="hl7-hint">${message}</textarea>
      <p id="hl7-hint" class="hint">Nothing is stored and no ACK is sent: this shows what the bridge would do with the mapping files as they are now.</p>
      <button type="submit">Try the mapping</button>
    </form>
    ${result ? resultBody(message, result) : ''}`;
}

function resultBody(message: string, r: DryRunView): Html {
  const location = errorLocationOf(r.ack);
  return html`<section aria-labelledby="outcome">
      <h2 id="outcome">Outcome</h2>
      <dl class="summary">
        <dt>Accepted</dt>
        <dd>${r.accepted ? 'yes' : html`<strong class="error-text">no</strong>`}</dd>
        <dt>Mapping</dt>
        <dd>${r.mapping ? `${r.mapping.name} (${r.mapping.file})` : '(none chosen)'}</dd>
        ${
          r.rejection
            ? html`<dt>Rejected because</dt>
                <dd class="error-text">${r.rejection}</dd>`
            : ''
        }
      </dl>
    </section>
    ${r.items.map(
      (item, i) =>
        html`<section aria-labelledby="item-${i + 1}">
          <h2 id="item-${i + 1}">Item ${i + 1} (order control ${item.orderControl}${item.orderStatus ? `, status ${item.orderStatus}` : ''})</h2>
          ${item.nonImaging ? html`<p class="hint">Not stored: ${item.nonImaging}</p>` : ''} ${attributeTable(item.dataset)}
        </section>`,
    )}
    <section aria-labelledby="derived">
      <h2 id="derived">Derived values</h2>
      ${
        r.derived.length === 0
          ? html`<p>Every value came from its first source.</p>`
          : html`<table class="derived">
              <caption>
                Values not taken from their first source
              </caption>
              <thead>
                <tr>
                  <th scope="col">Item</th>
                  <th scope="col">Attribute</th>
                  <th scope="col">Value</th>
                  <th scope="col">From</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Why</th>
                </tr>
              </thead>
              <tbody>
                ${r.derived.map(
                  (d) =>
                    html`<tr>
                      <td>${d.item}</td>
                      <th scope="row">${d.attribute}</th>
                      <td>${d.value}</td>
                      <td>${d.source}</td>
                      <td>${d.kind}</td>
                      <td>${d.reason}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
    </section>
    <section aria-labelledby="laid-out">
      <h2 id="laid-out">The message</h2>
      ${messageLayout(hl7FromTextarea(message).toString('utf8'), 'The message by segments and fields', location)}
    </section>
    <section aria-labelledby="would-ack">
      <h2 id="would-ack">ACK it would get</h2>
      ${messageLayout(r.ack, 'The ACK by segments and fields', location)}
    </section>`;
}
