// Outages said honestly (issue 14): when the server goes away the page says so — the badge, a
// banner saying placing is paused and why, a "retry now", the online count greyed as last known,
// the cooldown badge "Paused" — refuses to place with the reason, and once the server answers again
// it reconnects within a probe interval (not after a backoff grown to many seconds) and says
// "back online". The server is really stopped (SIGTERM) and started again on the same port.

import { expect, test, type Page } from "@playwright/test";
import { PALETTE } from "../lib/palette";
import { clickOnce, drawnColor, join, shownIndex, type TesseraDebug } from "./helpers";
import { startServerPatiently } from "./fixtures";
import type { TesseraServer } from "./server-process";

let server: TesseraServer;

test.describe.configure({ mode: "serial" });

/** Whether GET /api/health answers 200. */
async function healthy(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/api/health`)).status === 200;
  } catch {
    return false;
  }
}

/**
 * Start the stopped server again. On a loaded machine it can take longer than the harness's 30 s
 * wait (test/processes.ts); the process keeps starting, so wait for it a while longer.
 */
async function restart(): Promise<void> {
  try {
    await server.start();
  } catch (e) {
    if (!/timed out/.test(String(e))) throw e;
    await expect.poll(() => healthy(server.url), { timeout: 60_000, intervals: [100] }).toBe(true);
  }
}

test.beforeAll(async () => {
  test.setTimeout(180_000);
  server = await startServerPatiently({ env: { CANVAS_WIDTH: "160", CANVAS_HEIGHT: "120", COOLDOWN_MS: "0" }, instanceId: "e2e-outage" });
});

test.afterAll(async () => {
  await server?.dispose();
});

const debug = (page: Page) =>
  page.evaluate(() => {
    const t = (window as unknown as TesseraDebug & { __tessera: { state: { retryAt: number | null } } }).__tessera;
    return { probeReconnects: t.probeReconnects, retryInMs: t.state.retryAt === null ? null : t.state.retryAt - Date.now() };
  });

test("desktop: the page says what an outage means and is back within moments of the server", async ({ browser }) => {
  test.setTimeout(180_000);
  const context = await browser.newContext({ baseURL: server.url, viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  await join(page, "Steady", "/?x=80&y=60&zoom=6");
  const status = page.getByTestId("connection-status");
  const banner = page.getByTestId("outage-banner");
  await expect(banner).toHaveCount(0);
  await expect(page.getByTestId("online-count")).toHaveText("1");
  await expect(page.locator(".online-pill")).toHaveAttribute("data-stale", "false");

  await server.stop("SIGTERM");
  await expect(status).toHaveAttribute("data-state", "reconnecting");
  await expect(banner).toBeVisible();
  await expect(banner).toContainText(/not answering/i);
  await expect(banner).toContainText(/placing is paused/i);
  await expect(page.getByTestId("retry-now")).toBeVisible();
  await expect(page.locator(".online-pill")).toHaveAttribute("data-stale", "true");
  await expect(page.getByTestId("cooldown")).toHaveAttribute("data-state", "paused");
  await expect(page.getByTestId("cooldown")).toHaveText("Paused");
  await page.screenshot({ path: test.info().outputPath("outage-desktop.png") });

  // A click is refused with the reason; nothing is drawn as if placed.
  await page.getByTestId("color-12").click();
  await clickOnce(page, 20, 20);
  await expect(page.getByTestId("toast").filter({ hasText: /placing is paused|not connected|connection dropped/i })).toBeVisible();
  await expect.poll(() => shownIndex(page, 20, 20)).toBe(0);

  // A long outage: wait until the page's next reconnect attempt is seconds away, then start the
  // server. The page must be back within moments, brought back by its probe, not by the backoff.
  // Starting the server takes seconds too (more on a loaded machine); when the start took so long
  // that the backoff's attempt fell due meanwhile, the round proves nothing either way, so the
  // outage is repeated (a few times at most). A round whose start was quick must be the probe's.
  let probed = false;
  for (let round = 1; round <= 3 && !probed; round++) {
    if (round > 1) {
      await server.stop("SIGTERM");
      await expect(status).toHaveAttribute("data-state", "reconnecting");
    }
    await expect.poll(async () => (await debug(page)).retryInMs ?? 0, { timeout: 60_000, intervals: [250] }).toBeGreaterThan(3_000);
    const before = await debug(page);
    const restartAt = Date.now();
    await restart();
    const answeringAt = Date.now();
    await expect(status).toHaveAttribute("data-state", "live", { timeout: 30_000 });
    const reconnectMs = Date.now() - answeringAt;
    const startMs = answeringAt - restartAt;
    test.info().annotations.push({
      type: "reconnect after the server answered again",
      description: `${reconnectMs} ms (the server took ${startMs} ms to start; the backoff's next attempt was ${before.retryInMs} ms away)`,
    });
    console.log(`[outage] round ${round}: live ${reconnectMs} ms after the server answered (start took ${startMs} ms); backoff would have waited ${before.retryInMs} ms`);
    probed = (await debug(page)).probeReconnects > before.probeReconnects;
    if (!probed) expect(startMs + reconnectMs, "the backoff's attempt was not due yet, so the probe should have reconnected").toBeGreaterThanOrEqual((before.retryInMs ?? 0) - 250);
  }
  expect(probed, "the probe brought the page back in one of the rounds").toBe(true);
  await expect(page.getByTestId("toast").filter({ hasText: /back online/i })).toBeVisible();
  await expect(banner).toHaveCount(0);
  await expect(page.locator(".online-pill")).toHaveAttribute("data-stale", "false");
  await expect(page.getByTestId("cooldown")).toHaveAttribute("data-state", "ready");

  // And it places again.
  await clickOnce(page, 21, 20);
  await expect.poll(() => drawnColor(page, 21, 20)).toBe(PALETTE[12]);
  await context.close();
});

test("phone: the outage banner and the paused place button, then back online", async ({ browser }) => {
  test.setTimeout(180_000);
  const context = await browser.newContext({
    baseURL: server.url,
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
    deviceScaleFactor: 2,
  });
  const page = await context.newPage();
  await join(page, "Pocket", "/?x=40&y=40&zoom=12");
  await page.getByTestId("color-4").tap();
  const { x, y } = await (async () => {
    const b = (await page.getByTestId("board").boundingBox())!;
    return { x: b.x + 41.5 * 12, y: b.y + 40.5 * 12 };
  })();
  await page.touchscreen.tap(x, y);
  const place = page.getByTestId("place-button");
  await expect(place).toBeEnabled();

  await server.stop("SIGTERM");
  const banner = page.getByTestId("outage-banner");
  await expect(banner).toBeInViewport();
  await expect(place).toBeDisabled();
  await expect(place).toContainText(/placing paused/i);
  // The banner sits above the palette, not over it.
  const bb = (await banner.boundingBox())!;
  const pal = (await page.locator(".palette-bar").boundingBox())!;
  expect(bb.y + bb.height).toBeLessThanOrEqual(pal.y + 1);
  await page.screenshot({ path: test.info().outputPath("outage-phone.png") });

  await restart();
  await expect(page.getByTestId("connection-status")).toHaveAttribute("data-state", "live", { timeout: 30_000 });
  await expect(page.getByTestId("toast").filter({ hasText: /back online/i })).toBeVisible();
  await expect(place).toBeEnabled();
  await place.tap();
  await expect.poll(() => drawnColor(page, 41, 40)).toBe(PALETTE[4]);
  await context.close();
});
