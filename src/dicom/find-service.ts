/**
 * Streams the answers of one C-FIND to a channel, page by page, and stops as soon as the request is
 * cancelled or its association is gone: the event loop is given back between pages (so a C-CANCEL
 * can arrive), and a slow reader holds the answers back instead of letting them pile up in memory.
 * Knows nothing of dcmjs-dimse: the channel encodes and writes.
 */
import type { DicomJson } from '../worklist/item.js';
import type { AnswerStream } from './find.js';

export interface AnswerChannel {
  /** False once the association is gone (closed, aborted, timed out). */
  readonly open: boolean;
  /** True once a C-CANCEL for this request arrived. */
  readonly cancelled: boolean;
  /** Sends one pending response carrying the answer. */
  sendAnswer(answer: DicomJson): void;
  /** Resolves when the peer has read enough of what was sent, or the association is gone. */
  writable(): Promise<void>;
}

export type StreamOutcome = { outcome: 'complete' | 'cancelled' | 'gone'; sent: number };

/** Answers written per event-loop turn. */
const ANSWER_BATCH = 64;

export async function streamAnswers(stream: AnswerStream, channel: AnswerChannel): Promise<StreamOutcome> {
  let sent = 0;
  for (;;) {
    if (!channel.open) return { outcome: 'gone', sent };
    if (channel.cancelled) return { outcome: 'cancelled', sent };
    if (stream.done) return { outcome: 'complete', sent };
    for (const answer of stream.next(ANSWER_BATCH)) {
      channel.sendAnswer(answer);
      sent++;
    }
    // Let a C-CANCEL or the peer's close arrive, and wait while the peer does not read.
    await new Promise((resolve) => setImmediate(resolve));
    await channel.writable();
  }
}
