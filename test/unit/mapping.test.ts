import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BridgeError } from '../../src/errors.js';
import { decodeHl7Message, parseHl7Text } from '../../src/hl7/message.js';
import { evaluateMapping } from '../../src/mapping/evaluate.js';
import type { MappedOrder } from '../../src/model/order.js';
import { compileMapping as parseMapping } from '../../src/mapping/compile.js';
import { loadMappingSet } from '../../src/app/mappings.js';

const loadMappingFile = (file: string) => parseMapping(readFileSync(file, 'utf8'), file);
import { messageHeader } from '../../src/mapping/message.js';
import { parseFieldPath, resolveRepetition } from '../../src/mapping/path.js';
import { loadShippedMappings } from '../helpers/mappings.js';
import { applySteps, converters } from '../../src/mapping/transforms.js';
import { firstString, sequenceItems, Tags } from '../../src/model/item.js';
import { projectDir } from '../helpers/project-dir.js';

const defaultMapping = loadMappingFile(join(projectDir, 'mappings', 'default.yaml'));
const ctx = { uidRoot: '2.25' };
const sampleText = (name: string): string => readFileSync(join(projectDir, 'samples', name), 'utf8');
const mapSample = (name: string): MappedOrder =>
  evaluateMapping(defaultMapping, decodeHl7Message(readFileSync(join(projectDir, 'samples', name))).message, ctx);
const MSH = 'MSH|^~\\&|RIS|RAD|MWL|HOSP|20261123||ORM^O01|C1|P|2.3.1';
/** A one-off mapping from YAML attribute lines (indented by two). */
const mappingWith = (attributes: string, extra = ''): ReturnType<typeof parseMapping> =>
  parseMapping(`name: t\nappliesTo: { messages: [ORM^O01] }\ntype1: accept\n${extra}attributes:\n${attributes}\n`, 't.yaml');
const evalOne = (attributes: string, segments: string[], extra = ''): MappedOrder =>
  evaluateMapping(mappingWith(attributes, extra), parseHl7Text([MSH, ...segments].join('\r')), ctx);

describe('field paths', () => {
  it('parses segment, occurrence, field, repetition, component and subcomponent', () => {
    const p = parseFieldPath('OBR[2]-4[3].2.1');
    assert.deepEqual([p.segment, p.occurrence, p.field, p.repetition, p.component, p.subcomponent], ['OBR', 2, 4, { index: 3 }, 2, 1]);
    assert.equal(parseFieldPath('PID-5').component, undefined);
    assert.deepEqual(parseFieldPath('PID-3[5=MR].1').repetition, { component: 5, equals: 'MR' });
  });

  it('rejects malformed paths with a hint', () => {
    for (const bad of ['PID', 'PID-0', 'pid-3', 'PID-3.0', 'PID3.1', 'PID-3[0]']) {
      assert.throws(
        () => parseFieldPath(bad),
        (e: unknown) => e instanceof BridgeError && /1-based/.test(e.hint ?? ''),
        bad,
      );
    }
  });

  it('selects a repetition by index or by the value of one of its components', () => {
    const m = parseHl7Text(`${MSH}\rPID|1||111^^^NAT^NI~222^^^HOSP^MR~333^^^CLIN^PI\r`);
    const first = (path: string) => resolveRepetition(m, parseFieldPath(path))?.[0]?.[0];
    assert.equal(first('PID-3'), '111');
    assert.equal(first('PID-3[3]'), '333');
    assert.equal(first('PID-3[5=MR]'), '222');
    assert.equal(first('PID-3[5=XX]'), undefined);
  });

  it('reads subcomponents without leaking the others', () => {
    const o = evalOne('  IssuerOfPatientID: PID-3.4.2\n  PatientID: PID-3.1', ['PID|1||P1^^^HOSP&1.2.3&ISO^MR', 'ORC|NW']);
    assert.equal(firstString(o.procedures[0]!.item, '00100021'), '1.2.3');
  });
});

describe('converters and transforms', () => {
  it('XPN -> PN (prefix before suffix), without leaking subcomponents', () => {
    assert.equal(converters.pn([['DOE', 'van'], ['JOHN'], ['Q'], ['JR'], ['DR']]), 'DOE^JOHN^Q^DR^JR');
    assert.equal(converters.pn([['DOE'], ['JANE']]), 'DOE^JANE');
    assert.equal(converters.pn([['DOE'], [''], [''], [''], ['']]), 'DOE');
    assert.equal(converters.pn([['DOE'], ['JOHN'], [''], ['III'], [''], ['PHD']]), 'DOE^JOHN^^^III PHD');
  });
  it('XCN -> PN', () => {
    assert.equal(converters.xcn([['1234'], ['WELBY'], ['MARCUS'], [''], [''], ['DR']]), 'WELBY^MARCUS^^DR');
  });
  it('TS -> DA, TM and DT, with and without time zone, with partial precision', () => {
    assert.equal(converters.date([['20261123101500+0100']]), '20261123');
    assert.equal(converters.time([['20261123101500+0100']]), '101500');
    assert.equal(converters.time([['202611231015']]), '1015');
    assert.equal(converters.time([['20261123101530.25']]), '101530.25');
    assert.equal(converters.date([['202611']]), '');
    assert.equal(converters.time([['20261123']]), '');
    assert.equal(converters.datetime([['20261123101500-0500']]), '20261123101500-0500');
    assert.equal(converters.datetime([['2026112310']]), '2026112310');
    // Text that is no HL7 date is passed on unchanged, for the VR check to refuse (issue 16, finding 2).
    assert.equal(converters.datetime([['not a date']]), 'not a date');
    assert.equal(converters.date([['2013-08-24 17:00']]), '2013-08-24 17:00');
    assert.equal(converters.date([['02282020_150014']]), '02282020_150014');
    assert.equal(converters.time([['2013-08-24 17:00']]), '2013-08-24 17:00');
  });
  it('trim, upper, lower, replace and lookup steps', () => {
    const table = new Map([['NMR', 'MR']]);
    assert.equal(applySteps(' nmr ', [{ kind: 'trim' }, { kind: 'upper' }, { kind: 'lookup', table: 'm', entries: table, otherwise: 'keep' }]), 'MR');
    assert.equal(applySteps('XX', [{ kind: 'lookup', table: 'm', entries: table, otherwise: 'keep' }]), 'XX');
    assert.equal(applySteps('XX', [{ kind: 'lookup', table: 'm', entries: table, otherwise: 'empty' }]), '');
    assert.equal(applySteps('CT0042', [{ kind: 'replace', pattern: /^([A-Z]{2}).*$/gu, with: '$1' }]), 'CT');
    assert.equal(applySteps('Ab', [{ kind: 'lower' }]), 'ab');
  });
  it('templates, constant values, defaults, first non-empty of several paths', () => {
    const o = evalOne(
      [
        '  RequestedProcedureDescription: { template: "{OBR-4.2} ({OBR-4.1})" }',
        '  AccessionNumber: { from: [OBR-18, OBR-3.1] }',
        '  StudyDescription: { template: "{OBR-5}", default: "none" }',
        '  InstitutionName: { value: General Hospital }',
      ].join('\n'),
      ['PID|1||P1', 'ORC|NW', 'OBR|1||FIL9|CTH^CT head'],
    );
    const item = o.procedures[0]!.item;
    assert.equal(firstString(item, '00321060'), 'CT head (CTH)');
    assert.equal(firstString(item, Tags.AccessionNumber), 'FIL9');
    assert.equal(firstString(item, '00081030'), 'none');
    assert.equal(firstString(item, '00080080'), 'General Hospital');
  });
  it('conditions on other fields choose between cases', () => {
    const attributes = [
      '  ScheduledProcedureStepSequence:',
      '    - ScheduledStationAETitle:',
      '        cases:',
      '          - when: { field: OBR-24, equals: CT }',
      '            value: CT_1',
      '          - when: [{ field: OBR-24, in: [MR, NMR] }, { field: PV1-2, matches: "^[IO]$" }]',
      '            template: "MR_{PV1-2}"',
      '        default: OTHER',
    ].join('\n');
    const aet = (pv1: string, obr24: string) =>
      firstString(
        sequenceItems(evalOne(attributes, [pv1, 'ORC|NW', `OBR|1${'|'.repeat(23)}${obr24}`]).procedures[0]!.item, Tags.ScheduledProcedureStepSequence)[0]!,
        Tags.ScheduledStationAETitle,
      );
    assert.equal(aet('PV1|1|O', 'CT'), 'CT_1');
    assert.equal(aet('PV1|1|I', 'NMR'), 'MR_I');
    assert.equal(aet('PV1|1|E', 'MR'), 'OTHER');
  });
});

describe('order groups', () => {
  it('makes one item per ORC/OBR group, each reading its own OBR and ZDS', () => {
    const o = evalOne('  AccessionNumber: OBR-18\n  StudyInstanceUID: ZDS-1.1\n  PatientID: PID-3.1', [
      'PID|1||P1',
      'ORC|NW',
      `OBR|1${'|'.repeat(17)}A1`,
      'ZDS|1.2.3.1',
      'ORC|NW',
      `OBR|1${'|'.repeat(17)}A2`,
      'ZDS|1.2.3.2',
    ]);
    assert.deepEqual(
      o.procedures.map((p) => [firstString(p.item, Tags.PatientID), firstString(p.item, Tags.AccessionNumber), firstString(p.item, Tags.StudyInstanceUID)]),
      [
        ['P1', 'A1', '1.2.3.1'],
        ['P1', 'A2', '1.2.3.2'],
      ],
    );
  });
  it('OMI: one item per IPC, sharing the ORC/OBR of their group', () => {
    const o = mapOmi();
    assert.equal(o.procedures.length, 2);
    assert.deepEqual(
      o.procedures.map((p) => firstString(sequenceItems(p.item, Tags.ScheduledProcedureStepSequence)[0]!, Tags.ScheduledProcedureStepID)),
      ['SPS1005A', 'SPS1005B'],
    );
    assert.deepEqual(
      o.procedures.map((p) => firstString(p.item, Tags.AccessionNumber)),
      ['ACC1005A', 'ACC1005A'],
    );
  });
  it('rejects a message without the segment items are made for', () => {
    assert.throws(
      () => evalOne('  PatientID: PID-3.1', ['PID|1||P1']),
      (e: unknown) => e instanceof BridgeError && e.location === 'ORC',
    );
  });
});

function mapOmi(): MappedOrder {
  const omi = loadMappingFile(join(projectDir, 'mappings', 'omi-o23.yaml'));
  return evaluateMapping(omi, decodeHl7Message(readFileSync(join(projectDir, 'samples', 'omi-o23-ct-chest-abdomen.hl7'))).message, ctx);
}

describe('default mapping (IHE RAD-4 / dcm4chee conventions)', () => {
  it('maps the CT sample to a complete worklist item', () => {
    const [p] = mapSample('orm-ct-head.hl7').procedures;
    const item = p!.item;
    assert.equal(p!.orderControl, 'NW');
    assert.equal(firstString(item, Tags.PatientID), 'PAT1001');
    assert.equal(firstString(item, '00100021'), 'HOSP');
    assert.equal(firstString(item, Tags.PatientName), 'DOE^JOHN^Q^MR^JR');
    assert.equal(firstString(item, Tags.AccessionNumber), 'ACC1001');
    assert.equal(firstString(item, Tags.RequestedProcedureID), 'RP1001');
    assert.equal(firstString(item, Tags.StudyInstanceUID), '1.2.826.0.1.3680043.10.543.1001');
    const [sps] = sequenceItems(item, Tags.ScheduledProcedureStepSequence);
    assert.equal(firstString(sps!, Tags.Modality), 'CT');
    assert.equal(firstString(sps!, Tags.ScheduledProcedureStepID), 'SPS1001');
    assert.equal(firstString(sps!, Tags.ScheduledProcedureStepStartDate), '20261123');
    assert.equal(firstString(sps!, Tags.ScheduledProcedureStepStartTime), '100000');
  });

  it('falls back from ORC-7.4 to OBR-27.4 for the start time', () => {
    const text = sampleText('orm-mr-knee.hl7').replace('|^^^20261123143000^^R\rOBR', '|\rOBR');
    const [p] = evaluateMapping(defaultMapping, parseHl7Text(text), ctx).procedures;
    assert.equal(firstString(sequenceItems(p!.item, Tags.ScheduledProcedureStepSequence)[0]!, Tags.ScheduledProcedureStepStartTime), '143000');
    assert.ok(p!.trace.some((t) => t.attribute.endsWith('ScheduledProcedureStepStartDate') && t.source === 'OBR-27.4'));
  });

  it('generates a Study Instance UID from the order when ZDS is absent, the same for a resent order', () => {
    const uid = firstString(mapSample('orm-mr-knee.hl7').procedures[0]!.item, Tags.StudyInstanceUID)!;
    assert.match(uid, /^2\.25\.[1-9]\d{0,38}$/);
    assert.equal(uid, firstString(mapSample('orm-mr-knee.hl7').procedures[0]!.item, Tags.StudyInstanceUID));
    assert.notEqual(uid, firstString(mapSample('orm-us-abdomen-utf8.hl7').procedures[0]!.item, Tags.StudyInstanceUID));
  });

  it('generates UIDs of at most 64 characters under a long root', () => {
    const text = sampleText('orm-mr-knee.hl7');
    const root40 = '1.2.826.0.1.3680043.10.543.12345.6789.12';
    const item = evaluateMapping(defaultMapping, parseHl7Text(text), { uidRoot: root40 }).procedures[0]!.item;
    const uid = firstString(item, Tags.StudyInstanceUID)!;
    assert.ok(uid.startsWith(root40 + '.') && uid.length <= 64, uid);
  });

  it('normalises non-DICOM modality codes through its lookup table', () => {
    const [p] = mapSample('orm-v24-lf-nmr.hl7').procedures;
    assert.equal(firstString(sequenceItems(p!.item, Tags.ScheduledProcedureStepSequence)[0]!, Tags.Modality), 'MR');
  });

  it('takes the MR identifier from a repeated PID-3', () => {
    assert.equal(firstString(mapSample('orm-repeated-pid3.hl7').procedures[0]!.item, Tags.PatientID), 'PAT1007');
  });

  it('flags an order lacking a DICOM type-1 attribute, naming the HL7 field', () => {
    const problem = mapSample('orm-missing-patient-id.hl7').procedures[0]!.type1Problem;
    assert.ok(problem instanceof BridgeError && problem.code === 'HL7_REQUIRED_FIELD_MISSING' && problem.location === 'PID-3[5=MR].1');
    assert.equal(problem.message, 'PatientID (DICOM type 1) has no value; PatientID is read from PID-3[5=MR].1');
  });

  it('accepts it with type1: accept, or fills a configured default', () => {
    const text = sampleText('orm-missing-patient-id.hl7');
    const lenient = parseMapping(readFileSync(join(projectDir, 'mappings', 'default.yaml'), 'utf8').replace('type1: reject', 'type1: accept'), 'x.yaml');
    assert.equal(evaluateMapping(lenient, parseHl7Text(text), ctx).procedures[0]!.type1Problem, undefined);
    const filling = parseMapping(
      readFileSync(join(projectDir, 'mappings', 'default.yaml'), 'utf8').replace(
        'PatientID: { from: ["PID-3[5=MR].1", PID-3.1, PID-2.1, PID-4.1] }',
        'PatientID: { from: ["PID-3[5=MR].1", PID-3.1, PID-2.1, PID-4.1], default: UNKNOWN }',
      ),
      'y.yaml',
    );
    const [filled] = evaluateMapping(filling, parseHl7Text(text), ctx).procedures;
    assert.equal(firstString(filled!.item, Tags.PatientID), 'UNKNOWN');
    assert.equal(filled!.type1Problem, undefined);
  });

  it('rejects required fields that are empty', () => {
    assert.throws(
      () => evalOne('  PatientID: { from: PID-3.1, required: true }', ['PID|1', 'ORC|NW']),
      (e: unknown) => e instanceof BridgeError && e.code === 'HL7_REQUIRED_FIELD_MISSING' && e.location === 'PID-3.1',
    );
  });
});

describe('mapping selection', () => {
  const set = loadShippedMappings();
  const pick = (sample: string) => set.select(messageHeader(decodeHl7Message(readFileSync(join(projectDir, 'samples', sample))).message)).name;
  it('uses the most specific mapping and the default otherwise', () => {
    assert.equal(pick('ris-alpha-orm.hl7'), 'ris-alpha');
    assert.equal(pick('ris-beta-orm.hl7'), 'ris-beta');
    assert.equal(pick('ris-gamma-orm.hl7'), 'ris-gamma');
    assert.equal(pick('orm-ct-head.hl7'), 'default');
    assert.equal(pick('omi-o23-ct-chest-abdomen.hl7'), 'omi-o23');
    assert.equal(pick('omg-o19-xr-hand.hl7'), 'omg-o19');
  });
  it('checks every criterion: a BETA_RIS message of another version falls back to the default', () => {
    const text = sampleText('ris-beta-orm.hl7').replace('|P|2.4', '|P|2.5');
    assert.equal(set.select(messageHeader(parseHl7Text(text))).name, 'default');
  });
  it('rejects unhandled message types naming what is handled', () => {
    assert.throws(
      () => pick('adt-a01-unsupported.hl7'),
      (e: unknown) => e instanceof BridgeError && e.code === 'HL7_UNSUPPORTED_MESSAGE' && /ORM\^O01, OMI\^O23, OMG\^O19/.test(e.hint ?? ''),
    );
  });
  it('refuses two mappings with the same criteria', () => {
    const file = join(projectDir, 'mappings', 'default.yaml');
    assert.throws(() => loadMappingSet([file, file]), /both apply to ORM\^O01 with the same criteria/);
  });
});

describe('mapping file validation', () => {
  it('reports every problem with its line and a hint', () => {
    const yaml = [
      'name: broken',
      'appliesTo: { messages: [ORM^O01, nonsense] }',
      'colour: blue',
      'attributes:',
      '  PatientID: PID-3.x',
      '  PatientNmae: PID-5',
      '  AccessionNumber: { from: OBR-18, as: upper }',
      '  ScheduledProcedureStepSequence: OBR-24',
      '  StudyDescription: { from: XYZ-1 }',
      '  StudyID: { from: PID-99 }',
      '  Modality: { from: OBR-24, transform: [{ lookup: nope }] }',
      '  Manufacturer: { from: OBR-1, transform: [shout] }',
    ].join('\n');
    let error: unknown;
    try {
      parseMapping(yaml, 'broken.yaml');
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof BridgeError && error.code === 'MAPPING_INVALID');
    const msg = error.message;
    assert.match(msg, /broken\.yaml:2: "nonsense" is not a message type/);
    assert.match(msg, /broken\.yaml:3: unknown key "colour"/);
    assert.match(msg, /broken\.yaml:5: PatientID: "PID-3\.x" is not an HL7 field path/);
    assert.match(msg, /broken\.yaml:6: "PatientNmae" is not a DICOM keyword/);
    assert.match(msg, /broken\.yaml:7: AccessionNumber: unknown converter "upper"/);
    assert.match(msg, /broken\.yaml:8: ScheduledProcedureStepSequence is a sequence/);
    assert.match(msg, /broken\.yaml:9: StudyDescription: unknown segment XYZ/);
    assert.match(msg, /broken\.yaml:10: StudyID: PID has 39 fields/);
    assert.match(msg, /broken\.yaml:11: Modality: no table "nope"/);
    assert.match(msg, /broken\.yaml:12: Manufacturer: unknown transform "shout"/);
  });

  it('accepts site segments (Z...) with any field', () => {
    assert.equal(mappingWith('  AccessionNumber: ZXY-42.3').attributes.length, 1);
  });
});
