import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';

/** Where the Chromium tests put their screenshots (test-artifacts/web-ui/). */
export const SHOTS = resolve(import.meta.dir, '../../test-artifacts/web-ui');

/** Debian's Chromium, headless, through playwright-core (DESIGN.md: works as root with these flags). */
export async function launchChromium(): Promise<Browser> {
  mkdirSync(SHOTS, { recursive: true });
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

let shared: Promise<Browser> | undefined;

/**
 * One Chromium for every browser test file of a `bun test` run (the files share one process and
 * its modules): each file opens its own context with {@link adminPage} and closes that context,
 * not the browser. A launch costs 0.6-1.1 s here; playwright kills the browser when the process
 * exits. A browser that went away (crashed) is launched again.
 */
export async function sharedChromium(): Promise<Browser> {
  const browser = shared ? await shared.catch(() => undefined) : undefined;
  if (browser?.isConnected()) return browser;
  shared = launchChromium();
  return shared;
}

/** A desktop-sized page that trusts the appliance's self-signed certificate and accepts every dialog, recording its text. */
export async function adminPage(browser: Browser, dialogs: string[] = []): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ignoreHTTPSErrors: true });
  const page = await context.newPage();
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.accept();
  });
  return page;
}

/** First-run setup through the page, ending on the dashboard. */
export async function setUpAdmin(page: Page, url: string, token: string, password: string): Promise<void> {
  await page.goto(`${url}/#/setup/${token}`);
  await page.getByLabel('New admin password').fill(password);
  await page.getByLabel('Repeat the password').fill(password);
  await page.getByRole('button', { name: 'Set password' }).click();
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
}

/** A full-page screenshot into test-artifacts/web-ui/<name>.png. */
export const screenshot = (page: Page, name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });

/** Two boxes overlap (for "the notice covers a button"). */
export function overlaps(a: { x: number; y: number; width: number; height: number }, b: { x: number; y: number; width: number; height: number }): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}
