/**
 * What the HTTP server asks of the rest of the bridge: narrow interfaces, given by app/, so that
 * http/ knows nothing of the store, SQL or prom-client.
 */
import type { DicomJson } from '../model/item.js';
import type { BridgeMetrics } from '../metrics.js';
import type { AnswerStream } from '../worklist/find.js';

/** Worklist answers for an identifier, page by page: the same service the C-FIND SCP uses. */
export type WorklistSearch = (identifier: DicomJson, opts: { maxAnswers: number; wholeItems: boolean }) => AnswerStream;

/** One readiness check: whether it passes, and what it saw. */
export interface ReadinessCheck {
  ok: boolean;
  detail: string;
}

export interface HttpServices {
  search: WorklistSearch;
  /** The checks /ready reports, by name (store, listeners, mirror). */
  readiness(): Record<string, ReadinessCheck>;
  metrics: BridgeMetrics;
  /** The metrics in the Prometheus text format, and its media type. */
  metricsText(): Promise<{ text: string; contentType: string }>;
}

export interface HttpServerOptions {
  host: string;
  port: number;
  /** Most results one search returns (http.maxResults). */
  maxResults: number;
}
