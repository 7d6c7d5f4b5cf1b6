// Playwright fixtures for the single-server user stories (cooldown, pixel info, keyboard, phone,
// navigation). They share one private production server per worker (e2e/server-process.ts): the
// same build and server as playwright.config.ts's webServer (1000×1000 board), but with per-IP
// limits that let one machine open as many sessions as the specs need — the default of 10 new
// sessions per IP per minute would make the suite's outcome depend on timing — and a cooldown long
// enough that a loaded 2-core machine can check everything that happens during one.
//
//   test("…", async ({ app, openUser }) => { const alice = await openUser("Alice"); … });

import { test as base, type BrowserContext, type BrowserContextOptions, type Page } from "@playwright/test";
import { join } from "./helpers";
import { TesseraServer } from "./server-process";

export { expect } from "@playwright/test";

export const APP_COOLDOWN_MS = 3000;

export interface OpenUserOptions {
  /** Path to open, e.g. a deep link "/?x=10&y=10&zoom=12". */
  path?: string;
  /** Extra context options (viewport, hasTouch, isMobile, …). */
  context?: BrowserContextOptions;
}

interface TestFixtures {
  /** A new browser context (own cookie jar = own user) that joined under `name` and is live. */
  openUser: (name: string, options?: OpenUserOptions) => Promise<Page>;
}

interface WorkerFixtures {
  app: TesseraServer;
}

export const test = base.extend<TestFixtures, WorkerFixtures>({
  app: [
    async ({}, use) => {
      const server = await TesseraServer.start({ env: { COOLDOWN_MS: String(APP_COOLDOWN_MS) }, instanceId: "e2e-app" });
      await use(server);
      await server.dispose();
    },
    { scope: "worker", timeout: 60_000 },
  ],
  baseURL: async ({ app }, use) => {
    await use(app.url);
  },
  openUser: async ({ browser, app }, use) => {
    const contexts: BrowserContext[] = [];
    await use(async (name, options = {}) => {
      const context = await browser.newContext({ baseURL: app.url, viewport: { width: 1280, height: 800 }, ...options.context });
      contexts.push(context);
      const page = await context.newPage();
      await join(page, name, options.path);
      return page;
    });
    await Promise.all(contexts.map((c) => c.close()));
  },
});
