// The renderer in Chromium through the bridge: the token moves from the address bar to
// the tab's session storage, calls go through with it, and the page obeys the CSP.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchApp, type AppHarness } from './harness';

let app: AppHarness;

beforeAll(async () => {
  app = await launchApp();
});

afterAll(async () => {
  await app?.close();
});

it('takes the token out of the address bar and keeps calling with it', async () => {
  const page = await app.open('#/datasets');
  const url = new URL(page.url());
  expect(url.searchParams.has('token')).toBe(false);
  expect(url.hash).toBe('#/datasets');
  expect(await page.evaluate("sessionStorage.getItem('jaccard.token')")).toBe(
    app.engine.bridge.token,
  );
  // After a reload the token comes from session storage alone.
  const answered = page.waitForResponse((r) => r.url().includes('/api/') && r.ok());
  await page.reload();
  expect((await answered).request().headers().authorization).toBe(
    `Bearer ${app.engine.bridge.token}`,
  );
});

it('blocks what the CSP forbids: inline scripts and other origins', async () => {
  const page = await app.open();
  // Page-side code as text: this file is type-checked for Node, without the DOM.
  const blocked = await page.evaluate(`(async () => {
    const script = document.createElement('script');
    script.textContent = 'window.inlineRan = true';
    document.body.append(script);
    const fetched = await fetch('http://example.invalid/').then(() => 'fetched', () => 'blocked');
    return { inline: window.inlineRan ?? false, fetched };
  })()`);
  expect(blocked).toEqual({ inline: false, fetched: 'blocked' });
  // The browser reports both violations as console errors; they are this test's own.
  app.errors.splice(0);
});

it('refuses a page without the token', async () => {
  const page = await app.open();
  const status = await page.evaluate(
    "fetch('/api/system.info', { method: 'POST', body: '{}' }).then((r) => r.status)",
  );
  expect(status).toBe(401);
  app.errors.splice(0);
});
