/**
 * What the bridge makes of HL7 bytes before anything is stored (issue 16): labels checked against
 * bytes (finding 15), size limits (finding 5), what makes two messages the same message
 * (finding 1), strict dates and the mapping's `invalid:` policies (findings 2 and 3).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BridgeError } from '../../src/errors.js';
import { decodeBytes } from '../../src/hl7/charset.js';
import { messageContentHash } from '../../src/hl7/content-key.js';
import { checkMessageLimits } from '../../src/hl7/limits.js';
import { decodeHl7Message, parseHl7Text } from '../../src/hl7/message.js';
import { runOrderPipeline } from '../../src/hl7/pipeline.js';
import { evaluateMapping } from '../../src/mapping/evaluate.js';
import { compileMapping as parseMapping } from '../../src/mapping/compile.js';
import { MappingSet } from '../../src/mapping/select.js';
import { firstString, Tags } from '../../src/model/item.js';
import { loadShippedMappings } from '../helpers/mappings.js';
import { order } from '../helpers/orders.js';

describe('character set labels checked against the bytes', () => {
  const utf8Name = Buffer.from('GONÇALVES', 'utf8');
  for (const [label, charset] of [
    ['8859/1', 'latin1'],
    ['8859/15', 'iso-8859-15'],
    ['8859/2', 'iso-8859-2'],
    ['WINDOWS-1252', 'windows-1252'],
    ['ASCII', 'ascii'],
    ['', ''],
  ]) {
    it(`UTF-8 bytes labelled "${label}" are read as UTF-8 and reported, or refused`, () => {
      const read = decodeBytes(utf8Name, charset!, 'utf8', label);
      assert.equal(read.text, 'GONÇALVES');
      assert.deepEqual(read.mismatch, { declared: label });
      assert.throws(
        () => decodeBytes(utf8Name, charset!, 'reject', label),
        (e: unknown) => e instanceof BridgeError && e.code === 'HL7_DECODE' && e.location === 'MSH-18',
      );
    });
  }

  it('single-byte text stays single-byte text', () => {
    const latin1 = Buffer.from('GONÇALVES MÜLLER', 'latin1');
    assert.deepEqual(decodeBytes(latin1, 'latin1', 'reject'), { text: 'GONÇALVES MÜLLER', charset: 'latin1' });
    assert.equal(decodeBytes(Buffer.from([0xa3, 0x75, 0x6b]), 'iso-8859-2', 'reject').text, 'Łuk');
    assert.deepEqual(decodeBytes(latin1, '', 'reject'), { text: 'GONÇALVES MÜLLER', charset: 'latin1' });
  });

  it('a whole message: PID-5 comes out as sent, with the mismatch noted', () => {
    const { message, charsetMismatch } = decodeHl7Message(Buffer.from(order({ msh18: '8859/1', name: 'GONÇALVES^ANA' }), 'utf8'));
    assert.deepEqual(message.segments[1]!.fields[5], [[['GONÇALVES'], ['ANA']]]);
    assert.deepEqual(charsetMismatch, { declared: '8859/1' });
  });
});

describe('message size limits', () => {
  const limits = { maxSegments: 100, maxFieldsPerSegment: 50 };
  it('counts segments whatever the separator (CR, LF, CRLF), and names the segment over the limit', () => {
    for (const sep of ['\r', '\n', '\r\n']) {
      const text = order().replace(/\r/g, sep) + `NTE|1${sep}`.repeat(95);
      assert.doesNotThrow(() => {
        checkMessageLimits(Buffer.from(text), limits);
      });
      assert.throws(
        () => {
          checkMessageLimits(Buffer.from(text + `NTE|1${sep}`.repeat(2)), limits);
        },
        (e: unknown) => e instanceof BridgeError && e.code === 'HL7_LIMIT_EXCEEDED' && e.location === 'NTE' && /more than 100 segments/.test(e.message),
      );
    }
  });

  it('counts fields per segment with the message own field separator', () => {
    assert.doesNotThrow(() => {
      checkMessageLimits(Buffer.from(order() + 'ZZZ' + '|x'.repeat(50) + '\r'), limits);
    });
    assert.throws(() => {
      checkMessageLimits(Buffer.from(order() + 'ZZZ' + '|x'.repeat(51) + '\r'), limits);
    }, /segment 5 has more than 50 fields/);
    const hash = order().replace(/\|/g, '#');
    assert.throws(() => {
      checkMessageLimits(Buffer.from(hash + 'ZZZ' + '#x'.repeat(51) + '\r'), limits);
    }, /more than 50 fields/);
  });

  it('a message over a limit is answered AR with ERR 207 by the pipeline, never parsed', () => {
    const mappings = loadShippedMappings();
    const r = runOrderPipeline(Buffer.from(order({ controlId: 'BIG' }) + 'NTE|\r'.repeat(2000)), {
      mappings: () => mappings,
      uidRoot: '2.25',
      bridgeApplication: 'X',
      limits: { maxSegments: 1000, maxFieldsPerSegment: 500 },
    });
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'HL7_LIMIT_EXCEEDED');
    assert.equal(r.header.controlId, 'BIG');
  });
});

describe('what makes two messages the same message', () => {
  it('the same bytes, MSH-7 aside, and whatever the segment separators', () => {
    const a = order({ controlId: 'X1' });
    assert.equal(messageContentHash(Buffer.from(a)), messageContentHash(Buffer.from(a.replace('20261123091500', '20261124000000'))));
    assert.equal(messageContentHash(Buffer.from(a)), messageContentHash(Buffer.from(a.replace(/\r/g, '\r\n'))));
    assert.notEqual(messageContentHash(Buffer.from(a)), messageContentHash(Buffer.from(order({ controlId: 'X1', patientId: 'OTHER' }))));
    assert.notEqual(messageContentHash(Buffer.from(a)), messageContentHash(Buffer.from(a.replace('ORM^O01', 'ORM^O02'))));
  });
});

describe('mapped values against their VR', () => {
  const mappings = loadShippedMappings();
  const map = (text: string) => {
    const message = parseHl7Text(text);
    return evaluateMapping(mappings.select({ ...messageHeaderOf(text) }), message, { uidRoot: '2.25' }).procedures[0]!;
  };
  function messageHeaderOf(text: string) {
    const f = text.split('\r')[0]!.split('|');
    return {
      sendingApplication: f[2]!,
      sendingFacility: f[3]!,
      receivingApplication: f[4]!,
      receivingFacility: f[5]!,
      controlId: f[9]!,
      messageCode: 'ORM',
      triggerEvent: 'O01',
      messageStructure: '',
      processingId: 'P',
      version: '2.3.1',
    };
  }

  it('an unreadable date falls through to the next source of the chain, recorded as derived with field, value and rule (issue 18)', () => {
    const p = map(order({ start: '2013-08-24 17:00' }));
    assert.equal(p.valueProblem, undefined);
    const date = p.trace.find((t) => t.attribute.endsWith('ScheduledProcedureStepStartDate'));
    assert.equal(date?.value, '20261123');
    assert.equal(date.source, 'MSH-7');
    assert.equal(date.derived?.kind, 'fallback');
    assert.match(date.derived.reason, /^ORC-7\.4 "2013-08-24 17:00": DA is YYYYMMDD; OBR-27\.4 "2013-08-24 17:00": DA is YYYYMMDD; TQ1-7 empty/);
    const time = p.trace.find((t) => t.attribute.endsWith('ScheduledProcedureStepStartTime'));
    assert.equal(time?.value, '091500');
    assert.equal(time.source, 'MSH-7');
  });

  it('with fallbacks: none an unreadable date is kept as sent and refused, naming field, value and rule (it used to be cut to "2013-08-")', () => {
    const text = order({ start: '2013-08-24 17:00' });
    const p = evaluateMapping(mappings.select(messageHeaderOf(text)), parseHl7Text(text), { uidRoot: '2.25', policies: { fallbacks: 'none' } }).procedures[0]!;
    assert.equal(p.valueProblem?.code, 'HL7_INVALID_VALUE');
    assert.equal(p.valueProblem.location, 'ORC-7.4');
    assert.match(p.valueProblem.message, /^ORC-7\.4 "2013-08-24 17:00": DA is YYYYMMDD \(ScheduledProcedureStepStartDate\)$/);
  });

  it('the mapping decides per attribute: clean, truncate or omit instead of reject', () => {
    const mapping = parseMapping(
      [
        'name: policies',
        'appliesTo: { messages: [ORM^O01] }',
        'type1: accept',
        'attributes:',
        '  PatientName: { from: PID-5, invalid: clean }',
        '  PatientID: PID-3.1',
        '  AccessionNumber: { from: OBR-18, invalid: truncate }',
        '  RequestedProcedureDescription: { from: OBR-4.2, invalid: [clean, truncate] }',
        '  StudyInstanceUID: { from: ZDS-1.1, invalid: omit }',
      ].join('\n'),
      'policies.yaml',
    );
    const set = new MappingSet([mapping]);
    const text = order({ name: 'DOE\\.br\\JOHN', accession: 'A'.repeat(20), extra: ['ZDS|1.2.03'] }).replace(
      'MR knee left',
      `MR knee ${'x'.repeat(70)}\\X0D0A\\`,
    );
    const message = parseHl7Text(text);
    const p = evaluateMapping(set.select(messageHeaderOf(text)), message, { uidRoot: '2.25' }).procedures[0]!;
    assert.equal(p.valueProblem, undefined);
    assert.equal(firstString(p.item, Tags.PatientName), 'DOE JOHN');
    assert.equal(firstString(p.item, Tags.AccessionNumber), 'A'.repeat(16));
    assert.equal(firstString(p.item, '00321060')!.length, 64);
    assert.equal(p.item[Tags.StudyInstanceUID], undefined);
    assert.deepEqual(
      p.adjustments.map((a) => [a.attribute, a.action]),
      [
        ['PatientName', 'cleaned'],
        ['AccessionNumber', 'truncated'],
        ['RequestedProcedureDescription', 'cleaned'],
        ['RequestedProcedureDescription', 'truncated'],
        ['StudyInstanceUID', 'omitted'],
      ],
    );
  });

  it('a constant value in a mapping is checked when the mapping is loaded', () => {
    assert.throws(
      () => parseMapping(['name: bad', 'appliesTo: { messages: [ORM^O01] }', 'attributes:', '  Modality: { value: "mr" }'].join('\n'), 'bad.yaml'),
      /Modality: value "mr" is not a valid CS: CS allows only/,
    );
  });
});

describe('escape sequences', () => {
  it('a hex escape that is not valid in the message character set is refused at its field, not stored as U+FFFD', () => {
    const mappings = loadShippedMappings();
    const r = runOrderPipeline(Buffer.from(order({ msh18: 'UNICODE UTF-8', name: 'DOE\\XC3\\^JOHN' })), {
      mappings: () => mappings,
      uidRoot: '2.25',
      bridgeApplication: 'X',
    });
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'HL7_DECODE');
    assert.match(r.error.message, /the escape \\XC3\\ is not valid utf-8/);
    assert.equal(r.error.location, 'PID-5');
  });
});
