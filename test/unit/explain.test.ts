import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { explainMatch, describeVerdict } from '../../src/model/match-explain.js';
import { matchDataset } from '../../src/model/match.js';
import { identifierFromKeys } from '../../src/model/key-path.js';
import type { DicomJson } from '../../src/model/item.js';
import { QueryRecorder, type QueryLogWriter } from '../../src/worklist/query-recorder.js';
import type { QueryRecord } from '../../src/model/query-record.js';
import { createLogger } from '../../src/log.js';
import { seededRandom } from '../helpers/random.js';

const sps = (keys: DicomJson): DicomJson => ({ '00400100': { vr: 'SQ', Value: [keys] } });
const opts = { personNameCaseInsensitive: true };

/** A logged C-FIND as the SCP gives it to the recorder, with the fields a test varies. */
function queryRecord(fields: Partial<Omit<QueryRecord, 'id'>>): Omit<QueryRecord, 'id'> {
  return {
    at: '2026-12-03T00:00:00.000Z',
    kind: 'find',
    remote: null,
    callingAeTitle: 'CT1',
    calledAeTitle: 'MWL',
    identifier: null,
    keys: null,
    outcome: 'complete',
    status: '0x0000',
    answers: 0,
    durationMs: 1,
    error: null,
    replaced: [],
    aeSetting: null,
    ...fields,
  };
}

describe('explainMatch', () => {
  const item: DicomJson = {
    '00100020': { vr: 'LO', Value: ['PAT1'] },
    '00100010': { vr: 'PN', Value: [{ Alphabetic: 'DOE^JOHN' }] },
    ...sps({ '00400001': { vr: 'AE', Value: ['CT_ROOM2'] }, '00400002': { vr: 'DA', Value: ['20261201'] }, '00400003': { vr: 'TM', Value: ['0900'] } }),
  };

  it('names each key with the query value, the item value and the rule', () => {
    const query = {
      '00100020': { vr: 'LO', Value: ['PAT1'] },
      ...sps({ '00400001': { vr: 'AE', Value: ['CT1'] }, '00400002': { vr: 'DA', Value: ['20261202-20261202'] } }),
    };
    const r = explainMatch(item, query, opts);
    assert.equal(r.matches, false);
    assert.deepEqual(
      r.keys.map((k) => describeVerdict(k)),
      [
        'PatientID: query "PAT1", item "PAT1" (single value match)',
        'ScheduledProcedureStepSequence > ScheduledStationAETitle: query "CT1", item "CT_ROOM2" (single value match)',
        'ScheduledProcedureStepSequence > ScheduledProcedureStepStartDate 20261201 outside 20261202-20261202 (range match)',
      ],
    );
  });

  it('explains a combined date-time range as one key, and wildcards and case', () => {
    const query = {
      '00100010': { vr: 'PN', Value: [{ Alphabetic: 'doe*' }] },
      ...sps({ '00400002': { vr: 'DA', Value: ['20261201-20261201'] }, '00400003': { vr: 'TM', Value: ['1000-1200'] } }),
    };
    const r = explainMatch(item, query, opts);
    assert.deepEqual(
      r.keys.map((k) => [k.key, k.rule, k.matches]),
      [
        ['PatientName', 'wildcard match, case-insensitive', true],
        ['ScheduledProcedureStepSequence > ScheduledProcedureStepStartDate + ScheduledProcedureStepStartTime', 'combined date-time range match', false],
      ],
    );
  });

  it('says so when each key of a sequence matches some item of it but no item matches all', () => {
    const two: DicomJson = {
      '00400100': {
        vr: 'SQ',
        Value: [
          { '00080060': { vr: 'CS', Value: ['CT'] }, '00400001': { vr: 'AE', Value: ['A'] } },
          { '00080060': { vr: 'CS', Value: ['MR'] }, '00400001': { vr: 'AE', Value: ['B'] } },
        ],
      },
    };
    const r = explainMatch(two, sps({ '00080060': { vr: 'CS', Value: ['CT'] }, '00400001': { vr: 'AE', Value: ['B'] } }), opts);
    assert.equal(r.matches, false);
    assert.equal(r.keys.filter((k) => !k.matches).length, 1, 'the closest step misses one key');
  });

  it('never disagrees with the matcher: 3,000 random item/query pairs', () => {
    const rnd = seededRandom(19);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    const ids = ['PAT1', 'PAT2', 'PAT*', '*1', 'P?T1', ''];
    const dates = ['20261201', '20261202', '20261201-20261202', '-20261201', '20261202-', ''];
    const times = ['0900', '1000-1200', '0800-0930', ''];
    const stations = ['CT1', 'CT2', 'CT*', ''];
    const el = (vr: string, v: string): { vr: string; Value?: string[] } => (v ? { vr, Value: [v] } : { vr });
    const dataset = (id: string, date: string, time: string, station: string): DicomJson => ({
      '00100020': el('LO', id),
      ...sps({ '00400001': el('AE', station), '00400002': el('DA', date), '00400003': el('TM', time) }),
    });
    for (let n = 0; n < 3000; n++) {
      const stored = dataset(pick(['PAT1', 'PAT2']), pick(['20261201', '20261202']), pick(['0900', '1100']), pick(['CT1', 'CT2']));
      const query = dataset(pick(ids), pick(dates), pick(times), pick(stations));
      const r = explainMatch(stored, query, opts);
      assert.equal(r.matches, matchDataset(stored, query, opts));
      assert.equal(r.matches, r.keys.every((k) => k.matches) && r.note === undefined, JSON.stringify({ stored, query, r }));
    }
  });
});

describe('identifierFromKeys (findscu -k syntax)', () => {
  it('reads keywords, tags, sequence paths, lists and return keys', () => {
    assert.deepEqual(
      identifierFromKeys([
        'PatientID=123',
        '(0010,0010)=DOE^*',
        '0008,0050',
        'ScheduledProcedureStepSequence[0].Modality=CT\\MR',
        '(0040,0100)[0].(0040,0001)=CT1',
      ]),
      {
        '00100020': { vr: 'LO', Value: ['123'] },
        '00100010': { vr: 'PN', Value: [{ Alphabetic: 'DOE^*' }] },
        '00080050': { vr: 'SH' },
        '00400100': { vr: 'SQ', Value: [{ '00080060': { vr: 'CS', Value: ['CT', 'MR'] }, '00400001': { vr: 'AE', Value: ['CT1'] } }] },
      },
    );
  });

  it('names a key it cannot read', () => {
    assert.throws(() => identifierFromKeys(['PatientNam=X']), /"PatientNam" is neither a DICOM keyword nor a tag/);
    assert.throws(() => identifierFromKeys(['PatientID[0].Modality=CT']), /PatientID is not a sequence/);
  });
});

describe('QueryRecorder', () => {
  const record = (n: number): Omit<QueryRecord, 'id'> => queryRecord({ at: new Date(n).toISOString(), keys: `PatientID=${n}` });

  it('numbers records after the highest stored id and writes them in one batch', () => {
    const written: QueryRecord[][] = [];
    const writer: QueryLogWriter = { lastId: () => 41, append: (r) => written.push([...r]) };
    const recorder = new QueryRecorder(writer, createLogger({ level: 'error', write: () => undefined }));
    assert.equal(recorder.record(record(1)), 42);
    assert.equal(recorder.record(record(2)), 43);
    recorder.close();
    assert.deepEqual(
      written.map((batch) => batch.map((r) => r.id)),
      [[42, 43]],
    );
  });

  it('keeps records while the database cannot be written, bounded, and writes them once it can', () => {
    let failing = true;
    const written: QueryRecord[] = [];
    const lines: string[] = [];
    const writer: QueryLogWriter = {
      lastId: () => 0,
      append: (r) => {
        if (failing) throw new Error('database is locked');
        written.push(...r);
      },
    };
    const recorder = new QueryRecorder(writer, createLogger({ level: 'info', write: (line: string) => lines.push(line) }));
    for (let n = 0; n < 10_005; n++) recorder.record(record(n));
    recorder.flush();
    assert.equal(written.length, 0);
    assert.equal(lines.filter((l) => l.includes('query_log.write_failed')).length, 1, 'logged once');
    failing = false;
    recorder.close();
    assert.equal(written.length, 10_000, 'the oldest records beyond the bound were dropped');
    assert.equal(written[0]?.id, 6);
    assert.match(lines.find((l) => l.includes('query_log.recovered')) ?? '', /dropped=5/);
  });
});

describe('QueryRecorder bounds', () => {
  it('keeps a large identifier as its keys line only, and cuts long text', () => {
    const written: QueryRecord[] = [];
    const recorder = new QueryRecorder({ lastId: () => 0, append: (r) => written.push(...r) }, createLogger({ level: 'error', write: () => undefined }));
    const values = Array.from({ length: 64 }, (_, i) => `${'X'.repeat(1000)}${i}`);
    recorder.record(queryRecord({ identifier: { '00100020': { vr: 'LO', Value: values } }, keys: `PatientID=${values.join('\\')}` }));
    recorder.close();
    const [first] = written;
    assert.ok(first);
    assert.equal(first.identifier, null);
    assert.ok((first.keys ?? '').length < 2_200);
    assert.match(first.keys ?? '', /\(64\d{3} characters\) \[identifier of \d+ characters not kept\]$/);
  });
});
