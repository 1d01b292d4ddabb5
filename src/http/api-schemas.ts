/**
 * JSON schemas of the management API, written once: fastify validates requests with them and the
 * OpenAPI document (openapi.ts) publishes them.
 */

const MAX_PAGE = 500;

export const itemStatus = {
  type: 'string',
  enum: ['SCHEDULED', 'ARRIVED', 'READY', 'STARTED', 'DEPARTED', 'COMPLETED', 'DISCONTINUED', 'CANCELED', 'HELD'],
} as const;

const shortText = { type: 'string', minLength: 1, maxLength: 64 } as const;
const id = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } as const;
const page = {
  limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE, default: 100, description: `Most entries returned (at most ${MAX_PAGE}).` },
  before: { ...id, description: 'Only entries with an id below this one: the next page starts below the last id of this one.' },
} as const;

export const idParams = { type: 'object', required: ['id'], additionalProperties: false, properties: { id } } as const;

export const itemListQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { status: itemStatus, patientId: shortText, accessionNumber: shortText, ...page },
} as const;

export const messageListQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    outcome: { type: 'string', enum: ['stored', 'ignored', 'duplicate', 'rejected', 'error'] },
    patientId: shortText,
    accessionNumber: shortText,
    controlId: shortText,
    since: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}', maxLength: 40, description: 'UTC, YYYY-MM-DD or ISO 8601.' },
    until: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}', maxLength: 40, description: 'UTC, YYYY-MM-DD or ISO 8601.' },
    ...page,
  },
} as const;

export const queryListQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    callingAeTitle: { type: 'string', minLength: 1, maxLength: 16 },
    since: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}', maxLength: 40, description: 'UTC, YYYY-MM-DD or ISO 8601.' },
    until: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}', maxLength: 40, description: 'UTC, YYYY-MM-DD or ISO 8601.' },
    ...page,
  },
} as const;

const dicomJson = { type: 'object', description: 'A data set in the DICOM JSON model (PS3.18 F.2).', additionalProperties: true } as const;
const nullableText = { type: ['string', 'null'] } as const;

export const itemSchema = {
  type: 'object',
  required: ['id', 'status', 'dataset'],
  properties: { id, status: itemStatus, dataset: dicomJson },
} as const;

const messageProperties = {
  id,
  receivedAt: { type: 'string' },
  remote: nullableText,
  sendingApplication: nullableText,
  sendingFacility: nullableText,
  controlId: nullableText,
  messageType: nullableText,
  patientId: nullableText,
  accessionNumber: nullableText,
  action: nullableText,
  outcome: { type: 'string' },
  ackCode: { type: 'string' },
  error: nullableText,
  itemIds: { type: 'array', items: id },
} as const;

export const messageSummarySchema = { type: 'object', required: Object.keys(messageProperties), properties: messageProperties } as const;

export const messageDetailSchema = {
  type: 'object',
  required: [...Object.keys(messageProperties), 'raw', 'rawBase64', 'ack'],
  properties: {
    ...messageProperties,
    raw: { type: 'string', description: 'The message as received, read as UTF-8 (see rawBase64 for the exact bytes).' },
    rawBase64: { type: 'string' },
    ack: nullableText,
  },
} as const;

export const errorSchema = { type: 'object', required: ['error'], properties: { error: { type: 'string' } } } as const;

export const querySchema = {
  type: 'object',
  required: ['id', 'at', 'kind', 'outcome'],
  properties: {
    id,
    at: { type: 'string' },
    kind: { type: 'string', enum: ['find', 'association'] },
    remote: nullableText,
    callingAeTitle: nullableText,
    calledAeTitle: nullableText,
    identifier: { type: ['object', 'null'], description: 'The C-FIND identifier as decoded, in the DICOM JSON model.' },
    keys: nullableText,
    outcome: { type: 'string', enum: ['complete', 'truncated', 'cancelled', 'failed', 'refused', 'abandoned', 'rejected'] },
    status: nullableText,
    answers: { type: ['integer', 'null'] },
    durationMs: { type: ['number', 'null'] },
    error: nullableText,
    replaced: { type: 'array', items: { type: 'string' } },
    aeSetting: { type: ['object', 'null'] },
  },
} as const;

export const explainQueryString = {
  type: 'object',
  additionalProperties: false,
  properties: {
    accessionNumber: { ...shortText, description: 'The item of interest, by accession number.' },
    patientId: { ...shortText, description: 'The item of interest, by patient ID (when no accession number is given).' },
  },
} as const;

const texts = { type: 'array', items: { type: 'string' } } as const;

export const explainReportSchema = {
  type: 'object',
  required: ['query', 'queryReasons', 'items', 'nearMiss', 'history'],
  properties: {
    query: {
      type: 'object',
      properties: {
        id,
        at: { type: 'string' },
        callingAeTitle: { type: 'string' },
        calledAeTitle: { type: 'string' },
        keys: { type: 'string' },
        outcome: { type: 'string' },
        answers: { type: ['integer', 'null'] },
        error: nullableText,
      },
    },
    queryReasons: { ...texts, description: 'Reasons that concern the whole query (association rejected, query refused).' },
    target: { type: 'object', properties: { accessionNumber: { type: 'string' }, patientId: { type: 'string' } } },
    items: {
      type: 'array',
      description: 'The items of interest, or (nearMiss) the items that miss the query by one key.',
      items: {
        type: 'object',
        properties: {
          id,
          status: itemStatus,
          accessionNumber: { type: 'string' },
          patientId: { type: 'string' },
          patientName: { type: 'string' },
          station: { type: 'string' },
          answered: { type: 'boolean' },
          reasons: texts,
          notes: texts,
          keys: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                key: { type: 'string' },
                query: { type: 'string' },
                item: { type: 'string' },
                rule: { type: 'string' },
                matches: { type: 'boolean' },
              },
            },
          },
        },
      },
    },
    nearMiss: { type: 'boolean' },
    history: { ...texts, description: 'When no item of interest is in the store: what the message log knows of it.' },
  },
} as const;
