/**
 * The bridge's metrics kept with prom-client and written in the Prometheus text format: the
 * counters and histograms the adapters feed through BridgeMetrics, gauges read when scraped
 * (associations open, items by status, mirror backlog), and Node's own (event-loop lag, memory).
 * One registry per bridge, not prom-client's global one, so that two bridges in one process (tests)
 * keep their figures apart.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { labelValue, type BridgeMetrics } from '../metrics.js';

/** What the gauges read when scraped. */
export interface GaugeSources {
  associationsOpen(): number;
  /** MLLP connections open now (0 without the listener). */
  mllpConnectionsOpen(): number;
  itemsByStatus(): Record<string, number>;
  /** Changes the folder mirror has still to write, or undefined when there is no mirror. */
  mirrorBacklog(): number | undefined;
  /** When the TLS certificate in use expires, by listener (dicom, mllp, http, outbound); none without TLS. */
  certificateExpiry?(): Record<string, Date>;
}

/** Distinct calling AE titles kept as label values; later ones are counted as "(other)". */
const MAX_CALLING_AE_LABELS = 200;

export class PrometheusMetrics implements BridgeMetrics {
  readonly registry = new Registry();
  private readonly orders: Counter;
  private readonly ackSeconds: Histogram;
  private readonly searches: Counter;
  private readonly searchSeconds: Histogram;
  private readonly searchAnswers: Histogram;
  private readonly searchAnswersByAe: Counter;
  private readonly searchSecondsByAe: Counter;
  private readonly mllpAccepted: Counter;
  private readonly rejected: Counter;
  private readonly mllpRefused: Counter;
  private readonly mirrorFailures: Counter;
  private readonly callingAeLabels = new Set<string>();

  constructor(readonly sources: GaugeSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'mwl_bridge_' });
    this.orders = new Counter({
      name: 'mwl_bridge_hl7_messages_total',
      help: 'HL7 messages answered, by message type, ACK code and outcome (stored, ignored, duplicate, rejected, error).',
      labelNames: ['type', 'ack', 'outcome'],
      registers,
    });
    this.ackSeconds = new Histogram({
      name: 'mwl_bridge_hl7_ack_seconds',
      help: 'Time from a whole HL7 message received to its ACK ready (stored durably first).',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.searches = new Counter({
      name: 'mwl_bridge_worklist_searches_total',
      help: 'Worklist searches answered, by protocol (dimse: C-FIND, dicomweb) and calling AE title.',
      labelNames: ['protocol', 'calling_ae'],
      registers,
    });
    this.searchSeconds = new Histogram({
      name: 'mwl_bridge_worklist_search_seconds',
      help: 'Time to answer a worklist search, by protocol.',
      labelNames: ['protocol'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.searchAnswers = new Histogram({
      name: 'mwl_bridge_worklist_search_answers',
      help: 'Answers to one worklist search, by protocol.',
      labelNames: ['protocol'],
      buckets: [0, 1, 2, 5, 10, 25, 50, 100, 250, 1000, 10000],
      registers,
    });
    // Per calling AE title as counters, not histograms: a histogram's buckets for each of up to 200 AE titles would be thousands of series.
    this.searchAnswersByAe = new Counter({
      name: 'mwl_bridge_worklist_search_answers_total',
      help: 'Answers returned by worklist searches, by protocol and calling AE title (divided by the searches: answers per search).',
      labelNames: ['protocol', 'calling_ae'],
      registers,
    });
    this.searchSecondsByAe = new Counter({
      name: 'mwl_bridge_worklist_search_seconds_total',
      help: 'Time spent answering worklist searches, by protocol and calling AE title (divided by the searches: mean latency).',
      labelNames: ['protocol', 'calling_ae'],
      registers,
    });
    this.rejected = new Counter({
      name: 'mwl_bridge_dicom_associations_rejected_total',
      help: 'DICOM associations rejected, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.mllpAccepted = new Counter({
      name: 'mwl_bridge_mllp_connections_total',
      help: 'MLLP connections accepted.',
      registers,
    });
    this.mllpRefused = new Counter({
      name: 'mwl_bridge_mllp_connections_refused_total',
      help: 'MLLP connections closed on accept (mllp.maxConnections open).',
      registers,
    });
    this.mirrorFailures = new Counter({
      name: 'mwl_bridge_mirror_failures_total',
      help: 'Failed passes of the worklist folder mirror (each retried).',
      registers,
    });
    new Gauge({
      name: 'mwl_bridge_mllp_connections_open',
      help: 'MLLP connections open now.',
      registers,
      collect() {
        this.set(sources.mllpConnectionsOpen());
      },
    });
    new Gauge({
      name: 'mwl_bridge_dicom_associations_open',
      help: 'DICOM associations open now.',
      registers,
      collect() {
        this.set(sources.associationsOpen());
      },
    });
    new Gauge({
      name: 'mwl_bridge_worklist_items',
      help: 'Worklist items in the store, by status.',
      labelNames: ['status'],
      registers,
      collect() {
        this.reset();
        for (const [status, count] of Object.entries(sources.itemsByStatus())) this.set({ status }, count);
      },
    });
    new Gauge({
      name: 'mwl_bridge_mirror_backlog',
      help: 'Changes the worklist folder mirror has still to write (0 without a mirror).',
      registers,
      collect() {
        this.set(sources.mirrorBacklog() ?? 0);
      },
    });
    new Gauge({
      name: 'mwl_bridge_tls_certificate_expiry_seconds',
      help: 'Seconds until the TLS certificate in use expires (negative once expired), by listener: dicom, mllp, http, and outbound (the client certificate presented to the RIS).',
      labelNames: ['listener'],
      registers,
      collect() {
        this.reset();
        const now = Date.now();
        for (const [listener, notAfter] of Object.entries(sources.certificateExpiry?.() ?? {}))
          this.set({ listener }, Math.round((notAfter.getTime() - now) / 1000));
      },
    });
  }

  orderAnswered(messageType: string, ackCode: string, outcome: string, seconds: number): void {
    this.orders.inc({ type: labelValue(messageType), ack: labelValue(ackCode), outcome: labelValue(outcome) });
    this.ackSeconds.observe(seconds);
  }

  searchAnswered(protocol: 'dimse' | 'dicomweb', callingAeTitle: string, seconds: number, answers: number): void {
    const labels = { protocol, calling_ae: this.callingAeLabel(callingAeTitle) };
    this.searches.inc(labels);
    this.searchAnswersByAe.inc(labels, answers);
    this.searchSecondsByAe.inc(labels, seconds);
    this.searchSeconds.observe({ protocol }, seconds);
    this.searchAnswers.observe({ protocol }, answers);
  }

  associationRejected(reason: string): void {
    this.rejected.inc({ reason: labelValue(reason) });
  }

  mllpConnectionAccepted(): void {
    this.mllpAccepted.inc();
  }

  mllpConnectionRefused(): void {
    this.mllpRefused.inc();
  }

  mirrorWriteFailed(): void {
    this.mirrorFailures.inc();
  }

  /** The Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private callingAeLabel(aeTitle: string): string {
    const label = labelValue(aeTitle);
    if (this.callingAeLabels.has(label)) return label;
    if (this.callingAeLabels.size >= MAX_CALLING_AE_LABELS) return '(other)';
    this.callingAeLabels.add(label);
    return label;
  }
}
