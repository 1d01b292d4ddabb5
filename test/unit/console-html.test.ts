/**
 * The console's pure pieces: the html tag escapes everything it is given, an HL7 message is laid
 * out with HL7's own field numbers, the ACK's error location is found (ERR-1 and ERR-2), and the
 * login form's "next" page and cookie are read strictly; the manual entry form becomes a data set
 * (and back), and a refusal's tag finds its field.
 */
import assert from 'node:assert/strict';
import { describe, it } from '../helpers/suites.js';
import { escapeHtml, html } from '../../src/http/console/html.js';
import { errorLocationOf, messageLayout, segmentsOf } from '../../src/http/console/hl7-view.js';
import { localPath, tokenFromCookie } from '../../src/http/console/paths.js';
import { datasetFromForm, fieldOfLocation, valuesOfItem } from '../../src/http/console/item-form.js';
import { hl7FromTextarea } from '../../src/http/console/page-workbench.js';
import { missingType1 } from '../../src/model/type1.js';

describe('console html', () => {
  it('escapes every value put into a template, and keeps only its own markup', () => {
    const name = `<script>alert("x")</script>&'`;
    assert.equal(escapeHtml(name), '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
    const row = html`<td title="${name}">${name}</td>`;
    assert.equal(row.markup, `<td title="${escapeHtml(name)}">${escapeHtml(name)}</td>`);
    assert.equal(html`<p>${[html`<b>${'<i>'}</b>`, 1, null, undefined, false]}</p>`.markup, '<p><b>&lt;i&gt;</b>1</p>');
    // An object that looks like markup is text, not markup.
    assert.equal(html`${{ markup: '<b>' } as unknown as string}`.markup, '[object Object]');
  });

  it('numbers fields as HL7 does and marks the error location', () => {
    const raw = 'MSH|^~\\&|RIS|RAD|MWL|HOSP|20261123||ORM^O01|C1|P|2.3.1\rPID|1||<b>^^^HOSP||ROE^JANE\r';
    const [msh, pid] = segmentsOf(raw);
    assert.deepEqual(msh?.fields.slice(0, 3), [
      { n: 1, value: '|' },
      { n: 2, value: '^~\\&' },
      { n: 3, value: 'RIS' },
    ]);
    assert.deepEqual(
      pid?.fields.filter((f) => f.value !== '').map((f) => f.n),
      [1, 3, 5],
    );
    const layout = messageLayout(raw, 'message', { segment: 'PID', field: 3 }).markup;
    assert.match(layout, /<tr class="error-location">\s*<th scope="row">PID-3<\/th>/);
    assert.ok(!layout.includes('<b>'), 'the field text is escaped');
    // A required field that was not sent is shown where the error is.
    const empty = messageLayout('MSH|^~\\&|RIS\rPID|1||||NOID^PATIENT\r', 'message', { segment: 'PID', field: 3 }).markup;
    assert.match(empty, /<tr class="error-location">\s*<th scope="row">PID-3<\/th>\s*<td>\s*<span class="hint">\(empty\)<\/span>/);
    assert.ok(!empty.includes('PID-2<'), 'other empty fields are left out');
  });

  it('reads the error location from ERR-1 (before v2.5) and ERR-2 (v2.5 and later)', () => {
    assert.deepEqual(errorLocationOf('MSH|^~\\&|A\rMSA|AE|C1\rERR|PID^1^3^101&Required field missing&HL70357\r'), { segment: 'PID', field: 3 });
    assert.deepEqual(errorLocationOf('MSH|^~\\&|A\rMSA|AE|C1\rERR||OBR^1^24^1|102^Data type error^HL70357|E\r'), { segment: 'OBR', field: 24 });
    assert.deepEqual(errorLocationOf('MSH|^~\\&|A\rMSA|AR|C1\rERR||MSH^1|207^Application internal error^HL70357|E\r'), { segment: 'MSH' });
    assert.equal(errorLocationOf('MSH|^~\\&|A\rMSA|AA|C1\r'), undefined);
    assert.equal(errorLocationOf(null), undefined);
  });

  it('returns after login only to a local page, and reads only a sane cookie', () => {
    assert.equal(localPath('/console/items/3?x=1'), '/console/items/3?x=1');
    for (const bad of ['//evil.example/', '/\\evil.example', 'https://evil.example/', 'javascript:alert(1)', '', undefined, 3])
      assert.equal(localPath(bad), '/');
    assert.equal(tokenFromCookie('a=b; mwlb_console=mwlb_abc; c=d'), 'mwlb_abc');
    assert.equal(tokenFromCookie('mwlb_console=a b'), undefined);
    assert.equal(tokenFromCookie(undefined), undefined);
  });

  it('makes a data set of the manual entry form, keeping what the form does not show', () => {
    const form = {
      patientName: 'DOE^JANE',
      patientId: 'P1',
      accessionNumber: 'A1',
      requestedProcedureId: 'RP1',
      modality: 'CT',
      stationAeTitle: 'CT1',
      date: '2026-12-03',
      time: '09:05',
    };
    const made = datasetFromForm(form);
    assert.deepEqual(missingType1(made), [], 'every type-1 attribute filled: a UID made, the step ID from the requested procedure ID');
    assert.match(made['0020000D']?.Value?.[0] as string, /^2\.25\.\d+$/);
    assert.deepEqual(made['00100010'], { vr: 'PN', Value: [{ Alphabetic: 'DOE^JANE' }] });
    const step = made['00400100']?.Value?.[0] as Record<string, { Value: unknown[] }>;
    assert.deepEqual([step['00400002']?.Value, step['00400003']?.Value, step['00400009']?.Value], [['20261203'], ['090500'], ['RP1']]);
    assert.equal(valuesOfItem(made).date, '2026-12-03');
    assert.equal(valuesOfItem(made).time, '09:05');
    // An edit keeps other attributes and other steps, and an emptied field removes its attribute.
    const stored = { ...made, '00081030': { vr: 'LO', Value: ['kept'] } };
    const edited = datasetFromForm({ ...valuesOfItem(stored), accessionNumber: '' }, stored);
    assert.deepEqual(edited['00081030'], { vr: 'LO', Value: ['kept'] });
    assert.equal(edited['00080050'], undefined);
    assert.equal(edited['0020000D']?.Value?.[0], made['0020000D']?.Value?.[0], 'the study UID stays');
    // A field left as shown keeps its element as stored: a name's other groups, a time's fraction.
    const rich = {
      ...made,
      '00100010': { vr: 'PN', Value: [{ Alphabetic: 'YAMADA^TARO', Ideographic: '山田^太郎' }] },
      '00400100': { vr: 'SQ', Value: [{ ...step, '00400003': { vr: 'TM', Value: ['090512.25'] } }] },
    } as typeof made;
    const kept = datasetFromForm(valuesOfItem(rich), rich);
    assert.deepEqual(kept['00100010'], rich['00100010']);
    assert.deepEqual((kept['00400100']?.Value?.[0] as Record<string, unknown>)['00400003'], { vr: 'TM', Value: ['090512.25'] });
    const renamed = datasetFromForm({ ...valuesOfItem(rich), patientName: 'YAMADA^HANAKO' }, rich);
    assert.deepEqual(renamed['00100010'], { vr: 'PN', Value: [{ Alphabetic: 'YAMADA^HANAKO' }] });
  });

  it("finds the form field of a refusal's tag, and reads a pasted message with any line breaks", () => {
    assert.equal(fieldOfLocation('(0010,0020)'), 'patientId');
    assert.equal(fieldOfLocation('(0040,0002) ScheduledProcedureStepStartDate'), 'date');
    assert.equal(fieldOfLocation('(0008,1030)'), undefined);
    assert.equal(fieldOfLocation(undefined), undefined);
    assert.equal(hl7FromTextarea('MSH|^~\\&|A\r\nPID|1\nPV1|1\n\n').toString(), 'MSH|^~\\&|A\rPID|1\rPV1|1\r');
  });
});
