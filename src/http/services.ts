/**
 * What the HTTP server asks of the rest of the bridge: narrow interfaces, given by app/, so that
 * http/ knows nothing of the store, SQL or prom-client.
 */
import type { DicomJson } from '../model/item.js';
import type { QueryRecord } from '../model/query-record.js';
import type { BridgeMetrics } from '../metrics.js';
import type { AnswerStream } from '../worklist/find.js';
import type { MppsResult } from '../worklist/mpps.js';
import type { ExplainReport, ExplainTarget } from '../worklist/explain.js';
import type { AccessControl } from './access.js';

/** Worklist answers for an identifier, page by page: the same service the C-FIND SCP uses. */
export type WorklistSearch = (identifier: DicomJson, opts: { maxAnswers: number; wholeItems: boolean }) => AnswerStream;

/** One readiness check: whether it passes, and what it saw. */
export interface ReadinessCheck {
  ok: boolean;
  detail: string;
}

/** A worklist item as the management API shows it. */
export interface ItemView {
  id: number;
  status: string;
  dataset: DicomJson;
}

/** A logged inbound HL7 message as the management API lists it. */
export interface MessageSummary {
  id: number;
  receivedAt: string;
  remote: string | null;
  sendingApplication: string | null;
  sendingFacility: string | null;
  controlId: string | null;
  messageType: string | null;
  patientId: string | null;
  accessionNumber: string | null;
  action: string | null;
  outcome: string;
  ackCode: string;
  error: string | null;
  itemIds: number[];
}

/** One logged message in full: the bytes received (as text, and exact as base64) and the ACK sent. */
export interface MessageDetail extends MessageSummary {
  raw: string;
  rawBase64: string;
  ack: string | null;
}

export interface ItemFilter {
  status?: string;
  patientId?: string;
  accessionNumber?: string;
  beforeId?: number;
  limit: number;
}

export interface MessageFilterView {
  outcome?: string;
  patientId?: string;
  accessionNumber?: string;
  controlId?: string;
  since?: string;
  until?: string;
  beforeId?: number;
  limit: number;
}

export interface QueryFilterView {
  callingAeTitle?: string;
  since?: string;
  until?: string;
  beforeId?: number;
  limit: number;
}

/** What the management API reads. */
export interface ManagementReads {
  /** The C-FIND query log (queries and rejected associations). */
  listQueries(filter: QueryFilterView): QueryRecord[];
  getQuery(id: number): QueryRecord | undefined;
  /** Why a logged query did not answer an item (the `explain` command's report); undefined when the query is not logged. */
  explainQuery(id: number, target: ExplainTarget | undefined): ExplainReport | undefined;
  listItems(filter: ItemFilter): ItemView[];
  getItem(id: number): ItemView | undefined;
  listMessages(filter: MessageFilterView): MessageSummary[];
  getMessage(id: number): MessageDetail | undefined;
}

/** The outcome of an MPPS create or update (the DIMSE MPPS service's). */
export type MppsOutcome = MppsResult;

/** The MPPS service the DIMSE SCP uses, and the stored MPPS data sets. */
export interface MppsOperations {
  create(uid: string, dataset: DicomJson, caller: string): MppsOutcome;
  set(uid: string, changes: DicomJson, caller: string): MppsOutcome;
  /** The MPPS data set as created and updated, or undefined. */
  get(uid: string): DicomJson | undefined;
}

export interface HttpServices {
  mpps: MppsOperations;
  access: AccessControl;
  management: ManagementReads;
  search: WorklistSearch;
  /** The checks /ready reports, by name (store, listeners, mirror). */
  readiness(): Record<string, ReadinessCheck>;
  metrics: BridgeMetrics;
  /** What the console's Status page shows beside the readiness checks. */
  status(): BridgeStatus;
  /** The metrics in the Prometheus text format, and its media type. */
  metricsText(): Promise<{ text: string; contentType: string }>;
}

/** Figures the metrics' gauges read, for the console's Status page. */
export interface BridgeStatus {
  associationsOpen: number;
  mllpConnectionsOpen: number;
  /** Changes the folder mirror has still to write, or undefined without a mirror. */
  mirrorBacklog: number | undefined;
  itemsByStatus: Record<string, number>;
}

export interface HttpServerOptions {
  host: string;
  port: number;
  /** Most results one search returns (http.maxResults). */
  maxResults: number;
  /** The bridge's version, for the OpenAPI document. */
  version: string;
}
