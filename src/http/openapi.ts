/**
 * The OpenAPI 3.1 document of the HTTP server, served at /api/openapi.json: the management API from
 * the schemas its routes validate with, and the DICOMweb and operations endpoints described here.
 */
import { apiRoutes } from './api-routes.js';
import { errorSchema, type ApiOperation, type ApiOperations } from './api-schemas.js';
import { MWL_SEARCH_PATH } from './mwl-search-route.js';
import { MPPS_PATH } from './mpps-routes.js';

type Schema = Record<string, unknown>;

const json = (schema: Schema): Schema => ({ content: { 'application/json': { schema } } });
const errorResponse = (description: string): Schema => ({ description, ...json(errorSchema) });

/** OpenAPI parameters from a JSON schema of an object (query string or path). */
function parameters(schema: Schema | undefined, where: 'query' | 'path'): Schema[] {
  const properties = (schema?.properties ?? {}) as Record<string, Schema>;
  const required = (schema?.required ?? []) as string[];
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || required.includes(name),
    schema: property,
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
  }));
}

const secured = { security: [{ bearer: [] }] };

/** The OpenAPI form of a documented write or tool operation (every one needs a token with the write role when tokens are configured). */
function operation(op: ApiOperation, method: string): Schema {
  const responses: Record<string, Schema> = {};
  for (const [status, r] of Object.entries(op.responses)) responses[status] = { description: r.description, ...(r.schema ? json(r.schema as Schema) : {}) };
  responses[401] = errorResponse('No token, or an unknown one (when tokens are configured)');
  if (method !== 'get') responses[403] = errorResponse('The token may only read');
  return {
    summary: op.summary,
    ...secured,
    parameters: parameters(op.params as Schema | undefined, 'path'),
    ...(op.body
      ? {
          requestBody: {
            required: true,
            ...(op.body.description ? { description: op.body.description } : {}),
            content: Object.fromEntries(op.body.mediaTypes.map((t) => [t, { schema: op.body?.schema }])),
          },
        }
      : {}),
    responses,
  };
}

/** Adds documented operations to the paths (beside the ones a path has already). */
function addOperations(paths: Record<string, Schema>, operations: ApiOperations): void {
  for (const [path, methods] of Object.entries(operations)) {
    const entry: Schema = { ...paths[path] };
    for (const [method, op] of Object.entries(methods)) entry[method] = operation(op, method);
    paths[path] = entry;
  }
}

export function openApiDocument(version: string, operations: readonly ApiOperations[]): Schema {
  const paths: Record<string, Schema> = {};
  for (const [path, route] of Object.entries(apiRoutes)) {
    const params = 'params' in route ? route.params : undefined;
    const query = 'querystring' in route ? route.querystring : undefined;
    paths[path] = {
      get: {
        summary: route.summary,
        ...secured,
        parameters: [...parameters(params, 'path'), ...parameters(query, 'query')],
        responses: {
          200: { description: 'OK', ...json(route.response) },
          400: errorResponse('A parameter is not valid'),
          401: errorResponse('No token, or an unknown one (when tokens are configured)'),
          ...(params ? { 404: errorResponse('No such entry') } : {}),
        },
      },
    };
  }
  for (const ops of operations) addOperations(paths, ops);
  paths[MWL_SEARCH_PATH] = {
    get: {
      summary: 'DICOMweb Modality Scheduled Procedure Step search (PS3.18 14.4): the worklist C-FIND over HTTP',
      description:
        'Match parameters by keyword or tag (8 hexadecimal digits), sequence paths joined by dots (ScheduledProcedureStepSequence.Modality=CT, 00400100.00080060=CT); includefield (comma-separated, or all), fuzzymatching, offset, limit.',
      ...secured,
      parameters: [
        { name: 'includefield', in: 'query', required: false, schema: { type: 'string' } },
        { name: 'fuzzymatching', in: 'query', required: false, schema: { type: 'boolean' } },
        { name: 'offset', in: 'query', required: false, schema: { type: 'integer', minimum: 0 } },
        { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1 } },
        {
          name: 'accept',
          in: 'query',
          required: false,
          description: 'Media types, as the Accept header (which it overrides): application/dicom+json, or multipart/related; type="application/dicom+xml"',
          schema: { type: 'string' },
        },
      ],
      responses: {
        200: {
          description: 'Matching scheduled procedure steps: DICOM JSON (PS3.18 F.2), or one Native DICOM Model document (PS3.19 A.1) a part',
          content: {
            'application/dicom+json': { schema: { type: 'array', items: { type: 'object' } } },
            'multipart/related; type="application/dicom+xml"': { schema: { type: 'string' } },
          },
        },
        204: { description: 'No matching scheduled procedure step' },
        400: errorResponse('A parameter is not valid (see the Warning header)'),
        401: errorResponse('No token, or an unknown one'),
        406: errorResponse('The Accept header (or accept parameter) allows no media type offered'),
      },
    },
  };
  const uid = { name: 'uid', in: 'path', required: true, schema: { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)*$', maxLength: 64 } };
  const dicomJsonBody = { required: true, content: { 'application/dicom+json': { schema: { type: 'array', items: { type: 'object' }, maxItems: 1 } } } };
  paths[`${MPPS_PATH}/{uid}`] = {
    post: {
      summary: 'DICOMweb MPPS create (PS3.18 15.4), or update with ?update (15.5): the DIMSE N-CREATE / N-SET over HTTP',
      ...secured,
      parameters: [uid, { name: 'update', in: 'query', required: false, allowEmptyValue: true, schema: { type: 'string' } }],
      requestBody: dicomJsonBody,
      responses: {
        200: { description: 'Updated' },
        201: { description: 'Created' },
        400: errorResponse('The payload is not a valid MPPS data set'),
        404: errorResponse('No such MPPS (update)'),
        409: errorResponse('The MPPS exists already (create), or its state does not allow the change (update)'),
      },
    },
    get: {
      summary: 'DICOMweb MPPS retrieve (PS3.18 15.6)',
      ...secured,
      parameters: [uid],
      responses: {
        200: { description: 'The MPPS', content: { 'application/dicom+json': { schema: { type: 'array', items: { type: 'object' } } } } },
        404: errorResponse('No such MPPS'),
      },
    },
  };
  paths['/health'] = { get: { summary: 'Liveness', responses: { 200: { description: 'The bridge answers', ...json({ type: 'object' }) } } } };
  paths['/ready'] = {
    get: {
      summary: 'Readiness: store writable, listeners up, mirror backlog under its bound',
      responses: { 200: { description: 'Ready', ...json({ type: 'object' }) }, 503: { description: 'Not ready (see checks)', ...json({ type: 'object' }) } },
    },
  };
  paths['/metrics'] = {
    get: {
      summary: 'Metrics in the Prometheus text format',
      ...secured,
      responses: { 200: { description: 'OK', content: { 'text/plain': { schema: { type: 'string' } } } } },
    },
  };
  paths['/api/openapi.json'] = { get: { summary: 'This document', ...secured, responses: { 200: { description: 'OK', ...json({ type: 'object' }) } } } };
  return {
    openapi: '3.1.0',
    info: { title: 'mwl-bridge', version, description: 'HL7 to DICOM Modality Worklist bridge: DICOMweb worklist search, management API, operations.' },
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'A token from mwl-bridge token (http.tokensFile); none needed when no tokens are configured (loopback only).',
        },
      },
    },
    paths,
  };
}
