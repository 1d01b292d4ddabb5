/**
 * Modality Worklist C-FIND on one association: the request is checked (SOP class, one at a time,
 * a readable identifier within bounds), the answers are streamed page by page, and the stream
 * stops as soon as the request is cancelled or its association is gone: the event loop is given
 * back between pages (so a C-CANCEL can arrive), and a slow reader holds the answers back instead
 * of letting them pile up in memory. The final status says how it ended.
 */
import { errorMessage } from '../errors.js';
import type { DicomJson } from '../model/item.js';
import { describeTag } from '../model/dictionary.js';
import { printable } from './associate-request.js';
import { SopClassUid } from './association-policy.js';
import { encodeAnswer } from '../model/encoding.js';
import { AnswerDataset, encodeCommandSet } from './answer-dataset.js';
import { describeQuery } from '../model/describe.js';
import { CFindResponse, Status, affectedSopClassOf, datasetReadProblem, useEncodedCommandSet, type CFindRequest, type CFindResponseT } from './dimse-shim.js';
import { DimseStatus, errorComment, statusText } from './dimse-status.js';
import type { AnswerStream } from '../worklist/find.js';
import { identifierFromNaturalized, identifierProblem } from './identifier.js';
import type { RequestScope, ScpServices } from './services.js';

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

/**
 * Answers one C-FIND. Resolves when the final response was handed to `callback` (or the
 * association went away); rejects with AnswerSendError when an answer could not be sent, which
 * ends the association.
 */
export async function answerWorklistFind(
  request: CFindRequest,
  callback: (responses: CFindResponseT[]) => void,
  scope: RequestScope,
  services: ScpServices,
  inProgress: FindsInProgress,
): Promise<void> {
  const started = performance.now();
  const { logger } = scope;
  const final = CFindResponse.fromRequest(request);
  const sopClass = affectedSopClassOf(request);
  // Echoed as it came (undefined included).
  final.setAffectedSopClassUid(request.getAffectedSopClassUid());
  // Encoded when sent, after its status is set.
  useEncodedCommandSet(final, () => encodeCommandSet(final.getCommandDataset()));
  const fields = scope.fields();
  const refuse = (status: number, event: string, reason: string, keys?: string): void => {
    logger.warn(event, { ...fields, keys, status: statusText(status), reason });
    final.setStatus(status);
    final.setErrorComment(errorComment(reason));
    callback([final]);
  };
  if (sopClass !== SopClassUid.ModalityWorklistFind || !scope.onOwnContext(request, sopClass)) {
    refuse(
      DimseStatus.sopClassNotSupported,
      'dicom.find_refused',
      `SOP class ${printable(sopClass ?? '')} is not Modality Worklist FIND on its own presentation context`,
    );
    return;
  }
  if (inProgress.busy) {
    refuse(DimseStatus.outOfResources, 'dicom.find_refused', 'another C-FIND is in progress on this association (one at a time)');
    return;
  }
  const dataset = request.getDataset();
  const unreadable = !dataset ? 'the C-FIND request carries no identifier' : datasetReadProblem(dataset);
  if (unreadable || !dataset) {
    refuse(DimseStatus.identifierDoesNotMatchSopClass, 'dicom.find_unreadable', `identifier unreadable: ${unreadable ?? 'missing'}`);
    return;
  }
  let identifier: DicomJson;
  try {
    identifier = identifierFromNaturalized(dataset.getElements());
  } catch (err) {
    refuse(DimseStatus.identifierDoesNotMatchSopClass, 'dicom.find_unreadable', `identifier unreadable: ${errorMessage(err)}`);
    return;
  }
  const keys = describeQuery(identifier);
  const problem = identifierProblem(identifier);
  if (problem) {
    refuse(DimseStatus.identifierDoesNotMatchSopClass, 'dicom.find_unreadable', problem, keys);
    return;
  }
  const { callingAeTitle } = scope;
  const setting = services.callingAeSettings?.[callingAeTitle];
  const charset = setting?.characterSet && setting.characterSet !== 'ISO_IR 192' ? setting.characterSet : undefined;
  const transferSyntax = dataset.getTransferSyntaxUid();
  const replaced = new Set<string>();
  const messageId = request.getMessageId();
  const progress = inProgress.begin(messageId);
  let pendingCommand: Buffer | undefined;
  let sent = 0;
  try {
    const stream = services.find(identifier, {
      callingAeTitle,
      remote: String(scope.fields().remote ?? ''),
      maxAnswers: setting?.maxAnswers,
      onlyStation: setting?.onlyOwnStation ? callingAeTitle : undefined,
    });
    const channel: AnswerChannel = {
      get open() {
        return scope.open;
      },
      get cancelled() {
        return progress.cancelled;
      },
      sendAnswer: (answer) => {
        try {
          const response = CFindResponse.fromRequest(request);
          response.setAffectedSopClassUid(sopClass);
          if (charset) {
            const encoded = encodeAnswer(answer, charset);
            encoded.replaced.forEach((tag) => replaced.add(tag));
            response.setDataset(new AnswerDataset(encoded.answer, transferSyntax, true));
          } else response.setDataset(new AnswerDataset(answer, transferSyntax));
          response.setStatus(Status.Pending);
          // Every pending response of a C-FIND has the same command set: encoded once.
          pendingCommand ??= encodeCommandSet(response.getCommandDataset());
          const command = pendingCommand;
          useEncodedCommandSet(response, () => command);
          scope.send(request, response);
          sent++;
        } catch (err) {
          throw new AnswerSendError(`answer ${sent + 1} could not be encoded or sent: ${errorMessage(err)}`);
        }
      },
      writable: () => scope.writable(),
    };
    const result = await streamAnswers(stream, channel);
    if (replaced.size) {
      logger.warn('dicom.charset_replaced', {
        ...fields,
        charset,
        attributes: [...replaced].map(describeTag).join(', '),
        reason: `characters ${charset} cannot represent were sent as "?"`,
      });
    }
    if (result.outcome === 'gone') {
      logger.info('dicom.find_abandoned', {
        ...fields,
        keys,
        answers_sent: result.sent,
        reason: 'the association ended before the last answer; no more answers were built',
      });
      return;
    }
    if (result.outcome === 'cancelled') {
      final.setStatus(Status.Cancel);
      logger.info('dicom.find_cancelled', { ...fields, keys, answers_sent: result.sent });
    } else {
      if (stream.truncated) {
        logger.warn('dicom.find_truncated', {
          ...fields,
          keys,
          answers: result.sent,
          hint: 'more items matched than the answer limit; the modality should narrow its query',
        });
      }
      final.setStatus(Status.Success);
      logger.info('dicom.find', { ...fields, keys, answers: result.sent, ms: Math.round(performance.now() - started) });
    }
  } catch (err) {
    // An answer that cannot be sent leaves the association in an unknown state: it ends.
    if (err instanceof AnswerSendError) throw err;
    const message = errorMessage(err);
    logger.error('dicom.find_failed', { ...fields, keys, answers_sent: sent, error: message });
    final.setStatus(DimseStatus.unableToProcess);
    final.setErrorComment(errorComment(message));
  } finally {
    inProgress.end(messageId);
  }
  callback([final]);
}
