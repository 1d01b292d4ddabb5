/**
 * Real RIS feeds (issue 18), without the network: fallback chains and their derivations, lookup
 * tables, policies (settings, then a sender's profile), OMI without IPC, empty MSH-10 and
 * non-imaging orders, and the derived values kept with the message log entry.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BridgeError } from '../../src/errors.js';
import { parseHl7Text } from '../../src/hl7/message.js';
import { runOrderPipeline } from '../../src/hl7/pipeline.js';
import { compileMapping, compileMappingSet } from '../../src/mapping/compile.js';
import { evaluateMapping } from '../../src/mapping/evaluate.js';
import { messageHeader } from '../../src/mapping/message.js';
import { MappingSet } from '../../src/mapping/select.js';
import { firstString, sequenceItems, Tags } from '../../src/model/item.js';
import type { MessagePolicies } from '../../src/model/order.js';
import { WorklistStore } from '../../src/store/worklist-store.js';
import { OrderService } from '../../src/worklist/orders.js';
import { loadShippedMappings } from '../helpers/mappings.js';
import { order } from '../helpers/orders.js';
import { projectDir } from '../helpers/project-dir.js';

const shipped = loadShippedMappings();
const sample = (name: string): string => readFileSync(join(projectDir, 'samples', name), 'utf8');

function mapWith(set: MappingSet, text: string, policies: Partial<MessagePolicies> = {}) {
  const message = parseHl7Text(text);
  return evaluateMapping(set.select(messageHeader(message)), message, { uidRoot: '2.25', policies });
}

function pipeline(text: string, opts: { policies?: Partial<MessagePolicies>; callingAeTitles?: Record<string, string> } = {}) {
  return runOrderPipeline(Buffer.from(text), { mappings: () => shipped, uidRoot: '2.25', bridgeApplication: 'MWL', ...opts });
}

const one = (rules: string, extra = ''): MappingSet =>
  new MappingSet([compileMapping(`name: t\nappliesTo: { messages: [ORM^O01] }\npolicies: { type1: accept }\n${extra}attributes:\n${rules}`, 't.yaml')]);

describe('fallback chains', () => {
  it('takes the first valid source; an empty or invalid one falls through and is named in the derivation', () => {
    const set = one('  AccessionNumber: { from: [OBR-19, OBR-18, ORC-2.1] }\n');
    const p = mapWith(set, order({ accession: 'A'.repeat(20) })).procedures[0]!;
    const t = p.trace.find((e) => e.attribute === 'AccessionNumber')!;
    // OBR-19 is RP-AAAA... (over 16 characters), OBR-18 too: the placer number PLC-... is next, also too long.
    assert.equal(p.valueProblem?.code, 'HL7_INVALID_VALUE', 'no valid source left: the first invalid value is refused');
    assert.equal(t.source, 'OBR-19');
    const ok = mapWith(set, order({ accession: 'ACC9', extra: [] }).replace('|RP-ACC9|', '||')).procedures[0]!;
    const found = ok.trace.find((e) => e.attribute === 'AccessionNumber')!;
    assert.deepEqual([found.value, found.source, found.derived], ['ACC9', 'OBR-18', { kind: 'fallback', reason: 'OBR-19 empty' }]);
  });

  it('policies.fallbacks: fields uses later fields but no last resort; none only the first source', () => {
    const set = one('  AccessionNumber: { from: [OBR-20, OBR-18], default: X }\n  StudyInstanceUID: { from: ZDS-1.1, generate: uid }\n');
    const text = order({ accession: 'ACC7' }).replace('|SPS-ACC7|', '||');
    const all = mapWith(set, text).procedures[0]!;
    assert.equal(firstString(all.item, Tags.AccessionNumber), 'ACC7');
    assert.ok(firstString(all.item, Tags.StudyInstanceUID)?.startsWith('2.25.'));
    const fields = mapWith(set, text, { fallbacks: 'fields' }).procedures[0]!;
    assert.equal(firstString(fields.item, Tags.AccessionNumber), 'ACC7');
    assert.equal(firstString(fields.item, Tags.StudyInstanceUID), undefined);
    const none = mapWith(set, text, { fallbacks: 'none' }).procedures[0]!;
    assert.equal(firstString(none.item, Tags.AccessionNumber), undefined);
  });

  it('generate: id makes RP and SPS IDs from the order number and the step index', () => {
    const p = mapWith(shipped, sample('orm-only-placer-number.hl7')).procedures[0]!;
    const rp = p.trace.find((t) => t.attribute === 'RequestedProcedureID')!;
    assert.equal(rp.source, 'generated');
    assert.equal(rp.derived?.kind, 'lastResort');
    assert.match(rp.value, /^[0-9A-F]{14}-1$/, 'the placer number is longer than SH allows: a digest of it');
    assert.equal(
      mapWith(shipped, sample('orm-only-placer-number.hl7')).procedures[0]!.trace.find((t) => t.attribute === 'RequestedProcedureID')!.value,
      rp.value,
    );
  });

  it('a start time comes from the field the start date came from, and "now" from the time of processing', () => {
    const set = one(
      '  ScheduledProcedureStepSequence:\n    - ScheduledProcedureStepStartDate: { from: [ORC-9, OBR-7], as: date, generate: now }\n' +
        '      ScheduledProcedureStepStartTime: { from: [ORC-9, OBR-7], as: time, pairedWith: ScheduledProcedureStepStartDate, generate: now, default: "000000" }\n',
    );
    const message = parseHl7Text(order());
    const p = evaluateMapping(set.select(messageHeader(message)), message, { uidRoot: '2.25', now: new Date(2026, 0, 2, 3, 4, 5) }).procedures[0]!;
    assert.deepEqual(
      p.trace.map((t) => [t.value, t.source, t.derived?.kind]),
      [
        ['20260102', 'now', 'lastResort'],
        ['030405', 'now', 'lastResort'],
      ],
    );
  });
});

describe('lookup tables', () => {
  const tables = 'tables:\n  procedures:\n    "CT1^L": { modality: CT, station: [CT_A, CT_B] }\n  byText:\n    - { match: "\\\\bknee\\\\b", value: MR }\n';
  it('routes by code with its coding scheme, by code alone, or by a pattern; a list is several AE titles', () => {
    const set = one(
      '  ScheduledProcedureStepSequence:\n    - Modality: { from: [{ lookup: procedures, key: ["{OBR-4.1}^{OBR-4.3}", "{OBR-4.1}"], column: modality }, { lookup: byText, key: "{OBR-4.2}" }] }\n' +
        '      ScheduledStationAETitle: { from: { lookup: procedures, key: ["{OBR-4.1}^{OBR-4.3}", "{OBR-4.1}"], column: station }, default: NONE }\n',
      tables,
    );
    const ct = mapWith(set, order().replace('MRKNEE^MR knee left^LOCAL', 'ct1^CT^L')).procedures[0]!;
    const step = sequenceItems(ct.item, Tags.ScheduledProcedureStepSequence)[0]!;
    assert.deepEqual(step['00400001']?.Value, ['CT_A', 'CT_B']);
    const mr = mapWith(set, order()).procedures[0]!;
    assert.deepEqual(
      mr.trace.map((t) => [t.value, t.source, t.derived?.kind]),
      [
        ['MR', 'table byText[MR knee left]', 'fallback'],
        ['NONE', 'default', 'lastResort'],
      ],
    );
  });

  it('otherwise: reject answers AE naming the unknown code', () => {
    const set = one(
      '  ScheduledProcedureStepSequence:\n    - ScheduledStationAETitle: { from: { lookup: procedures, key: "{OBR-4.1}", column: station, otherwise: reject } }\n',
      tables,
    );
    const p = mapWith(set, order()).procedures[0]!;
    assert.equal(p.valueProblem?.code, 'HL7_UNKNOWN_CODE');
    assert.equal(p.valueProblem.location, 'OBR-4.1');
    assert.match(p.valueProblem.message, /OBR-4\.1 "MRKNEE" is not in table procedures/);
  });

  it('a mapping that names a missing table or column, or a generator that does not fit, is refused with its line', () => {
    for (const [rules, pattern] of [
      ['  AccessionNumber: { from: { lookup: nope, key: "{OBR-18}" } }\n', /:9: AccessionNumber: no table "nope"/],
      ['  AccessionNumber: { from: { lookup: procedures, key: "{OBR-18}", column: colour } }\n', /no column "colour"/],
      ['  AccessionNumber: { generate: uid }\n', /generate "uid" does not fit a SH attribute/],
      ['  PatientID: { from: PID-3.1, pairedWith: Nope }\n', /pairedWith "Nope" is not a DICOM keyword/],
    ] as const) {
      assert.throws(
        () => compileMapping(`name: t\nappliesTo: { messages: [ORM^O01] }\n${tables}attributes:\n${rules}`, 't.yaml'),
        (e: unknown) => e instanceof BridgeError && pattern.test(e.message),
        rules,
      );
    }
  });

  it('$callingAeTitles: a modality gets the steps of its modality that no table routes', () => {
    const r = pipeline(sample('orm-start-not-a-date.hl7'), { callingAeTitles: { US: 'US_1\\US_2' } });
    assert.ok(r.ok);
    const t = r.order.procedures[0]!.trace.find((e) => e.attribute.endsWith('ScheduledStationAETitle'))!;
    assert.deepEqual([t.value, t.source], ['US_1\\US_2', 'table $callingAeTitles[US]']);
  });
});

describe('message classes', () => {
  it('OMI^O23 without IPC is one item from ORC/OBR; with IPC one per IPC', () => {
    assert.equal(mapWith(shipped, sample('omi-o23-no-ipc.hl7')).procedures.length, 1);
    assert.equal(mapWith(shipped, sample('omi-o23-ct-chest-abdomen.hl7')).procedures.length, 2);
  });

  it('an ORM without ORC groups by OBR', () => {
    const text = order()
      .split('\r')
      .filter((s) => !s.startsWith('ORC'))
      .join('\r');
    const p = mapWith(shipped, text.replace('OBR|1|', 'OBR|1|') + 'OBR|2|P2|F2|CTHEAD^CT head^LOCAL||||||||||||||ACC2|RP2|SPS2||||CT\r');
    assert.equal(p.procedures.length, 2);
  });

  it('an empty MSH-10: accepted by default (empty MSA-2), refused AE at MSH-10 when the policy says reject', () => {
    const text = sample('orm-empty-control-id.hl7');
    const ok = pipeline(text);
    assert.ok(ok.ok);
    const refused = pipeline(text, { policies: { emptyControlId: 'reject' } });
    assert.ok(!refused.ok);
    assert.deepEqual([refused.error.code, refused.error.location], ['HL7_REQUIRED_FIELD_MISSING', 'MSH-10']);
  });

  it('a non-imaging order: ignored by default, AR HL7_NOT_IMAGING_ORDER when the policy says reject', () => {
    const text = sample('orm-lab-order-ignored.hl7');
    const ignored = pipeline(text);
    assert.ok(ignored.ok);
    assert.match(ignored.order.procedures[0]!.nonImaging?.reason ?? '', /no Modality could be derived/);
    const refused = pipeline(text, { policies: { nonImaging: 'reject' } });
    assert.ok(!refused.ok);
    assert.equal(refused.error.code, 'HL7_NOT_IMAGING_ORDER');
    assert.match(refused.error.message, /^not an imaging order: no Modality could be derived/);
  });

  it('the message log keeps the derived values and ignored groups of an applied message', () => {
    const store = WorklistStore.open(join(mkdtempSync(join(tmpdir(), 'mwl-feeds-')), 'wl.db'));
    try {
      const orders = new OrderService(store);
      const log = (text: string) => ({
        receivedAt: new Date().toISOString(),
        remote: 'test',
        sendingApplication: 'RIS',
        sendingFacility: 'RADIOLOGY',
        controlId: null,
        messageType: 'ORM^O01',
        ackCode: 'AA',
        error: null,
        raw: Buffer.from(text),
        ack: 'ACK',
      });
      const lab = sample('orm-lab-order-ignored.hl7');
      const ignored = orders.apply(mapWith(shipped, lab), log(lab));
      assert.deepEqual(ignored.actions, ['ignored']);
      const stored = store.messages.get(ignored.messageId)!;
      assert.equal(stored.outcome, 'ignored');
      assert.match(stored.notes?.ignored[0]?.reason ?? '', /no Modality could be derived/);
      const late = sample('orm-start-in-obr7-only.hl7');
      const applied = orders.apply(mapWith(shipped, late), log(late));
      const derived = store.messages.get(applied.messageId)!.notes!.derived;
      assert.ok(derived.some((d) => d.attribute.endsWith('ScheduledProcedureStepStartDate') && d.source === 'OBR-7' && /ORC-7\.4 empty/.test(d.reason)));
    } finally {
      store.close();
    }
  });
});

describe('per-sender profiles', () => {
  it('a profile uses its base rules with its own policies and tables', () => {
    const routed = mapWith(shipped, sample('orm-strict-sender-routed.hl7'));
    assert.equal(routed.mapping, 'strict-ris');
    assert.equal(routed.policies.fallbacks, 'fields');
    const step = sequenceItems(routed.procedures[0]!.item, Tags.ScheduledProcedureStepSequence)[0]!;
    assert.deepEqual(step['00400001']?.Value, ['US_NORTH_1']);
    // Everyone else keeps the default mapping's policies and tables.
    assert.equal(mapWith(shipped, sample('orm-ct-head.hl7')).policies.fallbacks, 'all');
  });

  it('a profile must extend an active mapping and may not bring attributes', () => {
    const profile = (body: string) => ({
      name: 'p.yaml',
      text: `name: p\nextends: default\nappliesTo: { messages: [ORM^O01], sendingApplication: X }\n${body}`,
    });
    const base = { name: 'd.yaml', text: 'name: default\nappliesTo: { messages: [ORM^O01] }\nattributes: { PatientID: PID-3.1 }' };
    assert.equal(compileMappingSet([base, profile('policies: { nonImaging: reject }')]).mappings[1]?.policies.nonImaging, 'reject');
    assert.throws(() => compileMappingSet([profile('')]), /extends "default", which is not an active mapping/);
    assert.throws(
      () => compileMappingSet([base, profile('attributes: { PatientID: PID-3.1 }')]),
      /unknown key in a profile \(it extends another mapping\) "attributes"/,
    );
    assert.throws(() => compileMappingSet([base, profile('policies: { fallbacks: some }')]), /policies\.fallbacks must be all or fields or none/);
  });
});

describe('one ORC with several OBR', () => {
  it('is one item per OBR, each with its own OBR fields and the ORC of the group', () => {
    const { procedures } = mapWith(shipped, sample('orm-v22-one-orc-two-obr.hl7'));
    assert.deepEqual(
      procedures.map((p) => [firstString(p.item, Tags.AccessionNumber), firstString(p.item, Tags.PlacerOrderNumberImagingServiceRequest), p.orderControl]),
      [
        ['ACC2015A', 'PLC2015', 'NW'],
        ['ACC2015B', 'PLC2015', 'NW'],
      ],
    );
  });
});

describe('a profile sets the invalid-value policy for its sender', () => {
  it('policies.invalid applies to entries without their own invalid:', () => {
    const base = {
      name: 'd.yaml',
      text: 'name: default\nappliesTo: { messages: [ORM^O01] }\npolicies: { type1: accept }\nattributes: { PatientID: PID-3.1, AccessionNumber: OBR-18 }',
    };
    const profile = {
      name: 'p.yaml',
      text: 'name: lenient\nextends: default\nappliesTo: { messages: [ORM^O01], sendingApplication: LENIENT }\npolicies: { invalid: omit }',
    };
    const set = compileMappingSet([base, profile]);
    const long = (app: string) => mapWith(set, order({ sendingApplication: app, accession: 'A'.repeat(20) })).procedures[0]!;
    assert.equal(long('RIS').valueProblem?.code, 'HL7_INVALID_VALUE');
    const lenient = long('LENIENT');
    assert.equal(lenient.valueProblem, undefined);
    assert.equal(firstString(lenient.item, Tags.AccessionNumber), undefined);
    assert.deepEqual(
      lenient.adjustments.map((a) => [a.attribute, a.action]),
      [['AccessionNumber', 'omitted']],
    );
  });
});
