/**
 * The Native DICOM Model writer (PS3.19 A.1) against DCMTK's: the same data set, written by
 * dump2dcm and turned to XML by `dcm2xml --native-format --use-xml-namespace`, gives the same
 * document. And the search's media type negotiation (Accept header or accept parameter).
 */
import { describe, it } from '../helpers/suites.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DicomJson } from '../../src/model/item.js';
import { negotiateSearchMediaType } from '../../src/http/http-common.js';
import { escapeXml, multipartDicomXml, nativeDicomXml } from '../../src/http/native-dicom-xml.js';
import { skipWithout, tempDir } from '../helpers/peers.js';

const DUMP = `(0008,0005) CS [ISO_IR 192]
(0010,0010) PN [Doe^John^^Dr=Yamada^Taro]
(0010,0020) LO [P1\\\\P2]
(0010,0030) DA (no value available)
(0010,1010) AS [045Y]
(0010,21b0) LT [a<b & "c" > d]
(0011,0010) LO [ACME]
(0011,1001) LO [x]
(0020,000d) UI [1.2.3]
(0028,0010) US 512
(0040,0100) SQ
(fffe,e000) na
(0008,0060) CS [CT]
(0040,0006) PN (no value available)
(fffe,e00d) na
(fffe,e0dd) na
`;

const DATASET: DicomJson = {
  '00080005': { vr: 'CS', Value: ['ISO_IR 192'] },
  '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Doe^John^^Dr', Ideographic: 'Yamada^Taro' }] },
  '00100020': { vr: 'LO', Value: ['P1', '', 'P2'] },
  '00100030': { vr: 'DA' },
  '00101010': { vr: 'AS', Value: ['045Y'] },
  '001021B0': { vr: 'LT', Value: ['a<b & "c" > d'] },
  '00110010': { vr: 'LO', Value: ['ACME'] },
  '00111001': { vr: 'LO', Value: ['x'] },
  '0020000D': { vr: 'UI', Value: ['1.2.3'] },
  '00280010': { vr: 'US', Value: [512] },
  '00400100': { vr: 'SQ', Value: [{ '00080060': { vr: 'CS', Value: ['CT'] }, '00400006': { vr: 'PN' } }] },
};

describe('Native DICOM Model XML', { skip: skipWithout('dump2dcm', 'dcm2xml') }, () => {
  it("writes what DCMTK's dcm2xml writes for the same data set", () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.dump'), DUMP);
    const made = spawnSync('dump2dcm', ['--write-xfer-little', join(dir, 'a.dump'), join(dir, 'a.dcm')], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    const dcmtk = spawnSync('dcm2xml', ['--native-format', '--use-xml-namespace', join(dir, 'a.dcm')], { encoding: 'utf8' });
    assert.equal(dcmtk.status, 0, dcmtk.stderr);
    assert.equal(nativeDicomXml(DATASET).trim(), dcmtk.stdout.trim());
  });
});

describe('Native DICOM Model XML, without peers', () => {
  it('escapes markup and replaces what XML 1.0 cannot carry', () => {
    assert.equal(escapeXml('<a href="x">&\r</a>'), '&lt;a href=&quot;x&quot;&gt;&amp;&#13;&lt;/a&gt;');
    assert.equal(escapeXml('a\x00b\x1fc\td\ud800e'), 'a\ufffdb\ufffdc\td\ufffde');
    assert.equal(escapeXml('😀 Ü'), '😀 Ü');
  });

  it('writes a multipart/related body with one application/dicom+xml part a data set', () => {
    const body = multipartDicomXml([DATASET, { '00100020': { vr: 'LO', Value: ['P3'] } }], 'b0undary').toString('utf8');
    const parts = body.split('--b0undary');
    assert.equal(parts.length, 4);
    assert.equal(parts[3], '--\r\n');
    for (const part of parts.slice(1, 3))
      assert.match(
        part,
        /^\r\nContent-Type: application\/dicom\+xml\r\n\r\n<\?xml version="1\.0" encoding="UTF-8"\?>\n<NativeDicomModel[^]*<\/NativeDicomModel>\n\r\n$/,
      );
  });

  it('negotiates the answer format', () => {
    assert.equal(negotiateSearchMediaType(undefined), 'json');
    assert.equal(negotiateSearchMediaType('*/*'), 'json');
    assert.equal(negotiateSearchMediaType('application/dicom+json'), 'json');
    assert.equal(negotiateSearchMediaType('application/json; charset=utf-8'), 'json');
    assert.equal(negotiateSearchMediaType('multipart/related; type="application/dicom+xml"'), 'xml');
    assert.equal(negotiateSearchMediaType('multipart/related;type=application/dicom+xml'), 'xml');
    assert.equal(negotiateSearchMediaType('multipart/related; type="application/dicom+xml", application/dicom+json;q=0.5'), 'xml');
    assert.equal(negotiateSearchMediaType('multipart/related; type="application/dicom+xml";q=0.5, application/dicom+json'), 'json');
    assert.equal(negotiateSearchMediaType('multipart/related; type="application/dicom+xml", application/dicom+json'), 'json', 'a tie: the default');
    // A list of results is never one single-part XML document (PS3.18 10.4.4).
    assert.equal(negotiateSearchMediaType('application/dicom+xml'), undefined);
    assert.equal(negotiateSearchMediaType('multipart/related; type="application/dicom"'), undefined);
    assert.equal(negotiateSearchMediaType('application/dicom+json; charset=ISO-8859-1'), undefined);
    assert.equal(negotiateSearchMediaType('application/dicom+json;q=0'), undefined);
    assert.equal(negotiateSearchMediaType('text/html'), undefined);
  });
});
