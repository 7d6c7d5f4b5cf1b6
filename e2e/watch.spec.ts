// Look before you join (issue 14, SPEC §7): without a session the page shows the live board, read
// only, under the name form; "Just watch" closes the form and the board keeps up by polling
// GET /api/boards/{id}/placements?after={seq} — the placements since its board, a binary PIXELS
// body, empty while nothing happens (no socket: /ws needs a session). Trying to place asks for a
// name, and the pixel is placed once the new session is live.

import type { Page, Response } from "@playwright/test";
import { PALETTE } from "../lib/palette";
import { expect, test } from "./fixtures";
import { clickOnce, drawnColor, tapPixel, type TesseraDebug } from "./helpers";
import { apiSession, putPixel } from "./server-process";

const desktop = { viewport: { width: 1440, height: 900 } };
const phone = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 3,
  isMobile: true,
  hasTouch: true,
  userAgent: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36",
};

/** The page's polls of the board (whole board or placements since) and every WebSocket it opens. */
function watchTraffic(page: Page) {
  const canvas: Array<{ status: number; after: string | null; bytes: Promise<number> }> = [];
  const sockets: string[] = [];
  page.on("response", (r: Response) => {
    const u = new URL(r.url());
    if (u.pathname === "/api/boards/main/canvas" || u.pathname === "/api/boards/main/placements") {
      canvas.push({ status: r.status(), after: u.searchParams.get("after"), bytes: r.body().then((b) => b.length, () => -1) });
    }
  });
  page.on("websocket", (ws) => sockets.push(ws.url()));
  return { canvas, sockets };
}

test("desktop: watch without a name, see others' pixels arrive, then join at the first placement", async ({ browser, app }) => {
  const context = await browser.newContext({ baseURL: app.url, ...desktop });
  const page = await context.newPage();
  const traffic = watchTraffic(page);
  await page.goto("/?x=100&y=100&zoom=10");

  // The name form is over a live board, which is already drawn behind it.
  const form = page.getByTestId("name-form");
  await expect(form).toBeVisible();
  await expect(page.getByTestId("board")).toBeVisible();
  const status = page.getByTestId("connection-status");
  await expect(status).toHaveAttribute("data-mode", "watch");
  await expect(status).toHaveAttribute("data-state", "live");
  await page.screenshot({ path: test.info().outputPath("watch-name-form.png") });

  await page.getByTestId("just-watch").click();
  await expect(form).toHaveCount(0);
  await expect(page.getByTestId("join-button")).toBeVisible();

  // Someone else places: the watcher sees it within a few polls.
  const other = await apiSession(app.url, "Somebody Else");
  expect((await putPixel(app.url, other.cookie, 101, 100, 18)).status).toBe(200);
  await expect.poll(() => drawnColor(page, 101, 100), { timeout: 15_000 }).toBe(PALETTE[18]);
  // The polls ask for the placements after the board's seq; on a quiet board they come back empty.
  const seq = await page.evaluate(() => (window as unknown as TesseraDebug).__tessera.seq);
  await expect.poll(() => traffic.canvas.filter((c) => c.after === String(seq)).length, { timeout: 15_000 }).toBeGreaterThan(0);
  const quiet = traffic.canvas.filter((c) => c.after === String(seq));
  expect(quiet.every((c) => c.status === 200)).toBe(true);
  expect(Math.max(...(await Promise.all(quiet.map((c) => c.bytes))))).toBeLessThanOrEqual(1);
  expect(traffic.sockets).toEqual([]);
  expect(await page.evaluate(() => (window as unknown as TesseraDebug).__tessera.mode)).toBe("watch");

  // A click to place asks for a name first, saying why; nothing is placed yet.
  await page.getByTestId("color-27").click();
  await clickOnce(page, 102, 100);
  await expect(form).toBeVisible();
  await expect(form).toContainText("(102, 100)");
  expect((await fetch(`${app.url}/api/pixel?x=102&y=100`)).status).toBe(404);

  // Joining goes live on the same board and places the pixel that was asked for.
  await page.getByTestId("name-input").fill("Late Joiner");
  await page.getByTestId("name-input").press("Enter");
  await expect(form).toHaveCount(0);
  await expect(status).toHaveAttribute("data-mode", "play");
  await expect(status).toHaveAttribute("data-state", "live");
  await expect.poll(() => drawnColor(page, 102, 100)).toBe(PALETTE[27]);
  await expect.poll(async () => (await (await fetch(`${app.url}/api/pixel?x=102&y=100`)).json()).user?.name ?? null).toBe("Late Joiner");
  await expect(page.getByTestId("cooldown")).toHaveAttribute("data-state", "cooling");
  expect(traffic.sockets).toHaveLength(1);
  await context.close();
});

test("phone: the name form shows over the board; a tap to place asks for the name", async ({ browser, app }) => {
  const context = await browser.newContext({ baseURL: app.url, ...phone });
  const page = await context.newPage();
  await page.goto("/?x=40&y=40&zoom=12");
  const form = page.getByTestId("name-form");
  await expect(form).toBeVisible();
  // The form fits on the phone and leaves the board visible around it.
  const box = (await form.boundingBox())!;
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(390);
  await page.screenshot({ path: test.info().outputPath("phone-watch-name-form.png") });
  await page.getByTestId("just-watch").tap();
  await expect(form).toHaveCount(0);

  await page.getByTestId("color-6").tap();
  await tapPixel(page, 41, 40);
  await page.getByTestId("place-button").tap();
  await expect(form).toBeVisible();
  await expect(form).toContainText("(41, 40)");
  await page.getByTestId("name-input").fill("Thumb Joiner");
  await page.getByTestId("name-submit").tap();
  await expect.poll(() => drawnColor(page, 41, 40)).toBe(PALETTE[6]);
  await expect.poll(async () => (await (await fetch(`${app.url}/api/pixel?x=41&y=40`)).json()).user?.name ?? null).toBe("Thumb Joiner");
  await context.close();
});

test("a watcher's tab that is hidden stops polling and catches up when shown", async ({ browser, app }) => {
  const context = await browser.newContext({ baseURL: app.url, ...desktop });
  const page = await context.newPage();
  const traffic = watchTraffic(page);
  await page.goto("/?x=10&y=10&zoom=10");
  await page.getByTestId("just-watch").click();
  await expect.poll(() => traffic.canvas.length).toBeGreaterThan(1);

  // Hide the tab (as switching tabs does): the page stops asking.
  await page.evaluate(() => {
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
    document.dispatchEvent(new Event("visibilitychange"));
  });
  // Once a request already on its way is answered, nothing more is planned.
  await expect.poll(() => page.evaluate(() => (window as unknown as { __tessera: { watchPolling: boolean } }).__tessera.watchPolling)).toBe(false);
  const asked = traffic.canvas.length;
  const other = await apiSession(app.url, "While Hidden");
  expect((await putPixel(app.url, other.cookie, 11, 10, 4)).status).toBe(200);
  expect(await drawnColor(page, 11, 10)).not.toBe(PALETTE[4]);
  expect(traffic.canvas.length).toBe(asked);

  // Shown again: it asks at once and draws the pixel.
  await page.evaluate(() => {
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "visible" });
    document.dispatchEvent(new Event("visibilitychange"));
  });
  await expect.poll(() => drawnColor(page, 11, 10)).toBe(PALETTE[4]);
  await context.close();
});
