/**
 * Modality Worklist C-FIND on one association: the request is checked (SOP class, one at a time,
 * a readable identifier within bounds), the answers are streamed (find-stream.ts), the final
 * status says how it ended, and the query log gets one record of it, whose id the log line names.
 */
import { errorMessage } from '../errors.js';
import type { DicomJson } from '../model/item.js';
import { describeTag } from '../model/dictionary.js';
import { printable } from './associate-request.js';
import { SopClassUid } from './association-policy.js';
import { AnswerEncoder, type EncodedAnswer } from '../model/answer-encoding.js';
import { PDataBatch } from './pdata-batch.js';
import { AnswerDataset, encodeCommandSet } from './answer-dataset.js';
import { describeQuery } from '../model/describe.js';
import {
  CFindResponse,
  Status,
  affectedSopClassOf,
  datasetReadProblem,
  plainIdentifierOf,
  useEncodedCommandSet,
  type CFindRequest,
  type CFindResponseT,
} from './dimse-shim.js';
import { DimseStatus, errorComment, statusText } from './dimse-status.js';
import { AnswerSendError, streamAnswers, type AnswerChannel, type FindsInProgress } from './find-stream.js';
import type { QueryOutcome } from '../model/query-record.js';
import { identifierFromNaturalized, identifierProblem } from './identifier.js';
import type { RequestScope, ScpServices } from './services.js';

/**
 * Answers one C-FIND. Resolves when the final response was written (a refusal: handed to
 * `callback`), or the association went away; rejects with AnswerSendError when an answer could not be sent, which
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
  let identifier: DicomJson | undefined;
  /** The keys in one line, once the identifier is read (set once; read by record() and the log lines). */
  const described: { keys?: string } = {};
  const startedAt = new Date().toISOString();
  /** One query log record of how the C-FIND ended; its id, for the log line. */
  const record = (outcome: QueryOutcome, status: number | undefined, answers: number, error?: string, replaced: string[] = []): number | undefined =>
    services.queryLog?.record({
      at: startedAt,
      kind: 'find',
      remote: scope.remote,
      callingAeTitle: scope.callingAeTitle,
      calledAeTitle: scope.calledAeTitle,
      identifier: identifier ?? null,
      keys: described.keys ?? null,
      outcome,
      status: status === undefined ? null : statusText(status),
      answers,
      durationMs: Math.round(performance.now() - started),
      error: error ?? null,
      replaced,
      aeSetting: services.callingAeSettings?.[scope.callingAeTitle] ?? null,
    });
  const refuse = (status: number, event: string, reason: string): void => {
    const query = record('refused', status, 0, reason);
    logger.warn(event, { ...fields, keys: described.keys, status: statusText(status), reason, query });
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
  try {
    identifier = plainIdentifierOf(dataset) ?? identifierFromNaturalized(dataset.getElements());
  } catch (err) {
    refuse(DimseStatus.identifierDoesNotMatchSopClass, 'dicom.find_unreadable', `identifier unreadable: ${errorMessage(err)}`);
    return;
  }
  const keys = describeQuery(identifier);
  described.keys = keys;
  const problem = identifierProblem(identifier);
  if (problem) {
    // Too large to keep: the log keeps the (shortened) keys only.
    identifier = undefined;
    refuse(DimseStatus.identifierDoesNotMatchSopClass, 'dicom.find_unreadable', problem);
    return;
  }
  const query = identifier;
  const { callingAeTitle } = scope;
  const setting = services.callingAeSettings?.[callingAeTitle];
  const charset = setting?.characterSet && setting.characterSet !== 'ISO_IR 192' ? setting.characterSet : undefined;
  const replaced = new Set<string>();
  const messageId = request.getMessageId();
  const progress = inProgress.begin(messageId);
  let sent = 0;
  /** Answers and the final response, framed here and written many per socket write. */
  const framing = scope.framing(request);
  const batch = new PDataBatch(framing.contextId, framing.maxPduLength);
  const flush = (): void => {
    const bytes = batch.take();
    if (bytes) scope.writeBytes(bytes);
  };
  /** The final response, in the same write as the last answers (one segment: no wait on the peer's delayed ACK between them). */
  const finalState = { sent: false };
  const sendFinal = (): void => {
    if (finalState.sent) return;
    finalState.sent = true;
    batch.add(encodeCommandSet(final.getCommandDataset()));
    flush();
  };
  try {
    const stream = services.find(query, {
      callingAeTitle,
      remote: String(scope.fields().remote ?? ''),
      maxAnswers: setting?.maxAnswers,
      onlyStation: setting?.onlyOwnStation ? callingAeTitle : undefined,
    });
    const encoder = new AnswerEncoder(query, stream.matchOptions, { transferSyntaxUid: framing.transferSyntaxUid, charset });
    // Every pending response of a C-FIND has the same command set: encoded once.
    const pending = CFindResponse.fromRequest(request);
    pending.setAffectedSopClassUid(sopClass);
    pending.setStatus(Status.Pending);
    // dcmjs-dimse's Command Data Set Type says a data set follows only when the response has one.
    pending.setDataset(new AnswerDataset({}, framing.transferSyntaxUid));
    const pendingCommand = encodeCommandSet(pending.getCommandDataset());
    /** Answers are kept with their items for the next query of the same identifier in the same transfer syntax and character set. */
    const answerKey = `scp|${framing.transferSyntaxUid}|${charset ?? ''}`;
    const derive = (item: DicomJson): { value: EncodedAnswer; bytes: number } => {
      try {
        const answer = encoder.encode(item);
        // One buffer: a kept answer holds no references into the item's element encodings.
        const bytes = Buffer.concat(answer.parts, answer.length);
        return { value: { parts: [bytes], length: answer.length, replaced: answer.replaced }, bytes: answer.length };
      } catch (err) {
        throw new AnswerSendError(`answer ${sent + 1} could not be encoded or sent: ${errorMessage(err)}`);
      }
    };
    const channel: AnswerChannel<EncodedAnswer> = {
      get open() {
        return scope.open;
      },
      get cancelled() {
        return progress.cancelled;
      },
      next: (max) => stream.nextDerived(max, answerKey, derive),
      sendAnswer: (answer) => {
        try {
          answer.replaced.forEach((tag) => replaced.add(tag));
          batch.add(pendingCommand, answer);
          sent++;
        } catch (err) {
          throw new AnswerSendError(`answer ${sent + 1} could not be encoded or sent: ${errorMessage(err)}`);
        }
      },
      flush,
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
    const replacedTags = [...replaced].map(describeTag);
    if (result.outcome === 'gone') {
      logger.info('dicom.find_abandoned', {
        ...fields,
        keys,
        answers_sent: result.sent,
        query: record('abandoned', undefined, result.sent, 'the association ended before the last answer', replacedTags),
        reason: 'the association ended before the last answer; no more answers were built',
      });
      return;
    }
    if (result.outcome === 'cancelled') {
      final.setStatus(Status.Cancel);
      sendFinal();
      logger.info('dicom.find_cancelled', {
        ...fields,
        keys,
        answers_sent: result.sent,
        query: record('cancelled', DimseStatus.cancel, result.sent, undefined, replacedTags),
      });
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
      sendFinal();
      const ms = performance.now() - started;
      services.metrics?.searchAnswered('dimse', callingAeTitle, ms / 1000, result.sent);
      const id = record(stream.truncated ? 'truncated' : 'complete', DimseStatus.success, result.sent, undefined, replacedTags);
      // An empty answer where items exist for the same patient, accession or day: say so, and how to find out why.
      const hint = result.sent === 0 ? services.emptyAnswerHint?.(query, callingAeTitle) : undefined;
      logger.info('dicom.find', {
        ...fields,
        keys,
        answers: result.sent,
        ms: Math.round(ms),
        query: id,
        hint: hint && id !== undefined ? `${hint}: mwl-bridge explain ${id}` : hint,
      });
    }
  } catch (err) {
    // An answer that cannot be sent leaves the association in an unknown state: it ends.
    if (err instanceof AnswerSendError) throw err;
    const message = errorMessage(err);
    // After the final response (a failure recording the query): nothing more to send.
    if (finalState.sent) {
      logger.error('dicom.find_failed', { ...fields, keys, answers_sent: sent, error: message });
      return;
    }
    logger.error('dicom.find_failed', {
      ...fields,
      keys,
      answers_sent: sent,
      error: message,
      query: record('failed', DimseStatus.unableToProcess, sent, message),
    });
    final.setStatus(DimseStatus.unableToProcess);
    final.setErrorComment(errorComment(message));
    sendFinal();
  } finally {
    inProgress.end(messageId);
  }
}
