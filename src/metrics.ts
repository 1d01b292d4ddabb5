/**
 * What the protocol adapters report for the metrics, as one narrow interface: the adapters call it
 * and know nothing of the library that keeps and exposes the figures (prom-client, in app/). Every
 * label value passed here is from a small closed set or cut to one, so that a peer cannot make the
 * metrics grow without bound by sending new names.
 */

export interface BridgeMetrics {
  /**
   * An HL7 message answered: its type (e.g. ORM^O01), the ACK code, what became of it (stored,
   * ignored, duplicate, rejected, error: the message log's outcome), and the time from its last byte
   * to the ACK.
   */
  orderAnswered(messageType: string, ackCode: string, outcome: string, seconds: number): void;
  /** A worklist search answered (DIMSE C-FIND or DICOMweb), by calling AE title (or "http"). */
  searchAnswered(protocol: 'dimse' | 'dicomweb', callingAeTitle: string, seconds: number, answers: number): void;
  /** An association rejected, by reason (a name from the standard's reject reasons). */
  associationRejected(reason: string): void;
  /** An MLLP connection accepted. */
  mllpConnectionAccepted(): void;
  /** An MLLP connection closed on accept because mllp.maxConnections were open. */
  mllpConnectionRefused(): void;
  /** A pass of the folder mirror failed (it retries after mirror.retrySeconds). */
  mirrorWriteFailed(): void;
}

/** Metrics that go nowhere (tests, tools, a bridge run without an HTTP server). */
export const noMetrics: BridgeMetrics = {
  orderAnswered: () => undefined,
  searchAnswered: () => undefined,
  associationRejected: () => undefined,
  mllpConnectionAccepted: () => undefined,
  mllpConnectionRefused: () => undefined,
  mirrorWriteFailed: () => undefined,
};

/** Longest label value kept; longer ones are cut (an AE title has 16 characters, a message type 7). */
const MAX_LABEL_LENGTH = 32;

/** A label value from peer input: printable ASCII, cut to a bound, "" as "(none)". */
export function labelValue(text: string): string {
  const printable = text
    .replace(/[^\x21-\x7e ]/g, '?')
    .trim()
    .slice(0, MAX_LABEL_LENGTH);
  return printable === '' ? '(none)' : printable;
}
