/**
 * The console's changes in a real browser (Debian's Chromium driven by playwright-core), clicked
 * through as a user would: an item entered by hand (a missing type-1 value refused next to its
 * field), found by findscu, its mirror file in sync, edited and cancelled; a rejected message
 * reprocessed after a mapping fix (the file changed, SIGHUP), its MPPS on the item page; the mapping
 * workbench; a read-only
 * user without edit controls, refused by the server when it posts anyway. Screenshots as in
 * console-browser.test.ts (saved when MWL_CONSOLE_SCREENSHOTS names a folder).
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { after, before, describe, it } from '../helpers/suites.js';
import { findscu, ifStarted, mllpSendText, projectDir, skipWithout, startBridgeProcess, tempDir, type BridgeProcess } from '../helpers/peers.js';
import { consoleLogin, consoleScreenshot, consoleScreenshots, consoleTokens, launchChromium } from '../helpers/console.js';
import { order } from '../helpers/orders.js';
import { mppsCreateJson } from '../helpers/dicomweb.js';

const skip = skipWithout('chromium', 'mllp_send', 'findscu');

/** The default mapping with PatientID read from PID-3 only (strict), or with its fallbacks to PID-2 and PID-4. */
function writeMapping(file: string, strict: boolean): void {
  const text = readFileSync(join(projectDir, 'mappings', 'default.yaml'), 'utf8');
  const line = '  PatientID: { from: ["PID-3[5=MR].1", PID-3.1, PID-2.1, PID-4.1] }';
  assert.ok(text.includes(line), 'the default mapping reads PatientID from PID-3, then PID-2');
  writeFileSync(file, strict ? text.replace(line, '  PatientID: { from: ["PID-3[5=MR].1", PID-3.1] }') : text);
}

const MSA = (acks: string[][]): string => acks[0]?.find((s) => s.startsWith('MSA|')) ?? '';

describe('web console changes in Chromium', { skip }, () => {
  let bridge: BridgeProcess;
  let browser: Browser;
  let base: string;
  const tokens: Record<'read' | 'write', string> = { read: '', write: '' };
  const dir = tempDir('mwl-console-e-');
  const mapping = join(dir, 'site.yaml');
  const mirrorDir = join(dir, 'wl');
  /** Every URL the browser asked for. */
  const requested: string[] = [];

  before(async () => {
    const { file, tokens: added } = consoleTokens(dir);
    Object.assign(tokens, added);
    writeMapping(mapping, true);
    bridge = await startBridgeProcess(['--http-tokens-file', file, '--mapping', mapping, '--mirror-dir', mirrorDir, '--mirror-layout', 'flat'], { dir });
    base = `http://127.0.0.1:${bridge.httpPort}`;
    browser = await launchChromium();
  });
  after(async () => {
    await ifStarted(browser)?.close();
    await ifStarted(bridge)?.stop();
    if (!consoleScreenshots) rmSync(dir, { recursive: true, force: true });
  });

  const loggedIn = (role: 'read' | 'write'): Promise<{ context: BrowserContext; page: Page }> => consoleLogin(browser, base, tokens[role], requested);

  const itemIdOf = (page: Page): number => Number(/\/console\/items\/(\d+)$/.exec(page.url())?.[1]);
  const findByAccession = (accession: string): ReturnType<typeof findscu>['answers'] =>
    findscu(bridge.dicomPort, bridge.aeTitle, [`AccessionNumber=${accession}`, 'PatientName', 'PatientID', 'RequestedProcedureDescription', 'StudyInstanceUID'])
      .answers;

  it('creates an item by hand (a missing value refused next to its field), found by findscu, mirrored, edited and cancelled', async () => {
    const { context, page } = await loggedIn('write');
    await page.getByRole('link', { name: 'New item' }).click();
    await page.getByRole('heading', { level: 1, name: 'New item' }).waitFor();
    await page.getByLabel('Patient name').fill('HAND^ENTERED');
    await page.getByLabel('Birth date').fill('1970-05-04');
    await page.getByLabel('Sex').selectOption('F');
    await page.getByLabel('Accession number').fill('ACC-HAND');
    await page.getByLabel('Requested procedure ID').fill('RP-HAND');
    await page.getByLabel('Procedure description').fill('CT head');
    await page.getByLabel('Modality').fill('CT');
    await page.getByLabel('Station AE title').fill('CT_ROOM');
    await page.getByLabel('Scheduled date').fill('2026-12-03');
    await page.getByLabel('Scheduled time').fill('10:30');
    // No patient ID: the item service refuses it (type 1), and the form says so next to the field.
    await page.getByRole('button', { name: 'Create item' }).click();
    const fieldError = page.locator('#e-patientId');
    await fieldError.waitFor();
    assert.match((await fieldError.textContent()) ?? '', /PatientID.*type 1/);
    assert.equal(await page.getByLabel('Patient ID').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.getByLabel('Patient name').inputValue(), 'HAND^ENTERED', 'the values typed are kept');
    await consoleScreenshot(page, 'new-item');

    await page.getByLabel('Patient ID').fill('PAT-HAND');
    await page.getByRole('button', { name: 'Create item' }).click();
    await page.getByRole('heading', { level: 1, name: /^Item \d+$/ }).waitFor();
    const id = itemIdOf(page);
    const created = page.getByRole('row').filter({ hasText: 'HTTP item created' }).filter({ hasText: 'by admin' });
    await created.waitFor();
    // The change's log entry shows who made it and the data set it sent.
    await created.getByRole('link').first().click();
    await page.getByText('Changed by hand').waitFor();
    assert.match((await page.locator('pre.raw-json').textContent()) ?? '', /"Alphabetic": "HAND\^ENTERED"/);
    await page.goBack();

    const [answer, ...more] = findByAccession('ACC-HAND');
    assert.equal(more.length, 0);
    assert.ok(answer, 'findscu finds the item');
    assert.equal(answer.values['(0010,0010)'], 'HAND^ENTERED');
    assert.equal(answer.values['(0010,0020)'], 'PAT-HAND');

    // The mirror writes the file shortly after: reload until the page says it is in sync.
    const state = page.locator('[data-mirror-state]');
    for (let i = 0; i < 40 && (await state.getAttribute('data-mirror-state')) !== 'in-sync'; i++) {
      await page.waitForTimeout(250);
      await page.reload();
    }
    assert.equal(await state.getAttribute('data-mirror-state'), 'in-sync');
    assert.match((await page.locator('main').textContent()) ?? '', new RegExp(`mwl-bridge-${id}\\.wl`));
    const file = await context.request.get(`${base}${(await page.getByRole('link', { name: 'Download the file' }).getAttribute('href')) ?? ''}`);
    assert.equal(file.status(), 200);
    assert.equal((await file.body()).toString('latin1', 128, 132), 'DICM', 'the download is the DICOM file the mirror wrote');
    await page.getByText('No modality has reported performing this item').waitFor();

    await page.getByRole('link', { name: 'Edit item' }).click();
    assert.equal(await page.getByLabel('Scheduled date').inputValue(), '2026-12-03');
    await page.getByLabel('Procedure description').fill('CT head with contrast');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('heading', { level: 1, name: `Item ${id}` }).waitFor();
    await page.getByRole('row').filter({ hasText: 'HTTP item updated' }).waitFor();
    assert.equal(findByAccession('ACC-HAND')[0]?.values['(0032,1060)'], 'CT head with contrast');
    await consoleScreenshot(page, 'item-manual');

    await page.getByRole('link', { name: 'Cancel item…' }).click();
    await page.getByRole('button', { name: `Cancel item ${id}` }).click();
    await page.getByRole('heading', { level: 1, name: `Item ${id}` }).waitFor();
    await page.locator('.summary .status-canceled').waitFor();
    assert.equal(await page.getByRole('link', { name: 'Edit item' }).count(), 0, 'a closed item is not edited');
    assert.equal(findByAccession('ACC-HAND').length, 0, 'a cancelled item leaves the worklist');
    await context.close();
  });

  it('reprocesses a rejected message after a mapping fix', async () => {
    // The patient ID in PID-2 only, as an old RIS sends it: rejected under the strict mapping.
    const legacy = order({ controlId: 'OLD1', patientId: '', accession: 'ACC-OLD' }).replace('PID|1||', 'PID|1|PAT-OLD|');
    assert.match(MSA(mllpSendText(bridge.mllpPort, legacy)), /^MSA\|AE\|OLD1/);
    const { context, page } = await loggedIn('write');
    await page.getByRole('link', { name: 'Messages' }).click();
    await page.getByLabel('Outcome').selectOption('rejected');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByRole('row').filter({ hasText: 'OLD1' }).getByRole('link').first().click();
    await page.getByRole('heading', { level: 1, name: /^Message \d+$/ }).waitFor();
    const rejectedUrl = page.url();

    writeMapping(mapping, false);
    bridge.process.kill('SIGHUP');
    await bridge.waitForLog(/mapping\.reloaded/);
    await page.getByRole('button', { name: 'Reprocess' }).click();
    await page.getByRole('heading', { level: 1, name: /^Message \d+$/ }).waitFor();
    assert.notEqual(page.url(), rejectedUrl, 'the outcome is a new log entry');
    await page.getByRole('link', { name: /^message \d+$/ }).waitFor();
    assert.match((await page.locator('.summary').first().textContent()) ?? '', /stored[\s\S]*ACK AA[\s\S]*by admin/);
    await consoleScreenshot(page, 'reprocessed');
    await page.getByRole('link', { name: /^item \d+$/ }).click();
    await page.getByRole('heading', { level: 1, name: /^Item \d+$/ }).waitFor();
    assert.match((await page.locator('.summary').first().textContent()) ?? '', /PAT-OLD[\s\S]*ACC-OLD/);
    const [stored] = findByAccession('ACC-OLD');
    assert.ok(stored, 'findscu finds the reprocessed order');

    // A modality starts it (DICOMweb MPPS): the item page lists the instance.
    const mpps = await fetch(`${base}/dicom-web/modality-performed-procedure-steps/1.2.826.0.1.3680043.10.543.9.21`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${tokens.write}`, 'Content-Type': 'application/dicom+json' },
      body: JSON.stringify([
        mppsCreateJson({
          station: 'MR_ROOM',
          accession: 'ACC-OLD',
          stepId: 'SPS-ACC-OLD',
          studyUid: stored.values['(0020,000d)'],
          requestedProcedureId: 'RP-ACC-OLD',
        }),
      ]),
    });
    assert.equal(mpps.status, 201, await mpps.text());
    await page.reload();
    await page.getByRole('row').filter({ hasText: '1.2.826.0.1.3680043.10.543.9.21' }).filter({ hasText: 'in progress' }).waitFor();
    await page.locator('.summary .status-started').waitFor();
    await consoleScreenshot(page, 'item-mpps');
    await context.close();
  });

  it('shows in the workbench the item, the derived values and the ACK a message would get', async () => {
    const { context, page } = await loggedIn('write');
    await page.getByRole('link', { name: 'Workbench' }).click();
    await page.getByLabel('HL7 message').fill(order({ controlId: 'WB1', accession: 'ACC-WB' }).replace(/\r/g, '\n'));
    await page.getByRole('button', { name: 'Try the mapping' }).click();
    await page.getByRole('heading', { name: 'ACK it would get' }).waitFor();
    assert.match((await page.locator('.summary').first().textContent()) ?? '', /Accepted\s*yes/);
    await page.getByRole('heading', { name: 'Derived values' }).waitFor();
    await page.getByRole('rowheader', { name: 'AccessionNumber' }).first().waitFor();
    assert.match(
      (await page
        .getByRole('row')
        .filter({ has: page.getByRole('rowheader', { name: 'MSA-1', exact: true }) })
        .textContent()) ?? '',
      /AA/,
    );
    await consoleScreenshot(page, 'workbench');
    // Nothing was stored.
    assert.equal(findByAccession('ACC-WB').length, 0);

    // A message without any ID: rejected, the error location marked in the message.
    await page.getByLabel('HL7 message').fill(order({ controlId: 'WB2', accession: '', patientId: '' }).replace(/\r/g, '\n'));
    await page.getByRole('button', { name: 'Try the mapping' }).click();
    await page.getByText('Rejected because').waitFor();
    await page.locator('.error-location').first().waitFor();
    await context.close();
  });

  it('gives a read-only user no edit controls, and the server refuses the edits anyway', async () => {
    const { context, page } = await loggedIn('read');
    assert.equal(await page.getByRole('link', { name: 'New item' }).count(), 0);
    await page.goto(`${base}/?date=all&q=ACC-OLD`);
    await page.getByRole('row').filter({ hasText: 'ACC-OLD' }).getByRole('link').first().click();
    await page.getByRole('heading', { level: 1, name: /^Item \d+$/ }).waitFor();
    const id = itemIdOf(page);
    assert.equal(await page.locator('[data-edit-controls]').count(), 0);
    const form = await page.goto(`${base}/console/items/${id}/edit`);
    assert.equal(form?.status(), 403);
    await page.getByRole('alert').filter({ hasText: 'may only read' }).waitFor();
    // Posted from a console page with the user's cookie, as a changed page would: refused.
    // (A script as text: tsx would name the functions of a callback with a helper the page does not have.)
    const statuses = await page.evaluate(`Promise.all([
      ['/console/items/${id}/cancel', ''], ['/console/items', 'patientId=X'], ['/console/mapping', 'message=MSH'],
    ].map(([path, body]) => fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body }).then((r) => r.status)))`);
    assert.deepEqual(statuses, [403, 403, 403]);
    await page.goto(`${base}/console/items/${id}`);
    await page.locator('.summary .status-started').waitFor();
    await page.getByRole('link', { name: 'Workbench' }).click();
    await page.getByText('it takes a write token').waitFor();
    await context.close();
  });

  it('shows rates, disk and version on the Status page', async () => {
    const { context, page } = await loggedIn('read');
    await page.getByRole('link', { name: 'Status' }).click();
    assert.match((await page.locator('[data-figure="orders"]').textContent()) ?? '', /^[1-9]\d* in the last minute/);
    assert.match((await page.locator('[data-figure="database"]').textContent()) ?? '', /worklist\.db: \d/);
    assert.match((await page.locator('[data-figure="free"]').textContent()) ?? '', /\d+(\.\d)? MiB/);
    assert.match((await page.locator('[data-figure="version"]').textContent()) ?? '', /^\d+\.\d+\.\d+/);
    await consoleScreenshot(page, 'status-figures');
    await context.close();
  });

  it('loaded nothing from outside the bridge on these pages', () => {
    assert.ok(requested.length > 20, `${requested.length} requests`);
    assert.deepEqual(
      requested.filter((url) => !url.startsWith(`${base}/`)),
      [],
    );
  });
});
