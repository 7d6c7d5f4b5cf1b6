// Playwright fixtures for the single-server user stories (cooldown, pixel info, keyboard, phone,
// navigation). They share one private production server per worker (e2e/server-process.ts): the
// same build and server as playwright.config.ts's webServer (1000×1000 board), but with per-IP
// limits that let one machine open as many sessions as the specs need — the default of 10 new
// sessions per IP per minute would make the suite's outcome depend on timing — and a cooldown long
// enough that a loaded 2-core machine can check everything that happens during one.
//
//   test("…", async ({ app, openUser }) => { const alice = await openUser("Alice"); … });

import fs from "node:fs";
import { test as base, type BrowserContext, type BrowserContextOptions, type Page } from "@playwright/test";
import { join } from "./helpers";
import { TesseraServer, type ServerOptions } from "./server-process";

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
      const server = await startServerPatiently({ env: { COOLDOWN_MS: String(APP_COOLDOWN_MS) }, instanceId: "e2e-app" });
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

/**
 * TesseraServer.start with one more try. On a machine shared by several test runs a server can take
 * longer to start than the harness waits (30 s, test/processes.ts); the process of the timed-out
 * try is this worker's own child, found by its instance id and ended (by pid) before the retry, so
 * it neither competes with the retry for the CPU nor outlives the test.
 */
export async function startServerPatiently(opts: ServerOptions & { instanceId: string }): Promise<TesseraServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await TesseraServer.start(opts);
    } catch (e) {
      endOwnServers(opts.instanceId);
      if (attempt >= 2 || !/timed out/.test(String(e))) throw e;
    }
  }
}

/** Kill this process's child servers started as `instanceId` and remove their data directories (Linux /proc). */
function endOwnServers(instanceId: string): void {
  let pids: string[] = [];
  try {
    pids = fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return;
  }
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid !== process.pid) continue;
      if (!fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("server/index.ts")) continue;
      const env = fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
      if (!env.includes(`INSTANCE_ID=${instanceId}`)) continue;
      process.kill(Number(pid), "SIGKILL");
      const dir = env.find((v) => v.startsWith("DATA_DIR="))?.slice("DATA_DIR=".length);
      if (dir && /tessera-e2e-own-/.test(dir)) fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // gone already, or not ours to read
    }
  }
}
