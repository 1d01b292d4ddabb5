/**
 * The web console in a real browser (Debian's Chromium driven by playwright-core), clicked through
 * as a user would: log in with a token, an order sent over MLLP appears on Today (and a later one
 * without reloading), its item page shows the message, a rejected message shows its error location,
 * a query with no answer is explained by the "why not?" form, a read-only user sees no edit
 * controls and is refused an edit (changes made in the console: console-browser-edit.test.ts).
 * The page loads nothing from anywhere but the bridge itself, and a patient name with markup in it
 * is shown as text. Each page's screenshot is saved when MWL_CONSOLE_SCREENSHOTS names a folder
 * (docs/console-*.png are from there).
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { after, before, describe, it } from '../helpers/suites.js';
import { findscu, ifStarted, mllpSendText, skipWithout, startBridge, tempDir, type RunningBridge } from '../helpers/peers.js';
import { consoleLogin, consoleScreenshot, consoleScreenshots, consoleTokens, launchChromium } from '../helpers/console.js';
import { order } from '../helpers/orders.js';

const skip = skipWithout('chromium', 'mllp_send', 'findscu');

/** Today's date as the bridge's Today view takes it (local time), YYYYMMDD. */
function today(): string {
  const d = new Date();
  return `${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, '0')}${String(d.getDate()).padStart(2, '0')}`;
}

describe('web console in Chromium', { skip }, () => {
  let bridge: RunningBridge;
  let browser: Browser;
  let base: string;
  const tokens: Record<'read' | 'write', string> = { read: '', write: '' };
  const dir = tempDir('mwl-console-');
  /** Every URL the browser asked for. */
  const requested: string[] = [];

  before(async () => {
    const { file, tokens: added } = consoleTokens(dir);
    Object.assign(tokens, added);
    bridge = await startBridge(['--http-tokens-file', file], { dir });
    base = `http://127.0.0.1:${bridge.httpPort}`;
    browser = await launchChromium();
  });
  after(async () => {
    await ifStarted(browser)?.close();
    await ifStarted(bridge)?.stop();
    if (!consoleScreenshots) rmSync(dir, { recursive: true, force: true });
  });

  const loggedIn = (role: 'read' | 'write', fakeClock = false): Promise<{ context: BrowserContext; page: Page }> =>
    consoleLogin(browser, base, tokens[role], requested, { fromRoot: true, fakeClock });

  it('refuses an unknown token at the login form', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/console/login`);
    await page.getByLabel('Access token').fill('mwlb_not-a-token');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'not known' }).waitFor();
    await consoleScreenshot(page, 'login');
    await context.close();
  });

  it('shows an order sent over MLLP on Today, refreshes by itself, and shows the item with its message', async () => {
    const start = `${today()}0930`;
    const acks = mllpSendText(bridge.mllpPort, order({ controlId: 'CON1', accession: 'ACC-CON1', patientId: 'PAT-CON1', name: 'DOE^JOHN', start }));
    assert.equal(acks[0]?.[1], 'MSA|AA|CON1');
    const { context, page } = await loggedIn('write', true);
    const row = page.getByRole('row').filter({ hasText: 'ACC-CON1' });
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /DOE JOHN[\s\S]*PAT-CON1[\s\S]*scheduled/i);

    // A later order appears without reloading (console.js polls), and its hostile name is text.
    // (No "=" in it: that is the person name's component group separator, and the order would be rejected.)
    const hostile = '<script>alert(1)</script><b>bold</b>^EVIL';
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    const hostileAcks = mllpSendText(
      bridge.mllpPort,
      order({ controlId: 'CON2', accession: 'ACC-CON2', patientId: 'PAT-CON2', name: hostile, start: `${today()}1015` }),
    );
    assert.equal(hostileAcks[0]?.[1], 'MSA|AA|CON2');
    const hostileRow = page.getByRole('row').filter({ hasText: 'ACC-CON2' });
    assert.equal(await hostileRow.count(), 0, 'not there before the page refreshes');
    // The page's refresh timer (console.js, every 5 s) fires when its clock passes 5 s.
    await context.clock.runFor(5000);
    await hostileRow.waitFor({ timeout: 15_000 });
    assert.match((await hostileRow.textContent()) ?? '', /<script>alert\(1\)<\/script><b>bold<\/b> EVIL/);
    assert.equal(await page.locator('main b').count(), 0, 'no element made from the name');
    assert.deepEqual(dialogs, []);
    assert.match((await page.getByRole('status').textContent()) ?? '', /Updated/);
    await consoleScreenshot(page, 'today');

    // The search narrows the list.
    await page.getByLabel('Patient ID, name or accession').fill('doe');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('row').filter({ hasText: 'ACC-CON1' }).waitFor();
    assert.equal(await page.getByRole('row').filter({ hasText: 'ACC-CON2' }).count(), 0);

    await page.getByRole('link', { name: 'DOE JOHN' }).click();
    await page.getByRole('heading', { level: 1, name: /^Item \d+$/ }).waitFor();
    await page.getByRole('row').filter({ hasText: 'CON1' }).filter({ hasText: 'ORM^O01' }).waitFor();
    await page.getByRole('rowheader', { name: 'AccessionNumber' }).waitFor();
    assert.equal(await page.locator('[data-edit-controls]').count(), 1, 'a write user sees the edit controls');
    await consoleScreenshot(page, 'item');

    const messageLink = page.getByRole('row').filter({ hasText: 'CON1' }).getByRole('link');
    await messageLink.click();
    await page.getByRole('heading', { level: 1, name: /^Message \d+$/ }).waitFor();
    await page.getByRole('rowheader', { name: 'PID-3', exact: true }).waitFor();
    await page.getByRole('rowheader', { name: 'MSA-1', exact: true }).waitFor();
    await context.close();
  });

  it('shows a rejected message with its error location highlighted', async () => {
    // An order without an accession number or any ID is rejected; its ACK names the field.
    const bad = order({ controlId: 'BAD1', accession: '', patientId: '' });
    const acks = mllpSendText(bridge.mllpPort, bad);
    assert.match(acks[0]?.[1] ?? '', /^MSA\|A[ER]\|BAD1/);
    const { context, page } = await loggedIn('read');
    await page.getByRole('link', { name: 'Messages' }).click();
    await page.getByLabel('Outcome').selectOption('rejected');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByRole('row').filter({ hasText: 'BAD1' }).getByRole('link').first().click();
    await page.getByRole('heading', { level: 1, name: /^Message \d+$/ }).waitFor();
    await page.locator('.error-location').first().waitFor();
    await page.getByText('error here').or(page.getByText('error in this segment')).first().waitFor();
    await consoleScreenshot(page, 'message');
    await context.close();
  });

  it('explains a query that found nothing in the "why not?" form', async () => {
    const { answers } = findscu(bridge.dicomPort, bridge.aeTitle, ['ScheduledProcedureStepSequence[0].Modality=CT', 'AccessionNumber'], {
      extra: ['-aet', 'CT_ROOM'],
    });
    assert.equal(answers.length, 0);
    const { context, page } = await loggedIn('read');
    await page.getByRole('link', { name: 'Queries' }).click();
    const row = page.getByRole('row').filter({ hasText: 'CT_ROOM' });
    // The query log is written in batches: reload until the query is there.
    for (let i = 0; i < 20 && (await row.count()) === 0; i++) {
      await page.waitForTimeout(250);
      await page.reload();
    }
    await row.getByRole('link').first().click();
    await page.getByLabel('Accession number').fill('ACC-CON1');
    await page.getByRole('button', { name: 'Explain' }).click();
    await page.getByRole('heading', { name: 'Why not?' }).waitFor();
    await page.getByText('not answered').first().waitFor();
    const mismatch = page.locator('tr.mismatch').filter({ hasText: 'Modality' });
    assert.equal(await mismatch.count(), 1, 'the modality key is the one that does not match');
    await consoleScreenshot(page, 'queries');
    // The same report through the API.
    const report = (await (
      await context.request.get(`${base}/api/v1/queries/${page.url().match(/queries\/(\d+)/)?.[1] ?? ''}/explain?accessionNumber=ACC-CON1`)
    ).json()) as {
      items: { answered: boolean }[];
    };
    assert.equal(report.items[0]?.answered, false);
    await context.close();
  });

  it('shows the status, and a read-only user no edit controls and no edits', async () => {
    const { context, page } = await loggedIn('read');
    await page.getByRole('link', { name: 'Status' }).click();
    await page.getByRole('rowheader', { name: 'mllp' }).waitFor();
    await page.getByText('MLLP connections open').waitFor();
    await consoleScreenshot(page, 'status');
    await page.getByRole('link', { name: 'Today' }).click();
    await page.getByRole('link', { name: 'DOE JOHN' }).click();
    await page.getByRole('heading', { level: 1, name: /^Item \d+$/ }).waitFor();
    assert.equal(await page.locator('[data-edit-controls]').count(), 0);
    const refused = await context.request.post(`${base}/api/v1/items`, { headers: { Origin: base }, data: {} });
    assert.equal(refused.status(), 403);
    const crossSite = await context.request.post(`${base}/api/v1/items`, { headers: { Origin: 'http://evil.example' }, data: {} });
    assert.equal(crossSite.status(), 403);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Access token').waitFor();
    await context.close();
  });

  it('loads nothing from outside the bridge, under a strict Content-Security-Policy', async () => {
    assert.ok(requested.length > 10, `${requested.length} requests`);
    const foreign = requested.filter((url) => !url.startsWith(`${base}/`));
    assert.deepEqual(foreign, []);
    const response = await fetch(`${base}/console/login`);
    assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'none'; script-src 'self'/);
    // Form bodies are taken by the login and logout forms only: a form another site posts elsewhere is refused unread.
    const form = await fetch(`${base}/dicom-web/modality-performed-procedure-steps/1.2.3`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${tokens.write}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'a=1',
    });
    assert.equal(form.status, 415);
  });
});
