import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorklistStore } from '../../src/store/worklist-store.js';
import { openDatabase, type Database } from '../../src/store/db.js';
import type { BridgeError } from '../../src/errors.js';
import { findWorklistItems } from '../../src/worklist/find.js';
import { projectAnswer } from '../../src/model/project.js';
import { firstString, type DicomJson } from '../../src/model/item.js';

const makeItem = (i: number, modality: string, date: string, aets: string[] = [`STATION${i % 3}`]): DicomJson => ({
  '00100010': { vr: 'PN', Value: [{ Alphabetic: `PATIENT${i}^TEST` }] },
  '00100020': { vr: 'LO', Value: [`P${i}`] },
  '00080050': { vr: 'SH', Value: [`A${i}`] },
  '00400100': {
    vr: 'SQ',
    Value: [{ '00080060': { vr: 'CS', Value: [modality] }, '00400001': { vr: 'AE', Value: aets }, '00400002': { vr: 'DA', Value: [date] } }],
  },
});

/** A second connection to the store's file, to look at (or change by hand) what the store keeps. */
function withRawDb<T>(store: WorklistStore, fn: (db: Database) => T): T {
  const db = openDatabase(store.path);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

function openStore(): WorklistStore {
  return WorklistStore.open(join(mkdtempSync(join(tmpdir(), 'mwl-store-')), 'wl.db'));
}

describe('WorklistStore', () => {
  it('opens SQLite in WAL mode with synchronous=FULL', () => {
    const store = openStore();
    assert.deepEqual(store.durability(), { journalMode: 'wal', synchronous: 'FULL' });
    store.close();
  });

  it('narrows candidates with indexes and matches exactly', () => {
    const store = openStore();
    store.transaction(() => {
      for (let i = 0; i < 300; i++)
        store.items.insert({ dataset: makeItem(i, i % 2 ? 'MR' : 'CT', `202611${String(10 + (i % 20)).padStart(2, '0')}`), source: 'import' });
    });
    const q = (identifier: DicomJson) => findWorklistItems(store, identifier, { personNameCaseInsensitive: true });
    const byId = q({ '00100020': { vr: 'LO', Value: ['P42'] } });
    assert.equal(byId.answers.length, 1);
    assert.equal(byId.candidates, 1, 'the PatientID index picks the one row');

    const byName = q({ '00100010': { vr: 'PN', Value: [{ Alphabetic: 'patient4*' }] } });
    assert.equal(byName.answers.length, 11); // PATIENT4, PATIENT40..49
    assert.equal(byName.candidates, 11);

    const mrDay = q({ '00400100': { vr: 'SQ', Value: [{ '00080060': { vr: 'CS', Value: ['MR'] }, '00400002': { vr: 'DA', Value: ['20261111-20261111'] } }] } });
    assert.equal(mrDay.answers.length, 15);
    assert.equal(mrDay.candidates, 15);
    store.close();
  });

  it('uses an index for selective queries (query plan)', () => {
    const store = openStore();
    const plan = (identifier: DicomJson) => store.candidates.explain({ identifier, personNameCaseInsensitive: true }).join(' ');
    assert.match(plan({ '00100020': { vr: 'LO', Value: ['P1'] } }), /SEARCH items USING (COVERING )?INDEX items_patient_id/);
    assert.match(plan({ '00080050': { vr: 'SH', Value: ['A1'] } }), /SEARCH items USING (COVERING )?INDEX items_accession_number/);
    assert.match(plan({ '0020000D': { vr: 'UI', Value: ['1.2.3', '1.2.4'] } }), /SEARCH items USING (COVERING )?INDEX items_study_instance_uid/);
    store.close();
  });

  it('answers matching keys without a column of their own from the value index, reading only candidates', () => {
    const store = openStore();
    store.transaction(() => {
      for (let i = 0; i < 200; i++) {
        const item = makeItem(i, 'CT', '20261123');
        item['00401001'] = { vr: 'SH', Value: [`RP${i}`] };
        item['00100030'] = { vr: 'DA', Value: [`19${String(50 + (i % 50)).padStart(2, '0')}0101`] };
        item['00080090'] = { vr: 'PN', Value: [{ Alphabetic: i % 10 === 0 ? 'WELBY^MARCUS' : 'HOUSE^GREGORY' }] };
        store.items.insert({ dataset: item, source: 'import' });
      }
    });
    const q = (identifier: DicomJson) => findWorklistItems(store, identifier, { personNameCaseInsensitive: true });
    const byRp = q({ '00401001': { vr: 'SH', Value: ['RP17'] } });
    assert.deepEqual([byRp.answers.length, byRp.candidates], [1, 1]);
    const byBirth = q({ '00100030': { vr: 'DA', Value: ['19500101-19510101'] } });
    assert.deepEqual([byBirth.answers.length, byBirth.candidates], [8, 8]);
    const byReferrer = q({ '00080090': { vr: 'PN', Value: [{ Alphabetic: 'welby*' }] } });
    assert.deepEqual([byReferrer.answers.length, byReferrer.candidates], [20, 20]);
    const plan = store.candidates.explain({ identifier: { '00401001': { vr: 'SH', Value: ['RP17'] } }, personNameCaseInsensitive: true }).join(' ');
    assert.match(plan, /item_values_lookup/);
    // Only what no index can answer reads every item: a leading wildcard.
    assert.equal(q({ '00401001': { vr: 'SH', Value: ['*17'] } }).candidates, 200);
    // Attributes with a column of their own are not in the value index, and are still found by it.
    const tags = withRawDb(store, (db) => (db.prepare('SELECT DISTINCT tag FROM item_values ORDER BY tag').all() as { tag: string }[]).map((r) => r.tag));
    assert.deepEqual(tags, ['00080090', '00100030', '00401001']);
    const byPatient = q({ '00100020': { vr: 'LO', Value: ['P17'] }, '00400100': { vr: 'SQ', Value: [{ '00080060': { vr: 'CS', Value: ['CT'] } }] } });
    assert.deepEqual([byPatient.answers.length, byPatient.candidates], [1, 1]);
    store.close();
  });

  it('fills the value index for items stored before it existed, once', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'mwl-store-')), 'wl.db');
    const old = WorklistStore.open(path);
    old.transaction(() => old.items.insert({ dataset: { ...makeItem(1, 'MR', '20261123'), '00401001': { vr: 'SH', Value: ['RP-OLD'] } }, source: 'import' }));
    // As a database written before the value index: no values, no marker.
    withRawDb(old, (db) => db.exec("DELETE FROM item_values; DELETE FROM store_meta WHERE key = 'item_values'"));
    old.close();
    const reopened = WorklistStore.open(path);
    const r = findWorklistItems(reopened, { '00401001': { vr: 'SH', Value: ['RP-OLD'] } }, { personNameCaseInsensitive: true });
    assert.equal(r.answers.length, 1);
    reopened.close();
  });

  it('keeps items with several station AE titles findable by any of them', () => {
    const store = openStore();
    store.transaction(() => store.items.insert({ dataset: makeItem(1, 'MR', '20261123', ['AA32', 'AA33']), source: 'import' }));
    const r = findWorklistItems(
      store,
      { '00400100': { vr: 'SQ', Value: [{ '00400001': { vr: 'AE', Value: ['AA33'] } }] } },
      { personNameCaseInsensitive: true },
    );
    assert.equal(r.answers.length, 1);
    store.close();
  });

  it('treats % and _ in values as literal characters, * and ? as wildcards', () => {
    const store = openStore();
    store.transaction(() => store.items.insert({ dataset: { '00100020': { vr: 'LO', Value: ['50%_OFF'] } }, source: 'import' }));
    const q = (v: string) => findWorklistItems(store, { '00100020': { vr: 'LO', Value: [v] } }, { personNameCaseInsensitive: true }).answers.length;
    assert.equal(q('50%*'), 1);
    assert.equal(q('5_%*'), 0);
    store.close();
  });
});

describe('projectAnswer', () => {
  it('returns every requested key, zero-length when missing, and expands an empty requested sequence', () => {
    const item = makeItem(7, 'CT', '20261123');
    const answer = projectAnswer(
      item,
      { '00100020': { vr: 'LO' }, '00100030': { vr: 'DA' }, '00400100': { vr: 'SQ', Value: [{}] }, '00081110': { vr: 'SQ', Value: [] } },
      { personNameCaseInsensitive: true },
    );
    assert.deepEqual(answer['00100020'], { vr: 'LO', Value: ['P7'] });
    assert.deepEqual(answer['00100030'], { vr: 'DA', Value: [] });
    assert.deepEqual(answer['00400100'], item['00400100']);
    assert.deepEqual(answer['00081110'], { vr: 'SQ', Value: [] });
    assert.equal(answer['00100010'], undefined, 'keys not requested are not returned');
    assert.equal(answer['00080005'], undefined, 'ASCII answers carry no Specific Character Set');
  });

  it('projects sequence items onto the requested sub-keys and flags non-ASCII text', () => {
    const item = { ...makeItem(1, 'MR', '20261123'), '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Ünal^Ça' }] } };
    const answer = projectAnswer(
      item,
      { '00100010': { vr: 'PN' }, '00400100': { vr: 'SQ', Value: [{ '00080060': { vr: 'CS' } }] } },
      { personNameCaseInsensitive: true },
    );
    assert.deepEqual(answer['00400100'], { vr: 'SQ', Value: [{ '00080060': { vr: 'CS', Value: ['MR'] } }] });
    assert.deepEqual(answer['00080005'], { vr: 'CS', Value: ['ISO_IR 192'] });
  });
});

describe('group commit (inCommitGroup)', () => {
  it('commits the calls of one event-loop turn together; one that throws is rolled back alone', async () => {
    const store = openStore();
    const ok1 = store.inCommitGroup(() => store.items.insert({ source: 'hl7', dataset: makeItem(1, 'CT', '20261123') }));
    const failing = store.inCommitGroup(() => {
      store.items.insert({ source: 'hl7', dataset: makeItem(2, 'CT', '20261123') });
      throw new Error('refused');
    });
    const ok2 = store.inCommitGroup(() => store.items.insert({ source: 'hl7', dataset: makeItem(3, 'MR', '20261123') }));
    assert.equal(store.items.count(), 0, 'nothing runs before the group is committed');
    await assert.rejects(failing, /refused/);
    const [id1, id3] = await Promise.all([ok1, ok2]);
    assert.deepEqual(
      findWorklistItems(store, { '00080050': { vr: 'SH' } }, { personNameCaseInsensitive: true }).answers.map((a) => a['00080050']?.Value?.[0]),
      ['A1', 'A3'],
    );
    assert.ok(id3 > id1);
    // A second group after the first one committed.
    await store.inCommitGroup(() => store.items.insert({ source: 'hl7', dataset: makeItem(4, 'US', '20261123') }));
    assert.equal(store.items.count(), 3);
    store.close();
  });

  it('leaves the connection at synchronous=FULL after a group, and refuses to confirm a group whose WAL cannot be synced', async () => {
    const store = openStore();
    await store.inCommitGroup(() => store.items.insert({ source: 'hl7', dataset: makeItem(1, 'CT', '20261123') }));
    assert.equal(store.durability().synchronous, 'FULL', 'other writes (MPPS, rejections, imports) still sync at commit');
    // The WAL file vanishes from under the store (deleted by hand): the group is committed but
    // cannot be made durable, so it must not be confirmed.
    unlinkSync(`${store.path}-wal`);
    await assert.rejects(
      store.inCommitGroup(() => store.items.insert({ source: 'hl7', dataset: makeItem(2, 'CT', '20261123') })),
      (err: BridgeError) => err.code === 'STORE_WRITE' && /write-ahead log could not be synced/.test(err.message),
    );
    store.close();
  });
});

describe('value index of group-committed items (written in batches)', () => {
  const withRp = (i: number, rp: string): DicomJson => ({ ...makeItem(i, 'CT', '20261123'), '00401001': { vr: 'SH', Value: [rp] } });
  const byRp = (store: WorklistStore, rp: string) => findWorklistItems(store, { '00401001': { vr: 'SH', Value: [rp] } }, { personNameCaseInsensitive: true });
  const pending = (store: WorklistStore) => withRawDb(store, (db) => (db.prepare('SELECT count(*) AS n FROM item_values_pending').get() as { n: number }).n);
  const rowsOf = (store: WorklistStore, id: number) =>
    withRawDb(store, (db) =>
      (db.prepare("SELECT value FROM item_values WHERE item_id = ? AND tag = '00401001'").all(id) as { value: string }[]).map((r) => r.value),
    );

  it('finds items whose values are not indexed yet, and indexes them in batches and once commits pause', async () => {
    const store = openStore();
    // One group of 300: the first 256 are indexed in the group's transaction, 44 stay pending.
    const ids = await Promise.all(
      Array.from({ length: 300 }, (_, i) => store.inCommitGroup(() => store.items.insert({ source: 'hl7', dataset: withRp(i, `RP${i}`) }))),
    );
    assert.equal(pending(store), 44);
    assert.deepEqual(rowsOf(store, ids[10]!), ['RP10']);
    assert.deepEqual(rowsOf(store, ids[299]!), [], 'the last items have no rows yet');
    const early = byRp(store, 'RP299');
    assert.equal(early.answers.length, 1, 'a pending item is still found');
    assert.equal(early.candidates, 44, 'pending items are candidates, the exact matcher decides');
    assert.deepEqual([byRp(store, 'RP10').answers.length, byRp(store, 'RP10').candidates], [1, 45]);

    // Changed while pending: only the new value matches.
    await store.inCommitGroup(() => {
      store.items.update(ids[299]!, withRp(299, 'RP-NEW'), 'SCHEDULED');
    });
    assert.equal(byRp(store, 'RP299').answers.length, 0);
    assert.equal(byRp(store, 'RP-NEW').answers.length, 1);
    // Deleted while pending: its mark goes with it.
    withRawDb(store, (db) => db.prepare('DELETE FROM items WHERE id = ?').run(ids[298]!));
    assert.equal(pending(store), 43);

    // Indexed once commits have paused (a timer after the last group commit).
    const deadline = Date.now() + 5000;
    while (pending(store) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(pending(store), 0, 'indexed after the pause');
    assert.deepEqual(rowsOf(store, ids[299]!), ['RP-NEW']);
    const all = withRawDb(
      store,
      (db) => db.prepare("SELECT item_id, value FROM item_values WHERE tag = '00401001' ORDER BY item_id").all() as { item_id: number; value: string }[],
    );
    assert.equal(all.length, 299, 'one row per remaining item, none twice');
    assert.ok(all.every((r) => r.value === (r.item_id === ids[299] ? 'RP-NEW' : `RP${ids.indexOf(r.item_id)}`)));
    assert.deepEqual([byRp(store, 'RP-NEW').answers.length, byRp(store, 'RP-NEW').candidates], [1, 1]);
    assert.deepEqual([byRp(store, 'RP297').answers.length, byRp(store, 'RP297').candidates], [1, 1]);
    store.close();
  });

  it('indexes items left pending by a stop when the store opens again', async () => {
    const store = openStore();
    const id = await store.inCommitGroup(() => store.items.insert({ source: 'hl7', dataset: withRp(1, 'RP-STOP') }));
    assert.equal(pending(store), 1);
    // And one whose item went while foreign keys were off (by hand): its mark must not stop the open.
    const gone = await store.inCommitGroup(() => store.items.insert({ source: 'hl7', dataset: withRp(2, 'RP-GONE') }));
    withRawDb(store, (db) => {
      db.pragma('foreign_keys = OFF');
      db.prepare('DELETE FROM items WHERE id = ?').run(gone);
    });
    store.close(); // before the pause ends
    const reopened = WorklistStore.open(store.path);
    assert.equal(pending(reopened), 0);
    assert.deepEqual(rowsOf(reopened, id), ['RP-STOP']);
    assert.deepEqual(rowsOf(reopened, gone), []);
    reopened.close();
  });
});

describe('candidate SQL for items with several scheduled steps', () => {
  it('finds an item whose steps differ (NULL key column) and keeps composite indexes for the others', () => {
    const store = openStore();
    store.transaction(() => {
      for (let i = 0; i < 50; i++) store.items.insert({ dataset: makeItem(i, i % 2 ? 'CT' : 'MR', '20261123'), source: 'import' });
      const twoSteps = makeItem(99, 'CT', '20261123');
      twoSteps['00400100'] = {
        vr: 'SQ',
        Value: [
          { '00080060': { vr: 'CS', Value: ['MR'] }, '00400001': { vr: 'AE', Value: ['STATION0'] }, '00400002': { vr: 'DA', Value: ['20261124'] } },
          { '00080060': { vr: 'CS', Value: ['CT'] }, '00400001': { vr: 'AE', Value: ['STATION1'] }, '00400002': { vr: 'DA', Value: ['20261123'] } },
        ],
      };
      store.items.insert({ dataset: twoSteps, source: 'import' });
    });
    const identifier: DicomJson = {
      '00080050': { vr: 'SH' },
      '00400100': {
        vr: 'SQ',
        Value: [{ '00080060': { vr: 'CS', Value: ['CT'] }, '00400001': { vr: 'AE', Value: ['STATION1'] }, '00400002': { vr: 'DA', Value: ['20261123'] } }],
      },
    };
    const found = findWorklistItems(store, identifier, { personNameCaseInsensitive: true }).answers.map((a) => firstString(a, '00080050'));
    assert.ok(found.includes('A99'), `the two-step item is found: ${found.join(', ')}`);
    assert.ok(found.includes('A1') && !found.includes('A2'));
    const plan = store.candidates.explain({ identifier, personNameCaseInsensitive: true }).join(' | ');
    assert.match(plan, /SEARCH items USING INDEX items_(station|modality)_date \((station_ae_title|modality)=\? AND sps_start_date=\?/);
    assert.doesNotMatch(plan, /USING INDEX items_status/, 'no branch reads every open item');
    store.close();
  });
});

describe('console reads', () => {
  it("counts HL7 messages since a time (changes by hand left out), and lists an item's MPPS instances", () => {
    const store = openStore();
    const message = (receivedAt: string, messageType: string): void => {
      store.messages.record({
        receivedAt,
        remote: null,
        sendingApplication: 'RIS',
        sendingFacility: 'RAD',
        controlId: receivedAt,
        messageType,
        patientId: null,
        accessionNumber: null,
        action: null,
        outcome: 'stored',
        ackCode: 'AA',
        error: null,
        itemIds: [],
        raw: Buffer.from(receivedAt),
        ack: null,
      });
    };
    message('2026-12-03T10:00:00.000Z', 'ORM^O01');
    message('2026-12-03T10:05:00.000Z', 'ORM^O01');
    message('2026-12-03T10:06:00.000Z', 'HTTP item created');
    assert.equal(store.messages.countSince('2026-12-03T10:01:00.000Z'), 1);
    assert.equal(store.messages.countSince('2026-12-03T09:00:00.000Z'), 2);

    store.mpps.save('1.2.3', { status: 'IN PROGRESS', itemIds: [7, 12], dataset: {}, callingAeTitle: 'MR1' });
    store.mpps.save('1.2.4', { status: 'COMPLETED', itemIds: [1], dataset: {}, callingAeTitle: 'CT1' });
    assert.deepEqual(
      store.mpps.ofItem(12).map((m) => [m.sopInstanceUid, m.status, m.callingAeTitle]),
      [['1.2.3', 'IN PROGRESS', 'MR1']],
    );
    assert.deepEqual(store.mpps.ofItem(2), [], 'item 2 is not item 12');
    store.close();
  });
});
