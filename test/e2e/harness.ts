// Browser tests drive the real app: an engine and its bridge in this process, on a fresh
// data folder, and Debian's Chromium showing the built renderer through the bridge.
// Any console error or uncaught page error fails the test (close() throws).
//
//   const app = await launchApp();
//   const page = await app.open('#/datasets');
//   ...
//   await app.close(); // throws if any page logged an error
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { buildIfStale } from '../../scripts/build-if-stale.js';
import { startEngine, type Engine } from '../../src/main/engine';
import { repoRoot } from '../paths';

/** Where tests leave screenshots; CI keeps this folder as an artifact. */
export const ARTIFACTS_DIR = join(repoRoot, 'test-results');

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
  '--headless',
];

export interface AppHarness {
  engine: Engine;
  dataDir: string;
  /** The app's address including the bridge token, as `jaccard serve` prints it. */
  url: string;
  browser: BrowserContext;
  /** Console errors and uncaught exceptions from every page opened so far. */
  errors: string[];
  /** Opens the app (optionally at a hash route like '#/datasets/1') and waits for load. */
  open(route?: string): Promise<Page>;
  /** Throws listing the errors collected so far, if any. */
  assertNoErrors(): void;
  /** Saves a full-page PNG under test-results/ and returns its path. */
  screenshot(page: Page, name: string): Promise<string>;
  /** Closes browser and engine, removes the temp folders, then asserts no errors. */
  close(): Promise<void>;
}

export interface LaunchOptions {
  /** Use this data folder instead of a fresh temp one (kept on close). */
  dataDir?: string;
}

export async function launchApp(options: LaunchOptions = {}): Promise<AppHarness> {
  buildIfStale();
  const temp = mkdtempSync(join(tmpdir(), 'jaccard-e2e-'));
  const dataDir = options.dataDir ?? join(temp, 'data');
  // Anything that resolves the default data folder (CLI code, the training worker the
  // engine forks) must land in this test's folder, never the user's.
  const previousHome = process.env.JACCARD_HOME;
  process.env.JACCARD_HOME = dataDir;
  const errors: string[] = [];
  let engine: Engine | undefined;
  let browser: BrowserContext | undefined;
  const cleanup = async (): Promise<void> => {
    await browser?.close();
    await engine?.close();
    if (previousHome === undefined) delete process.env.JACCARD_HOME;
    else process.env.JACCARD_HOME = previousHome;
    rmSync(temp, { recursive: true, force: true });
  };

  try {
    engine = await startEngine({ dataDir });
    browser = await chromium.launchPersistentContext(join(temp, 'profile'), {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      headless: true,
      viewport: { width: 1280, height: 800 },
    });
  } catch (error) {
    await cleanup();
    throw error;
  }
  const started = { engine, browser };

  const assertNoErrors = (): void => {
    if (errors.length) throw new Error(`The app logged errors:\n${errors.join('\n')}`);
  };

  return {
    ...started,
    dataDir,
    url: engine.bridge.url,
    errors,

    async open(route = '') {
      const page = await started.browser.newPage();
      page.on('console', (message) => {
        if (message.type() !== 'error') return;
        const { url, lineNumber } = message.location();
        errors.push(`console.error: ${message.text()}${url ? ` (${url}:${lineNumber})` : ''}`);
      });
      page.on('pageerror', (error) => errors.push(`uncaught: ${error.stack ?? error.message}`));
      await page.goto(started.engine.bridge.url + route, { waitUntil: 'load' });
      return page;
    },

    assertNoErrors,

    async screenshot(page, name) {
      mkdirSync(ARTIFACTS_DIR, { recursive: true });
      const path = join(ARTIFACTS_DIR, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },

    async close() {
      await cleanup();
      assertNoErrors();
    },
  };
}
