/**
 * DICOMweb Modality Scheduled Procedure Step search (PS3.18 14.4): the web form of the worklist
 * C-FIND. The parameters become the identifier a C-FIND would carry, and the answers come from the
 * same service, page by page, giving the event loop back between pages and stopping when the
 * client goes away. Answers in DICOM JSON, or in the XML model as multipart/related (Accept header or
 * accept parameter). Statuses per PS3.18 14.4.3: 200 with results, 204 with none, 400 for a bad
 * parameter, 406 for a media type not offered; more results than returned are announced by a
 * Warning header (PS3.18 8.3.4.4), to be fetched with offset.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DicomJson } from '../model/item.js';
import type { QueryOutcome } from '../model/query-record.js';
import { describeQuery } from '../model/describe.js';
import { dicomJsonAnswer } from './dicom-json.js';
import { DICOM_JSON, negotiateSearchMediaType, warning } from './http-common.js';
import { DICOM_XML, multipartDicomXml, multipartDicomXmlType } from './native-dicom-xml.js';
import { parseSearchParameters, SearchParameterError, type SearchRequest } from './search-params.js';
import type { HttpServerOptions, HttpServices } from './services.js';
import type { Logger } from '../log.js';

export const MWL_SEARCH_PATH = '/dicom-web/modality-scheduled-procedure-steps';

/** Answers taken from the stream per event-loop turn. */
const ANSWER_BATCH = 64;

export function registerMwlSearch(app: FastifyInstance, services: HttpServices, opts: HttpServerOptions, logger: Logger): void {
  app.get(MWL_SEARCH_PATH, async (request: FastifyRequest, reply: FastifyReply) => {
    const started = performance.now();
    const at = new Date().toISOString();
    // The client's calling AE title: its token's, else http.callingAeTitle's; its policy is a C-FIND's from it.
    const callingAeTitle = request.tokenHolder?.aeTitle ?? opts.callingAeTitle;
    const policy = services.searchPolicy(callingAeTitle);
    /** The query log record of how the search ended (kind dicomweb: the remote address and token, the calling AE title if any); its id. */
    const record = (outcome: QueryOutcome, status: number | null, identifier: DicomJson | null, answers: number, error: string | null = null): number =>
      services.queryLog.record({
        at,
        kind: 'dicomweb',
        remote: request.tokenHolder ? `${request.ip} (token ${request.tokenHolder.name})` : request.ip,
        callingAeTitle: callingAeTitle ?? null,
        calledAeTitle: null,
        identifier,
        keys: identifier ? describeQuery(identifier) : (request.url.split('?')[1]?.slice(0, 500) ?? ''),
        outcome,
        status: status === null ? null : String(status),
        answers,
        durationMs: Math.round(performance.now() - started),
        error,
        replaced: [],
        aeSetting: policy.aeSetting,
      });
    const mediaType = negotiateSearchMediaType(acceptOf(request));
    if (!mediaType) {
      return reply
        .code(406)
        .header('Warning', warning(`only ${DICOM_JSON} and ${XML_OFFERED} are offered`))
        .send({ error: `Not Acceptable: this server answers searches in ${DICOM_JSON} (or application/json) and ${XML_OFFERED}` });
    }
    let search: SearchRequest;
    try {
      search = parseSearchParameters(request.query as Record<string, string | string[] | undefined>);
    } catch (err) {
      if (!(err instanceof SearchParameterError)) throw err;
      const query = record('refused', 400, null, 0, err.message);
      logger.info('http.search_refused', { remote: request.ip, reason: err.message, query });
      return reply.code(400).header('Warning', warning(err.message)).send({ error: err.message });
    }
    const limit = Math.min(search.limit ?? opts.maxResults, opts.maxResults);
    // The AE title's answer limit bounds the whole result list, as it bounds a C-FIND's answers; pages are taken from within it.
    const aeLimit = policy.maxAnswers ?? Infinity;
    const window = Math.min(search.offset + limit, aeLimit);
    const stream = services.search(search.identifier, { maxAnswers: window, wholeItems: search.includeAll, callingAeTitle });
    const results: DicomJson[] = [];
    let skipped = 0;
    while (!stream.done) {
      if (request.raw.destroyed || reply.raw.destroyed) {
        const query = record('abandoned', null, search.identifier, results.length, 'the client went away before the last result');
        logger.info('http.search_abandoned', { remote: request.ip, results: results.length, reason: 'the client went away', query });
        return reply;
      }
      for (const answer of stream.next(ANSWER_BATCH)) {
        if (skipped < search.offset) skipped++;
        else results.push(dicomJsonAnswer(answer));
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    const warnings: string[] = [];
    if (search.fuzzymatching) warnings.push(warning('The fuzzymatching parameter is not supported. Only literal matching has been performed.'));
    // Cut by the AE title's limit: no further page exists (as a C-FIND, the modality should narrow its query).
    const cutByAeLimit = stream.truncated && window === aeLimit;
    if (cutByAeLimit)
      warnings.push(warning(`The number of results exceeded the answer limit of calling AE title ${callingAeTitle ?? ''} (${aeLimit}); narrow the query`));
    else if (stream.truncated) warnings.push(warning(`There are additional results that can be requested (offset=${search.offset + results.length})`));
    const seconds = (performance.now() - started) / 1000;
    services.metrics.searchAnswered('dicomweb', callingAeTitle ?? 'http', seconds, results.length);
    const query = record(stream.truncated ? 'truncated' : 'complete', results.length ? 200 : 204, search.identifier, results.length);
    logger.info('http.search', {
      query,
      remote: request.ip,
      calling_ae: callingAeTitle,
      keys: describeQuery(search.identifier),
      results: results.length,
      more: stream.truncated || undefined,
      ms: Math.round(seconds * 1000),
    });
    if (warnings.length) reply.header('Warning', warnings);
    reply.header('Vary', 'Accept');
    if (results.length === 0) return reply.code(204).send();
    if (mediaType === 'xml') {
      const boundary = randomBytes(16).toString('hex');
      return reply.code(200).header('Content-Type', multipartDicomXmlType(boundary)).send(multipartDicomXml(results, boundary));
    }
    // As bytes: a string would get "; charset=utf-8" added to the media type (JSON is UTF-8 anyway, RFC 8259).
    return reply
      .code(200)
      .header('Content-Type', DICOM_JSON)
      .send(Buffer.from(JSON.stringify(results)));
  });
}

const XML_OFFERED = `multipart/related; type="${DICOM_XML}"`;

/** The media types asked for: the accept query parameter when given (PS3.18 8.3.3.1: it overrides the header), else the Accept header. */
function acceptOf(request: FastifyRequest): string | undefined {
  const param = (request.query as Record<string, string | string[] | undefined>).accept;
  return param === undefined ? request.headers.accept : [param].flat().join(',');
}
