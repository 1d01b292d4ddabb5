/**
 * Runs the order pipeline (decode, parse, map) for each message on a worker thread, so that the
 * event loop keeps only framing, storing and the ACK. Two workers ("lanes"), each taking its
 * messages one after another:
 * - small messages (up to SMALL_BYTES), the ordinary orders: measured on 8 connections, decode and
 *   mapping are ~25% of the event loop's CPU per order (1,090 -> 850 us per order when moved here),
 *   which then runs beside the store's work on another core;
 * - large ones: hl7-standard parses a message in one synchronous call whose time grows with its
 *   segments, fields, repetitions and components (measured: 900 KB of 450,000 components 1.2 s; 900
 *   segments of 499 fields 0.66 s), and handing the parsed message back would cost more still
 *   (structured clone of those 900 x 499 fields: 1.3 s), so only the mapped order comes back. On
 *   a lane of their own they never hold up the ordinary orders queued behind them.
 * Without the mapping texts (the `map` dry run, some tests) every message runs inline.
 */
import type { MappingSource } from '../mapping/compile.js';
import { PipelineLane } from './pipeline-lane.js';
import { runOrderPipeline, type OrderPipelineOptions, type PipelineResult } from './pipeline.js';

/** Largest message on the lane for ordinary orders (at most ~20 ms of parsing at the worst ~1.1 us per byte measured). */
export const SMALL_BYTES = 16 * 1024;

export class PipelineRunner {
  private readonly lanes: { small: PipelineLane; large: PipelineLane } | undefined;

  /**
   * mappingSources: the mapping texts the workers compile (the same as opts.mappings came from);
   * without them, every message runs inline.
   */
  constructor(
    private readonly opts: OrderPipelineOptions,
    mappingSources?: readonly MappingSource[],
  ) {
    if (mappingSources) this.lanes = { small: new PipelineLane(opts, mappingSources), large: new PipelineLane(opts, mappingSources) };
  }

  run(bytes: Buffer): Promise<PipelineResult> {
    if (!this.lanes) return Promise.resolve(runOrderPipeline(bytes, this.opts));
    return (bytes.length <= SMALL_BYTES ? this.lanes.small : this.lanes.large).run(bytes);
  }

  /** After a mapping reload on the main thread: the workers compile the same texts. */
  reloadMappings(sources: readonly MappingSource[]): void {
    this.lanes?.small.reloadMappings(sources);
    this.lanes?.large.reloadMappings(sources);
  }

  async close(): Promise<void> {
    await Promise.all([this.lanes?.small.close(), this.lanes?.large.close()]);
  }
}
