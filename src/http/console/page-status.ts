/** Status: the readiness checks (listeners, store, mirror), open associations and connections, rates, disk, items by status, version. */
import type { BridgeStatus, ReadinessCheck } from '../services.js';
import type { StatusFigures } from './console-services.js';
import { html, type Html } from './html.js';
import { statusBadge } from './dicom-view.js';

const MIB = 1024 * 1024;
const mib = (bytes: number): string => `${(bytes / MIB).toFixed(bytes < 10 * MIB ? 1 : 0)} MiB`;
const rate = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));

export function statusBody(version: string, checks: Record<string, ReadinessCheck>, status: BridgeStatus, figures: StatusFigures): Html {
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
        <dt>HL7 orders received</dt>
        <dd data-figure="orders">${figures.messagesLastMinute} in the last minute; ${rate(figures.messagesPerMinute15)}/min over 15 min</dd>
        <dt>Worklist queries</dt>
        <dd data-figure="queries">${figures.queriesLastMinute} in the last minute; ${rate(figures.queriesPerMinute15)}/min over 15 min</dd>
        <dt>Database</dt>
        <dd data-figure="database"><code>${figures.dbPath}</code>: ${mib(figures.dbBytes)}</dd>
        <dt>Free on its volume</dt>
        <dd data-figure="free">${figures.freeBytes === undefined ? 'unknown' : mib(figures.freeBytes)}</dd>
        <dt>Version, up</dt>
        <dd data-figure="version">${version}, up ${Math.floor(figures.uptimeSeconds / 60)} min</dd>
        <dt>Items by status</dt>
        <dd>
          ${Object.entries(status.itemsByStatus).length === 0 ? 'none' : Object.entries(status.itemsByStatus).map(([s, n]) => html`${statusBadge(s)} ${n} `)}
        </dd>
      </dl>
      <p class="hint">Latencies and every counter: <a href="/metrics">/metrics</a> (Prometheus). The API: <a href="/api/openapi.json">/api/openapi.json</a>.</p>
    </div>`;
}
