// Fixtures for the specs of the board's extra tools (moderation*, timelapse*, stats*): one private
// production server per spec file with the admin API on (ADMIN_TOKEN) and no cooldown, so a test
// can write a history quickly over HTTP; helpers to make a user a moderator, to place as someone
// over HTTP, to read what a canvas shows as palette indices, and axe's serious violations.

import AxeBuilder from "@axe-core/playwright";
import { test as base, type BrowserContext, type Page } from "@playwright/test";
import { PALETTE } from "../lib/palette";
import { join } from "./helpers";
import { startServerPatiently } from "./fixtures";
import { apiSession, putPixel, type TesseraServer } from "./server-process";

export { expect } from "@playwright/test";

/** ADMIN_TOKEN of these servers (SPEC §12: at least 32 characters). */
const ADMIN_TOKEN = "e2e-extras-admin-token-0123456789abcdef";

interface Fixtures {
  /** A new browser context (own cookie jar = own user) that joined under `name` and is live. */
  openUser: (name: string, path?: string) => Promise<Page>;
}

export const test = base.extend<Fixtures, { app: TesseraServer }>({
  app: [
    async ({}, use, workerInfo) => {
      const server = await startServerPatiently({
        env: { ADMIN_TOKEN, COOLDOWN_MS: "0", CANVAS_WIDTH: "200", CANVAS_HEIGHT: "150" },
        instanceId: `e2e-extras-${workerInfo.workerIndex}-${process.pid}`,
      });
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
    await use(async (name, path = "/") => {
      const context = await browser.newContext({ baseURL: app.url, viewport: { width: 1280, height: 800 } });
      contexts.push(context);
      const page = await context.newPage();
      await join(page, name, path);
      return page;
    });
    await Promise.all(contexts.map((c) => c.close()));
  },
});

/** A user made over HTTP who places pixels from the test process. */
export interface ApiUser {
  id: string;
  name: string;
  place(x: number, y: number, color: number): Promise<number>;
}

export async function apiUser(app: TesseraServer, name: string): Promise<ApiUser> {
  const s = await apiSession(app.url, name);
  return {
    ...s.user,
    async place(x, y, color) {
      const r = await putPixel(app.url, s.cookie, x, y, color);
      if (r.status !== 200 || typeof r.body.seq !== "number") throw new Error(`${name} could not place at (${x}, ${y}): ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.seq;
    },
  };
}

/** The admin API (SPEC §12) makes `userId` a moderator. */
export async function grantModerator(app: TesseraServer, userId: string): Promise<void> {
  const res = await fetch(`${app.url}/api/admin/moderators`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ userId }),
  });
  if (res.status !== 200) throw new Error(`granting moderation to ${userId}: ${res.status} ${await res.text()}`);
}

/** The signed-in user of a page. */
export async function sessionUser(page: Page): Promise<{ id: string; name: string }> {
  return page.evaluate(async () => ((await (await fetch("/api/session")).json()) as { user: { id: string; name: string } }).user);
}

/** The board after seq N as the server has it (GET /api/canvas?seq=N). */
export async function boardAt(app: TesseraServer, seq: number): Promise<Uint8Array> {
  const res = await fetch(`${app.url}/api/canvas?seq=${seq}`);
  if (res.status !== 200) throw new Error(`GET /api/canvas?seq=${seq}: ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * What a canvas element shows, as palette indices (−1 for a colour off the palette), read in the
 * page in one task together with `seqAttr` of `seqSelector` (so the frame and its seq belong together).
 */
export async function canvasIndices(page: Page, canvasSelector: string, seqSelector?: string): Promise<{ seq: number | null; indices: number[] }> {
  return page.evaluate(
    ([sel, seqSel, palette]) => {
      const c = document.querySelector<HTMLCanvasElement>(sel)!;
      const data = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
      const index = new Map(palette.map((hex, i) => [parseInt(hex.slice(1), 16), i]));
      const out: number[] = new Array(c.width * c.height);
      for (let i = 0; i < out.length; i++) out[i] = index.get((data[i * 4] << 16) | (data[i * 4 + 1] << 8) | data[i * 4 + 2]) ?? -1;
      const s = seqSel ? document.querySelector<HTMLElement>(seqSel)?.dataset.seq : undefined;
      return { seq: s === undefined ? null : Number(s), indices: out };
    },
    [canvasSelector, seqSelector ?? null, [...PALETTE]] as const,
  );
}

/** Board pixels where two images of the same board differ. */
export function differences(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.max(a.length, b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

/** axe's serious and critical violations on the page as it is now (rule id → offending elements). */
export async function seriousViolations(page: Page, what: string, include?: string): Promise<Array<{ id: string; nodes: string[] }>> {
  let builder = new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]);
  if (include) builder = builder.include(include);
  const result = await builder.analyze();
  const bad = result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({ id: v.id, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) }));
  test.info().annotations.push({ type: `axe: ${what}`, description: `${result.violations.length} violations (${bad.length} serious or critical), ${result.passes.length} rules passed` });
  return bad;
}
