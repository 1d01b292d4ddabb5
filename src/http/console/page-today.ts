/**
 * Today: the worklist by station, modality and time, with each item's status; a search by
 * patient ID, name or accession number; the list refreshes itself (console.js polls this page).
 */
import type { ItemView, ManagementReads } from '../services.js';
import { html, type Html } from './html.js';
import { CONSOLE } from './paths.js';
import { showDate, showName, showTime, statusBadge, summarize, type ItemSummary } from './dicom-view.js';

/** Items read for one view, at most (the API's page bound). */
const MAX_ITEMS = 500;
const STATUSES = ['SCHEDULED', 'ARRIVED', 'READY', 'STARTED', 'DEPARTED', 'COMPLETED', 'DISCONTINUED', 'CANCELED', 'HELD'];

export interface TodayQuery {
  /** Patient ID, name or accession number (part of it, any case). */
  q?: string;
  /** YYYY-MM-DD, or "all"; today (the server's local date) by default. */
  date?: string;
  status?: string;
}

/** The server's local date as YYYYMMDD. */
function localToday(): string {
  const d = new Date();
  return `${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, '0')}${String(d.getDate()).padStart(2, '0')}`;
}

type Row = ItemSummary & { id: number; status: string };

function matches(row: Row, q: string): boolean {
  const needle = q.toLowerCase();
  return [row.patientId, row.patientName, showName(row.patientName), row.accessionNumber].some((v) => v.toLowerCase().includes(needle));
}

export function todayRows(reads: ManagementReads, query: TodayQuery): { rows: Row[]; day: string | undefined } {
  const status = query.status && STATUSES.includes(query.status) ? query.status : undefined;
  const day = query.date === 'all' ? undefined : /^\d{4}-\d{2}-\d{2}$/.test(query.date ?? '') ? (query.date ?? '').replace(/-/g, '') : localToday();
  const items: ItemView[] = reads.listItems({ status, limit: MAX_ITEMS });
  const q = query.q?.trim() ?? '';
  const rows = items
    .map((item) => ({ ...summarize(item.dataset), id: item.id, status: item.status }))
    .filter((r) => (day === undefined || r.date === day) && (q === '' || matches(r, q)));
  rows.sort(
    (a, b) => a.station.localeCompare(b.station) || a.modality.localeCompare(b.modality) || (a.date + a.time).localeCompare(b.date + b.time) || a.id - b.id,
  );
  return { rows, day };
}

function stationTable(station: string, rows: Row[], showDay: boolean): Html {
  const headingId = `station-${station.replace(/[^A-Za-z0-9_-]/g, '_') || 'none'}`;
  return html`<section aria-labelledby="${headingId}">
    <h2 id="${headingId}">Station ${station || '(none)'} <span class="hint">${rows.length} item(s)</span></h2>
    <table class="worklist">
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Modality</th>
          <th scope="col">Patient</th>
          <th scope="col">Patient ID</th>
          <th scope="col">Accession</th>
          <th scope="col">Procedure</th>
          <th scope="col">Status</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (r) =>
            html`<tr>
              <td>${showDay ? `${showDate(r.date)} ` : ''}${showTime(r.time)}</td>
              <td>${r.modality}</td>
              <td><a href="${CONSOLE.item(r.id)}">${showName(r.patientName) || '(no name)'}</a></td>
              <td>${r.patientId}</td>
              <td>${r.accessionNumber}</td>
              <td>${r.procedure}</td>
              <td>${statusBadge(r.status)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}

export function todayBody(reads: ManagementReads, query: TodayQuery): Html {
  const { rows, day } = todayRows(reads, query);
  const stations = [...new Set(rows.map((r) => r.station))];
  const dateValue = day ? showDate(day) : '';
  return html`<form class="filters" method="get" action="${CONSOLE.today}" role="search">
      <label>Patient ID, name or accession <input type="search" name="q" value="${query.q ?? ''}" maxlength="64" /></label>
      <label>Date <input type="date" name="date" value="${dateValue}" /></label>
      <label
        >Status
        <select name="status">
          <option value="">any</option>
          ${STATUSES.map((s) => html`<option value="${s}" ${s === query.status ? html`selected` : ''}>${s.toLowerCase()}</option>`)}
        </select>
      </label>
      <button type="submit">Search</button>
      <a href="${CONSOLE.today}?date=all">All dates</a>
    </form>
    <p class="hint" role="status" aria-live="polite" data-refresh-status>Refreshes every few seconds.</p>
    <div id="worklist" data-refresh="worklist">
      <p>${rows.length} item(s) ${day ? html`scheduled on <time datetime="${dateValue}">${dateValue}</time>` : 'on any date'}.</p>
      ${stations.map((s) =>
        stationTable(
          s,
          rows.filter((r) => r.station === s),
          day === undefined,
        ),
      )}
    </div>`;
}
