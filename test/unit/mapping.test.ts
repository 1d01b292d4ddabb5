import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BridgeError } from '../../src/errors.js';
import { decodeHl7Message, parseHl7Text } from '../../src/hl7/message.js';
import { evaluateMapping, type MappedOrder } from '../../src/mapping/evaluate.js';
import { loadMappingFile, parseMapping } from '../../src/mapping/load.js';
import { parseFieldPath } from '../../src/mapping/path.js';
import { converters } from '../../src/mapping/transforms.js';
import { firstString, sequenceItems, Tags } from '../../src/worklist/item.js';

const root = join(import.meta.dirname, '..', '..');
const defaultMapping = loadMappingFile(join(root, 'mappings', 'default.yaml'));
const ctx = { uidRoot: '2.25' };
const mapSample = (name: string): MappedOrder =>
  evaluateMapping(defaultMapping, decodeHl7Message(readFileSync(join(root, 'samples', name))).message, ctx);

describe('field paths', () => {
  it('parses segment, occurrence, field, repetition, component and subcomponent', () => {
    assert.deepEqual(
      { ...parseFieldPath('OBR[2]-4[3].2.1'), text: undefined },
      { text: undefined, segment: 'OBR', occurrence: 2, field: 4, repetition: 3, component: 2, subcomponent: 1 },
    );
    assert.equal(parseFieldPath('PID-5').component, undefined);
  });
  it('rejects malformed paths with a hint', () => {
    for (const bad of ['PID', 'PID-0', 'pid-3', 'PID-3.0', 'PID3.1']) {
      assert.throws(() => parseFieldPath(bad), (e: unknown) => e instanceof BridgeError && /1-based/.test(e.hint ?? ''), bad);
    }
  });
});

describe('converters', () => {
  it('turns XPN into DICOM PN order (prefix before suffix), without leaking subcomponents', () => {
    assert.equal(converters.pn([['DOE', 'van'], ['JOHN'], ['Q'], ['JR'], ['DR']]), 'DOE^JOHN^Q^DR^JR');
    assert.equal(converters.pn([['DOE'], ['JANE']]), 'DOE^JANE');
    assert.equal(converters.pn([['DOE'], [''], [''], [''], ['']]), 'DOE');
  });
  it('turns XCN into PN', () => {
    assert.equal(converters.xcn([['1234'], ['WELBY'], ['MARCUS'], [''], [''], ['DR']]), 'WELBY^MARCUS^^DR');
  });
  it('turns HL7 TS into DA and TM, with time zones and partial precision', () => {
    assert.equal(converters.date([['20261123101500+0100']]), '20261123');
    assert.equal(converters.time([['20261123101500+0100']]), '101500');
    assert.equal(converters.time([['202611231015']]), '1015');
    assert.equal(converters.time([['20261123101530.25']]), '101530.25');
    assert.equal(converters.date([['202611']]), '');
    assert.equal(converters.time([['20261123']]), '');
  });
});

describe('default mapping (IHE RAD-4 / dcm4chee conventions)', () => {
  it('maps the CT sample to a complete worklist item', () => {
    const { item, orderControl, trace } = mapSample('orm-ct-head.hl7');
    assert.equal(orderControl, 'NW');
    assert.equal(firstString(item, Tags.PatientID), 'PAT1001');
    assert.equal(firstString(item, '00100021'), 'HOSP'); // IssuerOfPatientID from PID-3.4
    assert.equal(firstString(item, Tags.PatientName), 'DOE^JOHN^Q^MR^JR');
    assert.equal(firstString(item, Tags.AccessionNumber), 'ACC1001');
    assert.equal(firstString(item, Tags.RequestedProcedureID), 'RP1001');
    assert.equal(firstString(item, Tags.StudyInstanceUID), '1.2.826.0.1.3680043.10.543.1001');
    assert.equal(firstString(item, Tags.PlacerOrderNumberImagingServiceRequest), 'PLC1001');
    assert.equal(firstString(item, '00321032'), 'HOUSE^GREGORY^^DR'); // RequestingPhysician from OBR-16
    const [sps] = sequenceItems(item, Tags.ScheduledProcedureStepSequence);
    assert.equal(firstString(sps!, Tags.Modality), 'CT');
    assert.equal(firstString(sps!, Tags.ScheduledProcedureStepID), 'SPS1001');
    assert.equal(firstString(sps!, Tags.ScheduledProcedureStepStartDate), '20261123');
    assert.equal(firstString(sps!, Tags.ScheduledProcedureStepStartTime), '100000');
    assert.ok(trace.some((t) => t.attribute === 'AccessionNumber' && t.source === 'OBR-18'));
  });

  it('falls back from ORC-7.4 to OBR-27.4 for the start time', () => {
    const text = readFileSync(join(root, 'samples', 'orm-mr-knee.hl7'), 'utf8').replace('^^^20261123143000\rOBR', '\rOBR');
    const { item, trace } = evaluateMapping(defaultMapping, parseHl7Text(text), ctx);
    const [sps] = sequenceItems(item, Tags.ScheduledProcedureStepSequence);
    assert.equal(firstString(sps!, Tags.ScheduledProcedureStepStartTime), '143000');
    assert.ok(trace.some((t) => t.attribute.endsWith('ScheduledProcedureStepStartDate') && t.source === 'OBR-27.4'));
  });

  it('generates a Study Instance UID from the order when ZDS is absent, the same for a resent order', () => {
    const a = mapSample('orm-mr-knee.hl7');
    const b = mapSample('orm-mr-knee.hl7');
    const uid = firstString(a.item, Tags.StudyInstanceUID)!;
    assert.match(uid, /^2\.25\.[1-9]\d{0,38}$/);
    assert.equal(uid, firstString(b.item, Tags.StudyInstanceUID));
    assert.ok(uid.length <= 64);
    const other = mapSample('orm-us-abdomen-utf8.hl7');
    assert.notEqual(uid, firstString(other.item, Tags.StudyInstanceUID));
  });

  it('keeps UTF-8 names intact', () => {
    assert.equal(firstString(mapSample('orm-us-abdomen-utf8.hl7').item, Tags.PatientName), 'MÜLLER^JÜRGEN');
  });

  it('decodes escape sequences in mapped values', () => {
    const text = readFileSync(join(root, 'samples', 'orm-ct-head.hl7'), 'utf8').replace('CT head without contrast', 'CT head \\T\\ neck');
    const { item } = evaluateMapping(defaultMapping, parseHl7Text(text), ctx);
    assert.equal(firstString(item, '00321060'), 'CT head & neck');
  });

  it('rejects a missing required field naming its HL7 location', () => {
    assert.throws(
      () => mapSample('orm-missing-patient-id.hl7'),
      (e: unknown) => e instanceof BridgeError && e.code === 'HL7_REQUIRED_FIELD_MISSING' && e.location === 'PID-3.1',
    );
  });

  it('rejects message types the mapping does not handle', () => {
    assert.throws(
      () => mapSample('adt-a01-unsupported.hl7'),
      (e: unknown) => e instanceof BridgeError && e.code === 'HL7_UNSUPPORTED_MESSAGE' && e.location === 'MSH-9',
    );
  });
});

describe('mapping file validation', () => {
  it('reports every problem with its line and a hint', () => {
    const yaml = [
      'name: broken',
      'messages: [ORM^O01, nonsense]',
      'orderControl: ORC-1',
      'colour: blue',
      'attributes:',
      '  PatientID: PID-3.x',
      '  PatientNmae: PID-5',
      '  AccessionNumber: { from: OBR-18, as: upper }',
      '  ScheduledProcedureStepSequence: OBR-24',
    ].join('\n');
    let error: BridgeError | undefined;
    try {
      parseMapping(yaml, 'broken.yaml');
    } catch (e) {
      error = e as BridgeError;
    }
    assert.ok(error instanceof BridgeError);
    assert.equal(error.code, 'MAPPING_INVALID');
    const msg = error.message;
    assert.match(msg, /broken\.yaml:2: "nonsense" is not a message type/);
    assert.match(msg, /broken\.yaml:4: unknown key "colour"/);
    assert.match(msg, /broken\.yaml:6: PatientID: "PID-3\.x" is not an HL7 field path/);
    assert.match(msg, /broken\.yaml:7: "PatientNmae" is not a DICOM keyword/);
    assert.match(msg, /broken\.yaml:8: AccessionNumber: unknown converter "upper"/);
    assert.match(msg, /broken\.yaml:9: ScheduledProcedureStepSequence is a sequence/);
  });

  it('accepts every mapping shipped in mappings/', () => {
    assert.equal(defaultMapping.name, 'default');
    assert.deepEqual(defaultMapping.messages, ['ORM^O01']);
  });
});
