import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserContext, chromium, Page } from 'playwright-core';
import { loginNative, registerNative, uniqueUsername } from '../utils/auth-helpers.js';
import { startTestApp, TestApp } from '../utils/test-app.js';

/** Debian's Chromium (`apt-get install chromium`); Playwright never downloads a browser here. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-quic',
  '--no-first-run',
  '--disable-sync',
];

const ME = '#operations-auth-AuthController_me';

describe('Swagger UI in a real browser', () => {
  let t: TestApp;
  let profile: string;
  let context: BrowserContext;
  let page: Page;
  let username: string;
  let accessToken: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    t = await startTestApp();
    username = uniqueUsername('swagger');
    await registerNative(t.http, username);
    accessToken = (await loginNative(t.http, username)).access_token;
    profile = mkdtempSync(join(tmpdir(), 'chatbot-chromium-')); // a fresh --user-data-dir
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      // CSP violations and failed loads are console errors; Swagger UI's own deprecation notices (tag
      // names with spaces in deep links) are not problems of this app.
      if (message.type() === 'error' && !message.text().startsWith('Deprecated:'))
        pageErrors.push(message.text());
    });
  });

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await t?.close();
  });

  /** Runs a step; on failure saves a screenshot to a temp path and names it in the error. */
  async function step(name: string, body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (error) {
      const dir = mkdtempSync(join(tmpdir(), 'swagger-browser-failure-'));
      const shot = join(dir, 'screenshot.png');
      await page.screenshot({ path: shot, fullPage: true }).catch(() => undefined);
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(
        `${name} failed (screenshot: ${shot}; page errors: ${JSON.stringify(pageErrors)}):\n${message}`,
        { cause: error },
      );
    }
  }

  /** Expands GET /api/v1/auth/me, clicks "Try it out" (when needed) and "Execute"; returns status and body. */
  async function executeMe(): Promise<{ status: string; body: string }> {
    const operation = page.locator(ME);
    if (!(await operation.locator('.opblock-body').isVisible())) {
      await operation.locator('.opblock-summary-control').click();
    }
    const tryOut = operation.locator('button.try-out__btn'); // "Try it out", or "Cancel" once on
    await tryOut.waitFor();
    if ((await tryOut.innerText()).trim() === 'Try it out') await tryOut.click();
    await operation.locator('button.execute').click();
    const live = operation.locator('.live-responses-table .response').first();
    await live.waitFor();
    const status = (await live.locator('.response-col_status').innerText()).trim();
    const body = await live.locator('.response-col_description pre').first().innerText();
    return { status, body };
  }

  it('authorizes with a bearer token, runs GET /api/v1/auth/me, and keeps the authorization after a reload', async () => {
    await step('opening /docs', async () => {
      const response = await page.goto(`${t.baseUrl}/docs`);
      expect(response?.status()).toBe(200);
      await page.locator(ME).waitFor();
    });

    await step('authorizing', async () => {
      await page.locator('.scheme-container button.authorize').click();
      const bearer = page
        .locator('.modal-ux .auth-container')
        .filter({ has: page.locator('h4 code', { hasText: /^bearer$/ }) });
      await bearer.locator('#auth-bearer-value').fill(accessToken);
      await bearer.getByRole('button', { name: 'Apply credentials' }).click();
      // Authorized: the value is masked and the button turns into "Logout".
      await bearer.getByRole('button', { name: 'Remove authorization' }).waitFor();
      await bearer.locator('button.btn-done').click();
      await page.locator('.modal-ux').waitFor({ state: 'detached' });
      await expect(page.locator('.scheme-container button.authorize').getAttribute('class')).resolves.toMatch(
        /\blocked\b/,
      );
    });

    await step('executing GET /api/v1/auth/me', async () => {
      const { status, body } = await executeMe();
      expect(status).toBe('200');
      expect(JSON.parse(body)).toMatchObject({ username, role: 'user' });
    });

    await step('reloading', async () => {
      await page.reload();
      await page.locator(ME).waitFor();
      // persistAuthorization: the UI still shows the bearer scheme as authorized, and uses it.
      await expect(page.locator('.scheme-container button.authorize').getAttribute('class')).resolves.toMatch(
        /\blocked\b/,
      );
      // Swagger UI keeps it in localStorage under `authorized` (the test's tsconfig has no DOM types).
      const stored = await page.evaluate(() =>
        (
          globalThis as unknown as { localStorage: { getItem(key: string): string | null } }
        ).localStorage.getItem('authorized'),
      );
      expect(stored).toContain(accessToken);
      const { status, body } = await executeMe();
      expect(status).toBe('200');
      expect(JSON.parse(body)).toMatchObject({ username });
    });

    expect(pageErrors).toEqual([]);
  });
});
