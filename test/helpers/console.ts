/** The console tests' login: a fresh browser context, the token typed into the login form, Today shown. */
import type { Browser, BrowserContext, Page } from 'playwright-core';

export async function consoleLogin(browser: Browser, base: string, token: string, requested: string[]): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // Every URL the browser asks for: the tests check that none leaves the bridge.
  context.on('request', (request) => requested.push(request.url()));
  const page = await context.newPage();
  await page.goto(`${base}/console/login`);
  await page.getByLabel('Access token').fill(token);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Today' }).waitFor();
  return { context, page };
}
