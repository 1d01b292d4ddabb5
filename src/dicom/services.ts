/**
 * What the SCP asks of the rest of the bridge, and what a DICOM service needs of the association it
 * answers on. The services (find-service.ts, mpps-service.ts) see only these interfaces.
 */
import type { LogFields, Logger } from '../log.js';
import type { BridgeMetrics } from '../metrics.js';
import type { CallingAeSetting } from '../config/schema.js';
import type { DicomJson } from '../model/item.js';
import type { MppsResult } from '../worklist/mpps.js';
import type { QueryRecord } from '../model/query-record.js';
import type { AnswerStream } from '../worklist/find.js';
import type { DimseRequest, DimseResponse } from './dimse-shim.js';

/** The answers to a query, page by page; onlyStation restricts them to items scheduled for that station. */
export type WorklistFindHandler = (
  identifier: DicomJson,
  opts: { callingAeTitle: string; maxAnswers?: number; onlyStation?: string; remote?: string },
) => AnswerStream;

/** MPPS N-CREATE / N-SET handlers: the SOP instance, its attributes, the modality's AE title. */
export interface MppsHandlers {
  create(sopInstanceUid: string, dataset: DicomJson, callingAeTitle: string): MppsResult;
  set(sopInstanceUid: string, changes: DicomJson, callingAeTitle: string): MppsResult;
}

/** Where the SCP records each C-FIND and each rejected association (the query log); returns the record's id. */
export interface QueryLogSink {
  record(entry: Omit<QueryRecord, 'id'>): number;
}

export interface ScpServices {
  find: WorklistFindHandler;
  queryLog?: QueryLogSink;
  /**
   * For a query answered with nothing: what items exist for the same patient, accession or day, in
   * a few words for the log line, or undefined when there are none.
   */
  emptyAnswerHint?: (identifier: DicomJson, callingAeTitle: string) => string | undefined;
  /** When given, Modality Performed Procedure Step is accepted too. */
  mpps?: MppsHandlers;
  /** Settings of particular calling AE titles. */
  callingAeSettings?: Readonly<Record<string, CallingAeSetting>>;
  /** Told of each association request refused (for the audit trail). */
  onAssociationRejected?: (peer: { remote: string; callingAeTitle?: string | undefined; calledAeTitle?: string | undefined }, reason: string) => void;
  /** Where searches and rejected associations are counted. */
  metrics?: BridgeMetrics;
}

/** The association a request came on, as a service sees it. */
export interface RequestScope {
  readonly callingAeTitle: string;
  readonly calledAeTitle: string;
  /** The peer's address:port. */
  readonly remote: string;
  /** False once the association is gone. */
  readonly open: boolean;
  readonly logger: Logger;
  /** The peer's address and AE titles, for log lines. */
  fields(): LogFields;
  /** Resolves once the peer has read what was sent (or the association is gone). */
  writable(): Promise<void>;
  /** Sends a response on the presentation context its request came on. */
  send(request: DimseRequest, response: DimseResponse): void;
  /**
   * How to frame responses to a request oneself: its presentation context, that context's transfer
   * syntax, and the largest PDU the peer takes.
   */
  framing(request: DimseRequest): { contextId: number; transferSyntaxUid: string; maxPduLength: number };
  /** Writes bytes (whole PDUs) to the association as they are. */
  writeBytes(bytes: Buffer): void;
  /** True when the request came on a presentation context of the given SOP class. */
  onOwnContext(request: DimseRequest, sopClassUid: string): boolean;
}
