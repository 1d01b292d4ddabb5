/**
 * What the HTTP server asks of the rest of the bridge: narrow interfaces, given by app/, so that
 * http/ knows nothing of the store, SQL or prom-client.
 */
import type { DicomJson } from '../model/item.js';
import type { AeSetting, QueryRecord } from '../model/query-record.js';
import type { BridgeMetrics } from '../metrics.js';
import type { AnswerStream } from '../worklist/find.js';
import type { MppsResult } from '../worklist/mpps.js';
import type { ManualChange, Requester } from '../worklist/manual-items.js';
import type { ExplainReport, ExplainTarget } from '../worklist/explain.js';
import type { AccessControl } from './access.js';
import type { ConsoleServices } from './console/console-services.js';

/**
 * Worklist answers for an identifier, page by page: the same service the C-FIND SCP uses. With a
 * calling AE title, its dicom.callingAeSettings apply as to a C-FIND from it (onlyOwnStation).
 */
export type WorklistSearch = (identifier: DicomJson, opts: { maxAnswers: number; wholeItems: boolean; callingAeTitle: string | undefined }) => AnswerStream;

/** The per-client policy a search from a calling AE title is answered under, as a C-FIND from it would be. */
export interface SearchPolicy {
  /** Most answers the AE title is given (its maxAnswers, else dicom.maxAnswers); undefined: no limit beyond http.maxResults a page. */
  maxAnswers: number | undefined;
  /** Its dicom.callingAeSettings entry, for the query log (null: none). */
  aeSetting: AeSetting | null;
}

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
  /** hl7: received over MLLP; http: a change made through this API; reprocess: a logged message run again. */
  source: 'hl7' | 'http' | 'reprocess';
  /** The name of the token that made the change or asked for the reprocessing (null without tokens, and for hl7). */
  token: string | null;
  /** reprocess: the entry whose message was run again. */
  reprocessOf: number | null;
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

export type { Requester } from '../worklist/manual-items.js';

/**
 * Items made and changed by hand: the same checks and lifecycle as an order's item, each change
 * logged in the message log (source http, the token's name). Refusals are BridgeErrors:
 * ITEM_INVALID (400), ITEM_NOT_FOUND (404), ITEM_CONFLICT (409).
 */
export interface ItemWrites {
  create(dataset: DicomJson, who: Requester, body: Buffer): Promise<ManualChange>;
  update(id: number, dataset: DicomJson, who: Requester, body: Buffer): Promise<ManualChange>;
  cancel(id: number, who: Requester): Promise<ManualChange>;
  delete(id: number, who: Requester): Promise<ManualChange>;
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

/** Where searches are recorded: the query log the C-FIND SCP writes (worklist/query-recorder.ts); returns the record's id. */
export interface SearchLog {
  record(entry: Omit<QueryRecord, 'id'>): number;
}

/** A message as a dry run makes it: what would be stored, the values derived, and the ACK it would get. */
export interface DryRunView {
  accepted: boolean;
  mapping: { name: string; file: string } | null;
  /** One per order group: its order control and status, the item as it would be stored, what was adjusted, why it is ignored. */
  items: Array<{ orderControl: string; orderStatus: string; dataset: DicomJson; adjustments: unknown[]; nonImaging: string | null }>;
  /** Values not taken from their first source, with why (item: the 1-based order group). */
  derived: Array<{ item: number; attribute: string; source: string; value: string; kind: string; reason: string }>;
  rejection: string | null;
  ack: string;
}

/** The folder mirror: where it stands, and a comparison or rebuild of the folder. */
export interface MirrorView {
  status(): { dir: string; layout: string; backlog: number; failingSince: string | null };
  /** The report: files written, rewritten, deleted, unchanged, left alone (mirror/reconcile.ts). */
  reconcile(opts: { dryRun: boolean }): Promise<object>;
}

/** The management API's tools (the write role for all but the configuration and the mirror status). */
export interface ManagementTools {
  /**
   * Runs a logged rejected message again through the current mappings and the order pipeline; the
   * outcome is a new message log entry (origin reprocess, naming the old one). BridgeErrors:
   * MESSAGE_NOT_FOUND (404), MESSAGE_NOT_REPROCESSABLE (409), STORE_UNAVAILABLE (503).
   */
  reprocess(id: number, who: Requester): Promise<MessageDetail>;
  /** What a message would become (`mwl-bridge map`), with the mapping files as they are now; nothing is stored. */
  dryRun(bytes: Buffer): DryRunView;
  /** undefined without a mirror configured. */
  mirror: MirrorView | undefined;
  /** The settings the bridge runs with (the tokens file's path only: its contents are never shown). */
  config(): Record<string, unknown>;
}

export interface HttpServices {
  mpps: MppsOperations;
  access: AccessControl;
  management: ManagementReads;
  items: ItemWrites;
  tools: ManagementTools;
  search: WorklistSearch;
  /** The policy of a calling AE title (undefined: a search without one). */
  searchPolicy(callingAeTitle: string | undefined): SearchPolicy;
  /** The query log, for DICOMweb searches (kind dicomweb), so that mwl-bridge queries and explain cover them. */
  queryLog: SearchLog;
  /** The checks /ready reports, by name (store, listeners, mirror). */
  readiness(): Record<string, ReadinessCheck>;
  metrics: BridgeMetrics;
  /** What the console's Status page shows beside the readiness checks. */
  status(): BridgeStatus;
  /** The console's reads beyond the API's (MPPS and mirror file of an item, rates, disk). */
  console: ConsoleServices;
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
  /** The calling AE title of a search whose token names none (http.callingAeTitle); undefined: none. */
  callingAeTitle: string | undefined;
  /** The bridge's version, for the OpenAPI document. */
  version: string;
}
