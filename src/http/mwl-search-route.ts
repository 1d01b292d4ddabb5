/**
 * DICOMweb Modality Scheduled Procedure Step search (PS3.18 14.4): the web form of the worklist
 * C-FIND. The parameters become the identifier a C-FIND would carry, and the answers come from the
 * same service, page by page, giving the event loop back between pages and stopping when the
 * client goes away. Statuses per PS3.18 14.4.3: 200 with results, 204 with none, 400 for a bad
 * parameter, 406 for a media type not offered; more results than returned are announced by a
 * Warning header (PS3.18 8.3.4.4), to be fetched with offset.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DicomJson } from '../model/item.js';
import { describeQuery } from '../model/describe.js';
import { dicomJsonAnswer } from './dicom-json.js';
import { acceptsDicomJson, DICOM_JSON, warning } from './http-common.js';
import { parseSearchParameters, SearchParameterError, type SearchRequest } from './search-params.js';
import type { HttpServerOptions, HttpServices } from './services.js';
import type { Logger } from '../log.js';

export const MWL_SEARCH_PATH = '/dicom-web/modality-scheduled-procedure-steps';

/** Answers taken from the stream per event-loop turn. */
const ANSWER_BATCH = 64;

export function registerMwlSearch(app: FastifyInstance, services: HttpServices, opts: HttpServerOptions, logger: Logger): void {
  app.get(MWL_SEARCH_PATH, async (request: FastifyRequest, reply: FastifyReply) => {
    const started = performance.now();
    if (!acceptsDicomJson(request.headers.accept)) {
      return reply
        .code(406)
        .header('Warning', warning(`only ${DICOM_JSON} is offered`))
        .send({ error: `Not Acceptable: this server answers searches in ${DICOM_JSON} (or application/json)` });
    }
    let search: SearchRequest;
    try {
      search = parseSearchParameters(request.query as Record<string, string | string[] | undefined>);
    } catch (err) {
      if (!(err instanceof SearchParameterError)) throw err;
      logger.info('http.search_refused', { remote: request.ip, reason: err.message });
      return reply.code(400).header('Warning', warning(err.message)).send({ error: err.message });
    }
    const limit = Math.min(search.limit ?? opts.maxResults, opts.maxResults);
    const stream = services.search(search.identifier, { maxAnswers: search.offset + limit, wholeItems: search.includeAll });
    const results: DicomJson[] = [];
    let skipped = 0;
    while (!stream.done) {
      if (request.raw.destroyed || reply.raw.destroyed) {
        logger.info('http.search_abandoned', { remote: request.ip, results: results.length, reason: 'the client went away' });
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
    if (stream.truncated) warnings.push(warning(`There are additional results that can be requested (offset=${search.offset + results.length})`));
    const seconds = (performance.now() - started) / 1000;
    services.metrics.searchAnswered('dicomweb', 'http', seconds, results.length);
    logger.info('http.search', {
      remote: request.ip,
      keys: describeQuery(search.identifier),
      results: results.length,
      more: stream.truncated || undefined,
      ms: Math.round(seconds * 1000),
    });
    if (warnings.length) reply.header('Warning', warnings);
    if (results.length === 0) return reply.code(204).send();
    // As bytes: a string would get "; charset=utf-8" added to the media type (JSON is UTF-8 anyway, RFC 8259).
    return reply
      .code(200)
      .header('Content-Type', DICOM_JSON)
      .send(Buffer.from(JSON.stringify(results)));
  });
}
