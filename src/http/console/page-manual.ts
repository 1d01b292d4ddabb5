/**
 * Manual entry, for a RIS downtime: a new item, an item edited, an item cancelled (after a
 * confirmation page: no script needed). The checks are the API's (worklist/manual-items.ts).
 */
import { CLOSED_STATUSES, type DicomJson } from '../../model/item.js';
import type { ItemView } from '../services.js';
import { html, type Html } from './html.js';
import { CONSOLE } from './paths.js';
import { showName, statusBadge, summarize } from './dicom-view.js';
import { itemForm, valuesOfItem, type FormError, type ItemFormValues } from './item-form.js';
import type { ConsoleUser } from './layout.js';

export const isClosed = (status: string): boolean => (CLOSED_STATUSES as readonly string[]).includes(status);

export function newItemBody(values: ItemFormValues, error: FormError | undefined): Html {
  return html`<p>
      An exam entered by hand is a SCHEDULED worklist item like an order's, recorded in the message log with your name. When the RIS is back, its messages for
      the same order (placer, filler or accession number) apply to it.
    </p>
    ${itemForm(CONSOLE.items, 'Create item', values, error)}`;
}

export function editItemBody(item: ItemView, values: ItemFormValues | undefined, error: FormError | undefined): Html {
  return html`<p>Item ${item.id} is ${statusBadge(item.status)}; its status stays. Attributes the form does not show are kept.</p>
    ${itemForm(CONSOLE.item(item.id), 'Save changes', values ?? valuesOfItem(item.dataset), error)}
    <p><a href="${CONSOLE.item(item.id)}">Back to the item</a></p>`;
}

export function cancelItemBody(item: ItemView, error: string | undefined): Html {
  const s = summarize(item.dataset);
  return html`${error ? html`<p class="error-text" role="alert">${error}</p>` : ''}
    <p>
      Cancel item ${item.id}: ${showName(s.patientName)} (${s.patientId}), accession ${s.accessionNumber || '(none)'}? It leaves the worklist (status CANCELED)
      and cannot be changed again.
    </p>
    <form method="post" action="${CONSOLE.itemCancel(item.id)}">
      <button type="submit">Cancel item ${item.id}</button>
      <a href="${CONSOLE.item(item.id)}">Keep it</a>
    </form>`;
}

/** The item page's controls: only for a user who may write, and only while the item is open. */
export function itemActions(item: { id: number; status: string }, user: ConsoleUser | undefined): Html | string {
  if (!user?.canWrite) return '';
  return html`<section aria-labelledby="actions" data-edit-controls>
    <h2 id="actions">Actions</h2>
    ${
      isClosed(item.status)
        ? html`<p class="hint">The item is ${item.status}: a closed item is not changed again. Create a new one instead.</p>`
        : html`<p class="actions">
            <a class="button" href="${CONSOLE.itemEdit(item.id)}">Edit item</a>
            <a class="button" href="${CONSOLE.itemCancel(item.id)}">Cancel item…</a>
          </p>`
    }
  </section>`;
}

/** For a read-only user asking for a form: what they may do instead. */
export function readOnlyBody(user: ConsoleUser | undefined): Html {
  return html`<p role="alert">
    ${user?.name ?? 'You'} may only read: entering and changing items takes a write token (<code>mwl-bridge token NAME --role write</code>).
  </p>`;
}

export type { DicomJson };
