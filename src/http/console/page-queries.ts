/**
 * Queries: the C-FIND query log by calling AE title (the modality), and one query with the
 * "why not?" form: the explain report for an accession number or patient ID, read only.
 */
import type { QueryRecord } from '../../model/query-record.js';
import type { ExplainReport, ItemExplanation } from '../../worklist/explain.js';
import type { ManagementReads, QueryFilterView } from '../services.js';
import { html, queryString, type Html } from './html.js';
import { CONSOLE } from './paths.js';
import { showName, statusBadge } from './dicom-view.js';

const PAGE = 100;

export type QueriesQuery = Partial<Record<'callingAeTitle' | 'since' | 'until' | 'before', string>>;

function queryFilter(query: QueriesQuery): QueryFilterView {
  const date = (v: string | undefined): string | undefined => (v && /^\d{4}-\d{2}-\d{2}[\x20-\x7e]{0,30}$/.test(v) ? v : undefined);
  const before = Number(query.before);
  return {
    callingAeTitle: query.callingAeTitle && query.callingAeTitle.length <= 64 ? query.callingAeTitle : undefined,
    since: date(query.since),
    until: date(query.until),
    beforeId: Number.isSafeInteger(before) && before > 0 ? before : undefined,
    limit: PAGE,
  };
}

function queryRow(q: QueryRecord): Html {
  return html`<tr>
    <td><a href="${CONSOLE.query(q.id)}">${q.id}</a></td>
    <td><time datetime="${q.at}">${q.at}</time></td>
    <td>${q.callingAeTitle ?? ''}</td>
    <td>${q.calledAeTitle ?? ''}</td>
    <td>${q.kind}</td>
    <td class="keys">${q.keys ?? ''}</td>
    <td>${statusBadge(q.outcome)}</td>
    <td>${q.answers ?? ''}</td>
    <td class="error-text">${q.error ?? ''}</td>
  </tr>`;
}

const QUERY_HEAD = html`<thead>
  <tr>
    <th scope="col">Id</th>
    <th scope="col">At (UTC)</th>
    <th scope="col">Calling AE</th>
    <th scope="col">Called AE</th>
    <th scope="col">Kind</th>
    <th scope="col">Keys</th>
    <th scope="col">Outcome</th>
    <th scope="col">Answers</th>
    <th scope="col">Error</th>
  </tr>
</thead>`;

export function queriesBody(reads: ManagementReads, query: QueriesQuery): Html {
  const queries = reads.listQueries(queryFilter(query));
  const last = queries.at(-1);
  return html`<form class="filters" method="get" action="${CONSOLE.queries}" role="search">
      <label>Calling AE title <input type="text" name="callingAeTitle" value="${query.callingAeTitle ?? ''}" maxlength="64" /></label>
      <label>Since <input type="date" name="since" value="${query.since ?? ''}" /></label>
      <label>Until <input type="date" name="until" value="${query.until ?? ''}" /></label>
      <button type="submit">Filter</button>
    </form>
    <table class="queries">
      <caption>
        ${queries.length} quer${queries.length === 1 ? 'y' : 'ies'}, newest first
      </caption>
      ${QUERY_HEAD}
      <tbody>
        ${queries.map(queryRow)}
      </tbody>
    </table>
    ${last && queries.length === PAGE ? html`<p><a href="${CONSOLE.queries}${queryString({ ...query, before: last.id })}">Older queries</a></p>` : ''}`;
}

function explainedItem(i: ItemExplanation): Html {
  return html`<li>
    <a href="${CONSOLE.item(i.id)}">Item ${i.id}</a> ${statusBadge(i.status)} ${showName(i.patientName ?? '')} (${i.patientId ?? ''}), accession
    ${i.accessionNumber ?? ''}, station ${i.station ?? '(none)'}:
    <strong>${i.answered ? 'answered' : 'not answered'}</strong>
    ${
      i.reasons.length > 0
        ? html`<ul class="reasons">
            ${i.reasons.map((r) => html`<li>${r}</li>`)}
          </ul>`
        : ''
    }
    ${
      i.notes.length > 0
        ? html`<ul class="notes">
            ${i.notes.map((n) => html`<li>Note: ${n}</li>`)}
          </ul>`
        : ''
    }
    <table class="verdicts">
      <caption>
        Matching keys
      </caption>
      <thead>
        <tr>
          <th scope="col">Key</th>
          <th scope="col">Query</th>
          <th scope="col">Item</th>
          <th scope="col">Rule</th>
          <th scope="col">Matches</th>
        </tr>
      </thead>
      <tbody>
        ${i.keys.map(
          (k) =>
            html`<tr class="${k.matches ? '' : 'mismatch'}">
              <th scope="row">${k.key}</th>
              <td>${k.query}</td>
              <td>${k.item ?? '(no value)'}</td>
              <td>${k.rule}</td>
              <td>${k.matches ? 'yes' : 'no'}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </li>`;
}

function explainResult(report: ExplainReport): Html {
  const what = report.nearMiss ? 'Items that miss this query by one key' : 'Items of interest';
  return html`<section aria-labelledby="explain-result" id="explain" tabindex="-1">
    <h2 id="explain-result">Why not?</h2>
    ${
      report.queryReasons.length > 0
        ? html`<p>For the whole query:</p>
            <ul class="reasons">
              ${report.queryReasons.map((r) => html`<li>${r}</li>`)}
            </ul>`
        : ''
    }
    ${
      report.items.length > 0
        ? html`<h3>${what}</h3>
            <ul class="explained">
              ${report.items.map(explainedItem)}
            </ul>`
        : html`<p>No item ${report.nearMiss ? 'misses this query by one key' : 'has that key in the store'}.</p>`
    }
    ${
      report.history.length > 0
        ? html`<ul class="history">
            ${report.history.map((h) => html`<li>${h}</li>`)}
          </ul>`
        : ''
    }
  </section>`;
}

export function queryBody(q: QueryRecord, target: { accessionNumber?: string; patientId?: string }, report: ExplainReport | undefined): Html {
  return html`<table class="queries">
      ${QUERY_HEAD}
      <tbody>
        ${queryRow(q)}
      </tbody>
    </table>
    <form class="filters" method="get" action="${CONSOLE.query(q.id)}#explain" aria-describedby="why-hint">
      <p id="why-hint" class="hint">
        Why did this query not answer an order? Give its accession number or patient ID; leave both empty to see the items that miss by one key.
      </p>
      <label>Accession number <input type="text" name="accessionNumber" value="${target.accessionNumber ?? ''}" maxlength="64" /></label>
      <label>Patient ID <input type="text" name="patientId" value="${target.patientId ?? ''}" maxlength="64" /></label>
      <button type="submit" name="explain" value="1">Explain</button>
    </form>
    ${report ? explainResult(report) : ''}`;
}
