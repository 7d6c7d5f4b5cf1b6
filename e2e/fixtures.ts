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

export const APP_COOLDOWN_MS = 5000;

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
      // On a machine shared by several test runs the server can take longer to start than the
      // harness's 30 s wait (test/processes.ts); a second try finds warm caches. (The process of a
      // timed-out try ends with this worker.)
      let server: TesseraServer | null = null;
      for (let attempt = 1; !server; attempt++) {
        try {
          server = await TesseraServer.start({ env: { COOLDOWN_MS: String(APP_COOLDOWN_MS) }, instanceId: "e2e-app" });
        } catch (e) {
          if (attempt >= 3 || !/timed out/.test(String(e))) throw e;
        }
      }
      await use(server);
      await server.dispose();
    },
    { scope: "worker", timeout: 120_000 },
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
