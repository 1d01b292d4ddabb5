import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeHl7Message, parseHl7Text } from '../../src/hl7/message.js';
import { BridgeError } from '../../src/errors.js';
import { findSegments, messageHeader, rawComponent, unescapeHl7 } from '../../src/mapping/message.js';

const msh = (charset = ''): string => `MSH|^~\\&|RIS|RAD|MWL|HOSP|20261123||ORM^O01^ORM_O01|C1|P|2.3.1||||||${charset}`;

describe('decodeHl7Message', () => {
  it('accepts CR, LF and CRLF segment separators alike', () => {
    for (const sep of ['\r', '\n', '\r\n']) {
      const { message } = decodeHl7Message(Buffer.from([msh(), 'PID|1||P1', 'ORC|NW'].join(sep) + sep));
      assert.deepEqual(
        message.segments.map((s) => s.name),
        ['MSH', 'PID', 'ORC'],
        JSON.stringify(sep),
      );
    }
  });

  it('tolerates a UTF-8 byte order mark', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${msh('UNICODE UTF-8')}\rPID|1||P1||Ünal^Ça\r`)]);
    const { message } = decodeHl7Message(bytes);
    assert.equal(rawComponent(findSegments(message, 'PID')[0]!.fields[5], 1, 1), 'Ünal');
  });

  it('decodes ISO 8859-1 bytes when MSH-18 says 8859/1', () => {
    const bytes = Buffer.from(`${msh('8859/1')}\rPID|1||P1||M\xdcLLER^J\xdcRGEN\r`, 'latin1');
    const { message } = decodeHl7Message(bytes);
    assert.equal(message.charset, 'latin1');
    assert.equal(rawComponent(findSegments(message, 'PID')[0]!.fields[5], 1, 1), 'MÜLLER');
  });

  it('decodes ISO 8859-15 (euro sign at 0xA4), with trailing blanks in MSH-18', () => {
    const bytes = Buffer.from(`${msh('8859/15  ')}\rPID|1||P1||PRICE\xa4^S\xe9BASTIEN\r`, 'latin1');
    const { message } = decodeHl7Message(bytes);
    assert.equal(rawComponent(findSegments(message, 'PID')[0]!.fields[5], 1, 1), 'PRICE€');
    assert.equal(rawComponent(findSegments(message, 'PID')[0]!.fields[5], 1, 2), 'SéBASTIEN');
  });

  it('falls back to ISO 8859-1 when MSH-18 is empty and the bytes are not UTF-8', () => {
    const { message } = decodeHl7Message(Buffer.from(`${msh()}\rPID|1||P1||G\xf6the\r`, 'latin1'));
    assert.equal(rawComponent(findSegments(message, 'PID')[0]!.fields[5], 1, 1), 'Göthe');
  });

  it('rejects an unknown character set, naming MSH-18', () => {
    assert.throws(
      () => decodeHl7Message(Buffer.from(`${msh('KLINGON')}\rPID|1\r`)),
      (e: unknown) => e instanceof BridgeError && e.code === 'HL7_DECODE' && e.location === 'MSH-18',
    );
  });

  it('rejects bytes that are not valid in the declared UTF-8', () => {
    assert.throws(() => decodeHl7Message(Buffer.from(`${msh('UNICODE UTF-8')}\rPID|1||\xff\r`, 'latin1')), /not valid utf-8/);
  });

  it('rejects text without MSH', () => {
    assert.throws(
      () => decodeHl7Message(Buffer.from('PID|1||P1\r')),
      (e: unknown) => e instanceof BridgeError && e.code === 'HL7_MISSING_MSH',
    );
  });
});

describe('parseHl7Text (hl7-standard, normalised)', () => {
  it('splits repetitions, components and subcomponents', () => {
    const m = parseHl7Text(`${msh()}\rPID|1||ID1^^^HOSP&1.2.3&ISO^MR~ID2^^^OTHER^PI||A&B\r`);
    const pid3 = findSegments(m, 'PID')[0]!.fields[3]!;
    assert.equal(pid3.length, 2);
    assert.deepEqual(pid3[0]![3], ['HOSP', '1.2.3', 'ISO']);
    assert.equal(rawComponent(pid3, 2, 1), 'ID2');
    assert.equal(rawComponent(pid3, 2, 5), 'PI');
    assert.deepEqual(findSegments(m, 'PID')[0]!.fields[5]![0]![0], ['A', 'B']);
  });

  it('reads the header', () => {
    const h = messageHeader(parseHl7Text(`${msh()}\r`));
    assert.equal(h.controlId, 'C1');
    assert.equal(h.messageCode, 'ORM');
    assert.equal(h.triggerEvent, 'O01');
    assert.equal(h.messageStructure, 'ORM_O01');
    assert.equal(h.version, '2.3.1');
    assert.equal(h.sendingApplication, 'RIS');
  });

  it('refuses non-standard delimiters with a clear error', () => {
    assert.throws(() => parseHl7Text('MSH#^~\\&#RIS\r'), /unsupported delimiters/);
  });
});

describe('unescapeHl7', () => {
  it('decodes the delimiter escapes, hex and line breaks', () => {
    assert.equal(unescapeHl7('A\\F\\B\\S\\C\\T\\D\\R\\E\\E\\', 'utf-8'), 'A|B^C&D~E\\');
    assert.equal(unescapeHl7('M\\XC39C\\LLER', 'utf-8'), 'MÜLLER');
    assert.equal(unescapeHl7('M\\XDC\\LLER', 'latin1'), 'MÜLLER');
    assert.equal(unescapeHl7('line1\\.br\\line2', 'utf-8'), 'line1\r\nline2');
    assert.equal(unescapeHl7('\\H\\bold\\N\\', 'utf-8'), 'bold');
  });
});
