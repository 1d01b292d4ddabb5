/**
 * The search's media types over real HTTP: DICOM JSON by default, the Native DICOM Model XML in a
 * multipart/related body when the Accept header or the accept parameter asks for it, 406 for what
 * is not offered. The XML is read back by another parser (Python's xml.etree, via a small script
 * that turns each part into DICOM JSON) and must say what the JSON answer says.
 */
import { after, before, describe, it } from '../helpers/suites.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DicomJson } from '../../src/model/item.js';
import { ifStarted, mllpSendFramed, projectDir, skipWithout, startBridge, type RunningBridge } from '../helpers/peers.js';

const skip = skipWithout('mllp_send', 'python3');
const sample = (name: string) => readFileSync(join(projectDir, 'samples', name));
const SEARCH = '/dicom-web/modality-scheduled-procedure-steps';
const XML_TYPE = 'multipart/related; type="application/dicom+xml"';

/** Native DICOM Model documents (one per line of input, JSON-quoted) to DICOM JSON, by xml.etree. */
const XML_TO_JSON = String.raw`
import json, sys, xml.etree.ElementTree as ET
NS = '{http://dicom.nema.org/PS3.19/models/NativeDICOM}'
PN = ['FamilyName', 'GivenName', 'MiddleName', 'NamePrefix', 'NameSuffix']
def dataset(node):
    out = {}
    for attr in node.findall(NS + 'DicomAttribute'):
        vr = attr.get('vr'); el = {'vr': vr}
        if vr == 'SQ':
            values = [dataset(item) for item in attr.findall(NS + 'Item')]
        elif vr == 'PN':
            values = []
            for pn in attr.findall(NS + 'PersonName'):
                v = {}
                for group in ['Alphabetic', 'Ideographic', 'Phonetic']:
                    g = pn.find(NS + group)
                    if g is None: continue
                    parts = [(g.findtext(NS + c) or '') for c in PN]
                    while parts and parts[-1] == '': parts.pop()
                    v[group] = '^'.join(parts)
                values.append(v)
        else:
            values = [v.text or '' for v in attr.findall(NS + 'Value')]
            if vr in ('US', 'SS', 'UL', 'SL', 'FL', 'FD', 'IS', 'DS', 'UV', 'SV'):
                values = [float(v) if '.' in v or 'e' in v.lower() else int(v) for v in values]
        if values: el['Value'] = values
        out[attr.get('tag')] = el
    return out
for line in sys.stdin:
    root = ET.fromstring(json.loads(line).encode('utf-8'))
    assert root.tag == NS + 'NativeDicomModel', root.tag
    print(json.dumps(dataset(root)))
`;

/** The XML parts of a multipart/related body, by the boundary its Content-Type names. */
function multipartParts(contentType: string, body: string): Array<{ headers: string; body: string }> {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  assert.ok(boundary, contentType);
  const [, ...rest] = body.split(`--${boundary}`);
  assert.equal(rest.pop(), '--\r\n', 'the closing delimiter');
  return rest.map((part) => {
    const end = part.indexOf('\r\n\r\n');
    assert.ok(part.startsWith('\r\n') && part.endsWith('\r\n'), 'CRLF around each part');
    return { headers: part.slice(2, end), body: part.slice(end + 4, -2) };
  });
}

function xmlToJson(documents: string[]): DicomJson[] {
  const r = spawnSync('python3', ['-c', XML_TO_JSON], { input: documents.map((d) => JSON.stringify(d)).join('\n') + '\n', encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as DicomJson);
}

describe('DICOMweb search media types', { skip }, () => {
  let bridge: RunningBridge;
  before(async () => {
    bridge = await startBridge();
    mllpSendFramed(bridge.mllpPort, [
      sample('orm-latin1.hl7'),
      sample('omi-o23-ct-chest-abdomen.hl7'),
      sample('orm-ct-head.hl7'),
      sample('orm-us-abdomen-utf8.hl7'),
    ]);
  });
  after(async () => {
    await ifStarted(bridge)?.stop();
  });

  const get = (query: string, accept?: string): Promise<Response> =>
    fetch(`http://127.0.0.1:${bridge.httpPort}${SEARCH}?${query}`, { headers: accept === undefined ? {} : { Accept: accept } });

  it('answers the XML model in multipart/related, saying what the JSON answer says', async () => {
    const query = 'includefield=all';
    const json = await get(query);
    assert.equal(json.status, 200);
    assert.equal(json.headers.get('content-type'), 'application/dicom+json');
    const expected = (await json.json()) as DicomJson[];
    assert.ok(expected.length >= 5);
    const xml = await get(query, XML_TYPE);
    assert.equal(xml.status, 200);
    const contentType = xml.headers.get('content-type') ?? '';
    assert.match(contentType, /^multipart\/related; type="application\/dicom\+xml"; boundary=[0-9a-f]{32}$/);
    assert.equal(xml.headers.get('vary'), 'Accept');
    const parts = multipartParts(contentType, await xml.text());
    assert.equal(parts.length, expected.length);
    for (const part of parts) assert.equal(part.headers, 'Content-Type: application/dicom+xml');
    assert.deepEqual(xmlToJson(parts.map((p) => p.body)), expected);
  });

  it('takes the accept query parameter over the Accept header (PS3.18 8.3.3.1)', async () => {
    const byParam = await get(`PatientName=*&accept=${encodeURIComponent(XML_TYPE)}`, 'application/dicom+json');
    assert.equal(byParam.status, 200);
    assert.match(byParam.headers.get('content-type') ?? '', /^multipart\/related; type="application\/dicom\+xml"/);
    const parts = multipartParts(byParam.headers.get('content-type') ?? '', await byParam.text());
    const json = (await (await get('PatientName=*')).json()) as DicomJson[];
    assert.deepEqual(xmlToJson(parts.map((p) => p.body)), json);
    // The accept parameter is not a match parameter.
    assert.equal(json.length, parts.length);
  });

  it('keeps the Warning header and the statuses in XML: 204 with an empty body, the offer of more', async () => {
    const none = await get('PatientID=NOBODY', XML_TYPE);
    assert.equal(none.status, 204);
    assert.equal(await none.text(), '');
    const page = await get('limit=1', XML_TYPE);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('warning') ?? '', /^299 mwl-bridge "There are additional results that can be requested \(offset=1\)"$/);
    assert.equal(multipartParts(page.headers.get('content-type') ?? '', await page.text()).length, 1);
  });

  it('answers 406 with a Warning for what is not offered', async () => {
    for (const accept of ['application/dicom+xml', 'text/html', 'multipart/related; type="application/dicom"', 'application/dicom+json; charset=ISO-8859-1']) {
      const r = await get('PatientName=*', accept);
      assert.equal(r.status, 406, accept);
      assert.match(
        r.headers.get('warning') ?? '',
        /^299 mwl-bridge "only application\/dicom\+json and multipart\/related; type='application\/dicom\+xml' are offered"$/,
      );
    }
    assert.equal((await get(`accept=${encodeURIComponent('application/dicom+xml')}`)).status, 406);
  });
});
