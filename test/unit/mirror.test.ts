import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeWorklistFile } from '../../src/model/worklist-file.js';
import { readWorklistFile } from '../../src/model/worklist-file-reader.js';
import { WorklistStore } from '../../src/store/worklist-store.js';
import { WorklistFolder } from '../../src/mirror/folder.js';
import { reconcileFolder, reportIsClean } from '../../src/mirror/reconcile.js';
import type { DicomJson } from '../../src/model/item.js';

const item = (name: string, accession = 'A1'): DicomJson => ({
  '00080050': { vr: 'SH', Value: [accession] },
  '00100010': { vr: 'PN', Value: [{ Alphabetic: name }] },
  '00100020': { vr: 'LO', Value: ['P1'] },
  '0020000D': { vr: 'UI', Value: ['1.2.3.4'] },
  '00400100': { vr: 'SQ', Value: [{ '00080060': { vr: 'CS', Value: ['CT'] }, '00400002': { vr: 'DA', Value: ['20261123'] } }] },
});

const temp = (): string => mkdtempSync(join(tmpdir(), 'mwl-mirror-unit-'));

describe('encodeWorklistFile', () => {
  it('round-trips through the .wl reader, the same bytes every time', () => {
    const a = encodeWorklistFile(7, item('MÜLLER^JÜRGEN'), 'auto');
    const b = encodeWorklistFile(7, item('MÜLLER^JÜRGEN'), 'auto');
    assert.ok(a.bytes.equals(b.bytes), 'deterministic, so a rebuild can compare files');
    assert.equal(a.bytes.subarray(128, 132).toString('latin1'), 'DICM');
    const back = readWorklistFile(a.bytes, 'x.wl');
    assert.deepEqual(back['00100010'], { vr: 'PN', Value: [{ Alphabetic: 'MÜLLER^JÜRGEN' }] });
    assert.deepEqual(back['00400100'], item('')['00400100']);
  });

  it('auto picks no character set for ASCII, ISO_IR 100 for Latin-1, ISO_IR 192 beyond', () => {
    assert.equal(encodeWorklistFile(1, item('DOE^JOHN'), 'auto').characterSet, undefined);
    const latin1 = encodeWorklistFile(1, item('GONÇALVES^JOSÉ'), 'auto');
    assert.equal(latin1.characterSet, 'ISO_IR 100');
    assert.ok(latin1.bytes.includes(Buffer.from('GON\xc7ALVES', 'latin1')), 'Latin-1 bytes, not UTF-8');
    const cjk = encodeWorklistFile(1, item('山田^太郎'), 'auto');
    assert.equal(cjk.characterSet, 'ISO_IR 192');
    assert.ok(cjk.bytes.includes(Buffer.from('山田', 'utf8')));
  });

  it('writes zero-length elements, also inside sequences (DICOM JSON leaves their Value out)', () => {
    const withEmpty: DicomJson = {
      ...item('A^B'),
      '00081030': { vr: 'LO' },
      '00400100': { vr: 'SQ', Value: [{ '00080060': { vr: 'CS', Value: ['CT'] }, '00400010': { vr: 'SH' }, '00400008': { vr: 'SQ' } }] },
    };
    const back = readWorklistFile(encodeWorklistFile(3, withEmpty, 'auto').bytes, 'x.wl');
    assert.deepEqual(back['00081030'], { vr: 'LO' });
    assert.deepEqual(back['00400100'], {
      vr: 'SQ',
      Value: [{ '00080060': { vr: 'CS', Value: ['CT'] }, '00400010': { vr: 'SH' }, '00400008': { vr: 'SQ', Value: [] } }],
    });
  });

  it('a fixed repertoire replaces what it lacks with "?" and says which attribute', () => {
    const r = encodeWorklistFile(1, item('山田^TARO'), 'ISO_IR 100');
    assert.deepEqual(r.replaced, ['00100010']);
    assert.deepEqual(readWorklistFile(r.bytes, 'x.wl')['00100010'], { vr: 'PN', Value: [{ Alphabetic: '??^TARO' }] });
  });
});

describe('mirror journal', () => {
  it('records inserts, updates and deletes of items in the same transaction, only while enabled', () => {
    const store = WorklistStore.open(join(temp(), 'wl.db'));
    const journal = store.mirrorJournal;
    store.items.insert({ source: 'hl7', dataset: item('A^B') });
    assert.equal(journal.backlog(), 0, 'no journal without a mirror');
    assert.equal(journal.enable('target-1'), true, 'a new mirror needs a full reconcile');
    const id = store.items.insert({ source: 'hl7', dataset: item('C^D', 'A2') });
    store.items.update(id, item('C^E', 'A2'), 'SCHEDULED');
    try {
      store.transaction(() => {
        store.items.insert({ source: 'hl7', dataset: item('E^F', 'A3') });
        throw new Error('rolled back');
      });
    } catch {
      // expected
    }
    const backlog = journal.next(100);
    assert.deepEqual(backlog.itemIds, [id], 'the rolled-back insert left no trace');
    journal.markReconciled('target-1', backlog.lastId);
    assert.equal(journal.backlog(), 0);
    assert.equal(journal.enable('target-1'), false, 'same target: the journal can be trusted');
    assert.equal(journal.enable('target-2'), true, 'another folder: reconcile again');
    journal.disable();
    store.items.insert({ source: 'hl7', dataset: item('G^H', 'A4') });
    assert.equal(journal.backlog(), 0);
    store.close();
  });
});

describe('reconcileFolder', () => {
  it('writes only what differs, and leaves files it did not write alone', async () => {
    const dir = temp();
    const store = WorklistStore.open(join(dir, 'wl.db'));
    store.items.insert({ source: 'hl7', dataset: item('A^B', 'A1') });
    store.items.insert({ source: 'hl7', dataset: item('C^D', 'A2') });
    store.items.insert({ source: 'hl7', dataset: item('E^F', 'A3'), status: 'COMPLETED' });
    const folder = new WorklistFolder({ root: join(dir, 'wl'), layout: 'wlmscpfs', aeTitle: 'AREA' });
    const first = await reconcileFolder(store, folder, 'auto');
    assert.deepEqual(first.written, [1, 2], 'the completed item is not on the worklist');
    writeFileSync(join(folder.dir, 'site.wl'), 'x');
    const second = await reconcileFolder(store, folder, 'auto');
    assert.ok(reportIsClean(second));
    assert.equal(second.unchanged, 2);
    assert.deepEqual(second.foreign, ['site.wl']);
    assert.deepEqual(readdirSync(folder.dir).sort(), ['lockfile', 'mwl-bridge-1.wl', 'mwl-bridge-2.wl', 'site.wl']);
    store.close();
  });
});
