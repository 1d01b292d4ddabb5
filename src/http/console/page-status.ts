/** Status: the readiness checks (listeners, store, mirror), open associations and connections, items by status, version. */
import type { BridgeStatus, ReadinessCheck } from '../services.js';
import { html, type Html } from './html.js';
import { statusBadge } from './dicom-view.js';

export function statusBody(version: string, checks: Record<string, ReadinessCheck>, status: BridgeStatus): Html {
  const ready = Object.values(checks).every((c) => c.ok);
  return html`<p>Version ${version}: ${ready ? 'ready' : html`<strong class="error-text">not ready</strong>`}.</p>
    <div data-refresh="status" id="status">
      <table class="checks">
        <caption>
          Readiness checks (as /ready reports them)
        </caption>
        <thead>
          <tr>
            <th scope="col">Check</th>
            <th scope="col">State</th>
            <th scope="col">Detail</th>
          </tr>
        </thead>
        <tbody>
          ${Object.entries(checks).map(
            ([name, c]) =>
              html`<tr>
                <th scope="row">${name}</th>
                <td>${statusBadge(c.ok ? 'ok' : 'failing')}</td>
                <td>${c.detail}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      <dl class="summary">
        <dt>DICOM associations open</dt>
        <dd data-figure="associations">${status.associationsOpen}</dd>
        <dt>MLLP connections open</dt>
        <dd data-figure="mllp">${status.mllpConnectionsOpen}</dd>
        <dt>Mirror backlog</dt>
        <dd data-figure="mirror">${status.mirrorBacklog === undefined ? 'no mirror configured' : `${status.mirrorBacklog} change(s) to write`}</dd>
        <dt>Items by status</dt>
        <dd>
          ${Object.entries(status.itemsByStatus).length === 0 ? 'none' : Object.entries(status.itemsByStatus).map(([s, n]) => html`${statusBadge(s)} ${n} `)}
        </dd>
      </dl>
      <p class="hint">Rates and latencies: <a href="/metrics">/metrics</a> (Prometheus). The API: <a href="/api/openapi.json">/api/openapi.json</a>.</p>
    </div>`;
}
