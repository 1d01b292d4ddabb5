/**
 * Streams the answers of one C-FIND to a channel, page by page, and stops as soon as the request is
 * cancelled or its association is gone: the event loop is given back between pages (so a C-CANCEL
 * can arrive), and a slow reader holds the answers back instead of letting them pile up in memory.
 * The answers of one turn go out in one write (flush); those of the last turn are left for the
 * caller to send with the final response.
 */
import type { AnswerStream } from '../worklist/find.js';

export interface AnswerChannel<A> {
  /** False once the association is gone (closed, aborted, timed out). */
  readonly open: boolean;
  /** True once a C-CANCEL for this request arrived. */
  readonly cancelled: boolean;
  /** The stream's next answers (up to max), as this channel sends them. */
  next(max: number): A[];
  /** Adds one pending response carrying this answer to the next write. */
  sendAnswer(answer: A): void;
  /** Writes what sendAnswer gathered. */
  flush(): void;
  /** Resolves when the peer has read enough of what was sent, or the association is gone. */
  writable(): Promise<void>;
}

export type StreamOutcome = { outcome: 'complete' | 'cancelled' | 'gone'; sent: number };

/** Answers written per event-loop turn (in one write: some 30-60 KB of typical answers). */
const ANSWER_BATCH = 128;

export async function streamAnswers<A>(stream: Pick<AnswerStream, 'done'>, channel: AnswerChannel<A>): Promise<StreamOutcome> {
  let sent = 0;
  for (;;) {
    if (!channel.open) return { outcome: 'gone', sent };
    if (channel.cancelled) return { outcome: 'cancelled', sent };
    for (const answer of channel.next(ANSWER_BATCH)) {
      channel.sendAnswer(answer);
      sent++;
    }
    // The last answers are written with the final response, in one write.
    if (stream.done) return { outcome: 'complete', sent };
    channel.flush();
    // Let a C-CANCEL or the peer's close arrive, and wait while the peer does not read.
    await new Promise((resolve) => setImmediate(resolve));
    await channel.writable();
  }
}

/** Thrown when an answer cannot be encoded or sent: the association ends, the C-FIND gets no final status. */
export class AnswerSendError extends Error {}

/** The C-FIND requests in progress on one association, by message ID, each with its cancel flag. */
export class FindsInProgress {
  private readonly finds = new Map<number, { cancelled: boolean }>();

  get busy(): boolean {
    return this.finds.size > 0;
  }

  begin(messageId: number): { cancelled: boolean } {
    const progress = { cancelled: false };
    this.finds.set(messageId, progress);
    return progress;
  }

  end(messageId: number): void {
    this.finds.delete(messageId);
  }

  /** Marks the request with that message ID cancelled; false when none is in progress (PS3.7 9.3.2.3: the C-CANCEL refers to nothing and is not kept). */
  cancel(messageId: unknown): boolean {
    const find = typeof messageId === 'number' ? this.finds.get(messageId) : undefined;
    if (find) find.cancelled = true;
    return find !== undefined;
  }
}
