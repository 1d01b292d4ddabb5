/**
 * What the console's browser tests share: their tokens, Debian's Chromium, the login (a fresh
 * browser context, the token typed into the login form, Today shown) and the screenshots.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { addTokens } from './peers.js';

/** A read-only ('monitor') and a write ('admin') token, written to DIR/tokens (for --http-tokens-file). */
export function consoleTokens(dir: string): { file: string; tokens: Record<'read' | 'write', string> } {
  const file = join(dir, 'tokens');
  const added = addTokens(file, [
    ['monitor', 'read'],
    ['admin', 'write'],
  ]);
  return { file, tokens: { read: added.monitor ?? '', write: added.admin ?? '' } };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
}

/**
 * Logs in with `token`. Every URL the browser asks for is added to `requested` (the tests check
 * that none leaves the bridge). fromRoot: the login starts at the bridge's root, which must send a
 * browser without a token to the login form. fakeClock: the pages' clock is playwright's, moved on
 * by the test.
 */
export async function consoleLogin(
  browser: Browser,
  base: string,
  token: string,
  requested: string[],
  opts: { fromRoot?: boolean; fakeClock?: boolean } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // The pages' timers then run when the test moves the clock on (context.clock.runFor), not after real seconds.
  if (opts.fakeClock) await context.clock.install();
  context.on('request', (request) => requested.push(request.url()));
  const page = await context.newPage();
  if (opts.fromRoot) {
    await page.goto(`${base}/`);
    assert.match(page.url(), /\/console\/login\?next=%2F$/, 'a browser without a token is sent to the login form');
  } else {
    await page.goto(`${base}/console/login`);
  }
  await page.getByLabel('Access token').fill(token);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Today' }).waitFor();
  return { context, page };
}

/** Where the pages' screenshots go, when MWL_CONSOLE_SCREENSHOTS names a folder (docs/console-*.png are from there). */
export const consoleScreenshots = process.env.MWL_CONSOLE_SCREENSHOTS;

/** Saves the page as console-NAME.png when asked for (each costs the browser a full-page render and a PNG). */
export async function consoleScreenshot(page: Page, name: string): Promise<void> {
  if (!consoleScreenshots) return;
  mkdirSync(consoleScreenshots, { recursive: true });
  await page.screenshot({ path: join(consoleScreenshots, `console-${name}.png`), fullPage: true });
}
