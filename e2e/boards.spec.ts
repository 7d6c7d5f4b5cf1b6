// Boards in the page (SPEC §9, §11, §12; issue 11): /boards lists and creates boards, /b/{id} is a
// board with the same experience as /, an unknown board says so, and per-user events — a second
// tab counting down at once, a ban (close 4003), a frozen board — are shown for what they are.
// One private server with an admin token, so the spec can freeze boards and ban people.

import type { Page } from "@playwright/test";
import { PALETTE } from "../lib/palette";
import { expect, startServerPatiently, test } from "./fixtures";
import { clickPixel, drawnColor, join, zoomOf, type TesseraDebug } from "./helpers";
import { apiSession, type TesseraServer } from "./server-process";

const ADMIN_TOKEN = "e2e-admin-token-0123456789abcdef-0123";
let server: TesseraServer;

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  server = await startServerPatiently({ env: { COOLDOWN_MS: "3000", ADMIN_TOKEN, CANVAS_WIDTH: "200", CANVAS_HEIGHT: "150" }, instanceId: "e2e-boards" });
  // The board the later stories play on (the first story makes its own in the page).
  const owner = await apiSession(server.url, "Owner");
  const res = await fetch(`${server.url}/api/boards`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie: owner.cookie },
    body: JSON.stringify({ title: "Club Two", width: 40, height: 30, cooldownMs: 3000, id: "club-two" }),
  });
  expect(res.status).toBe(201);
});

test.afterAll(async () => {
  await server?.dispose();
});

async function admin(path: string, body: object): Promise<number> {
  const res = await fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}` },
    body: JSON.stringify(body),
  });
  return res.status;
}

async function newPage(browser: import("@playwright/test").Browser): Promise<Page> {
  const context = await browser.newContext({ baseURL: server.url, viewport: { width: 1280, height: 800 } });
  return context.newPage();
}

const myId = (page: Page) => page.evaluate(() => (window as unknown as { __tessera: { state: { user: { id: string } } } }).__tessera.state.user.id);

test("create a board in the page: checked as you type, the server's refusals explained, and it opens", async ({ browser }) => {
  const page = await newPage(browser);
  await page.goto("/boards");
  const form = page.getByTestId("create-board");
  await expect(form).toBeVisible();

  // Without a session the form asks for a name too.
  await page.getByTestId("create-name").fill("Maker");
  // Each field says what is wrong as it is typed, with the server's limits.
  await page.getByTestId("create-title").fill("x".repeat(61));
  await expect(page.getByTestId("create-title-error")).toContainText("60");
  await page.getByTestId("create-title").fill("Pixel Club");
  await expect(page.getByTestId("create-title-error")).toHaveCount(0);
  await page.getByTestId("create-width").fill("2000");
  await expect(page.getByTestId("create-width-error")).toContainText("1 to 1024");
  await page.getByTestId("create-width").fill("40");
  await page.getByTestId("create-height").fill("30");
  await page.getByTestId("create-cooldown").fill("-1");
  await expect(page.getByTestId("create-cooldown-error")).toContainText("0 to 3600");
  await page.getByTestId("create-cooldown").fill("1");
  await page.getByTestId("create-id").fill("Pixel_Club");
  await expect(page.getByTestId("create-id-error")).toBeVisible();
  await page.getByTestId("create-id").fill("pixel-club");
  await expect(page.getByTestId("create-id-error")).toHaveCount(0);
  await page.getByTestId("create-submit").click();

  // The new board opens at its own address, titled, live, with the size asked for.
  await expect(page).toHaveURL(/\/b\/pixel-club$/);
  await expect(page.getByTestId("connection-status")).toHaveAttribute("data-state", "live");
  await expect(page).toHaveTitle("Pixel Club · Tessera");
  await expect(page.getByTestId("board-title")).toHaveText("Pixel Club");
  await expect(page.getByTestId("board")).toHaveAttribute("width", "40");
  await expect(page.getByTestId("board")).toHaveAttribute("height", "30");

  // The same address again: the server's 409 is explained on the field it is about.
  const again = await page.context().newPage();
  await again.goto("/boards");
  await again.getByTestId("create-title").fill("Another club");
  await again.getByTestId("create-id").fill("pixel-club");
  await again.getByTestId("create-submit").click();
  await expect(again.getByTestId("create-id-error")).toContainText("taken");
  await expect(again).toHaveURL(/\/boards$/);

  // The list shows the board with its live count and a thumbnail of it.
  const item = again.getByTestId("board-list").locator("li", { hasText: "Pixel Club" });
  await expect(item.getByTestId("board-count")).toHaveText("1 person here");
  const img = item.locator("img");
  await expect(img).toHaveAttribute("src", "/api/boards/pixel-club/canvas.png");
  await expect(img).toHaveAttribute("loading", "lazy");
  expect(await img.evaluate((el) => getComputedStyle(el).imageRendering)).toBe("pixelated");
  await expect(item.locator("a")).toHaveAttribute("href", "/b/pixel-club");
  await page.context().close();
});

test("an unknown board says so and links to the boards", async ({ browser }) => {
  const page = await newPage(browser);
  for (const id of ["no-such-board", "Not_A_Valid_Id"]) {
    await page.goto(`/b/${id}`);
    await expect(page.getByTestId("no-board")).toContainText(id);
    await expect(page).toHaveTitle("No such board · Tessera");
    expect(await page.evaluate(() => (window as unknown as { __tessera?: unknown }).__tessera)).toBeUndefined();
  }
  await page.getByTestId("no-board-boards").click();
  await expect(page).toHaveURL(/\/boards$/);
  await page.context().close();
});

test("a board is its own world: pixels, deep links, the address, the switcher and its stats link", async ({ browser }) => {
  const page = await newPage(browser);
  await join(page, "Alice", "/b/club-two?x=5&y=6&zoom=12");
  expect(await zoomOf(page)).toBeCloseTo(12, 0);
  await expect(page).toHaveURL(/\/b\/club-two\?/);
  expect(await page.evaluate(() => (window as unknown as { __tessera: { boardId: string } }).__tessera.boardId)).toBe("club-two");

  await page.getByTestId("color-13").click();
  await clickPixel(page, 5, 6);
  await expect.poll(() => drawnColor(page, 5, 6)).toBe(PALETTE[13]);
  await expect.poll(async () => (await (await fetch(`${server.url}/api/boards/club-two/pixel?x=5&y=6`)).json()).user?.name ?? null).toBe("Alice");
  // Board main is untouched there.
  expect((await fetch(`${server.url}/api/pixel?x=5&y=6`)).status).toBe(404);

  // The address follows the view, on this board's path: a share link opens the same board and view.
  await expect.poll(() => new URL(page.url()).searchParams.get("zoom")).not.toBeNull();
  const link = page.url();
  expect(new URL(link).pathname).toBe("/b/club-two");
  const other = await newPage(browser);
  await other.goto(link);
  await other.getByTestId("just-watch").click();
  await expect(other.getByTestId("board")).toHaveAttribute("width", "40");
  expect(Math.abs((await zoomOf(other)) - (await zoomOf(page)))).toBeLessThan(0.5);
  await expect.poll(() => drawnColor(other, 5, 6)).toBe(PALETTE[13]);
  // PNG download of this board.
  await expect(page.getByTestId("download-png")).toHaveAttribute("href", "/api/boards/club-two/canvas.png");

  // The board's menu: its stats page, recent boards, all boards.
  await page.goto("/");
  await expect(page.getByTestId("connection-status")).toHaveAttribute("data-state", "live");
  await expect(page.getByTestId("board-title")).toHaveText("Main board");
  await page.getByTestId("board-switcher").click();
  await expect(page.getByTestId("board-stats-link")).toHaveAttribute("href", "/stats");
  await expect(page.getByTestId("recent-board-club-two")).toHaveAttribute("href", "/b/club-two");
  await page.getByTestId("recent-board-club-two").click();
  await expect(page).toHaveURL(/\/b\/club-two/);
  await expect(page.getByTestId("connection-status")).toHaveAttribute("data-state", "live");
  await page.getByTestId("board-switcher").click();
  await expect(page.getByTestId("board-stats-link")).toHaveAttribute("href", "/b/club-two/stats");
  await expect(page.getByTestId("all-boards-link")).toHaveAttribute("href", "/boards");
  await page.context().close();
  await other.context().close();
});

test("a watcher of a board keeps up by asking for the placements after its seq", async ({ browser }) => {
  const page = await newPage(browser);
  const polls: string[] = [];
  page.on("request", (r) => {
    const u = new URL(r.url());
    if (u.pathname.endsWith("/placements")) polls.push(`${u.pathname}?${u.searchParams}`);
  });
  await page.goto("/b/club-two?x=20&y=15&zoom=10");
  await page.getByTestId("just-watch").click();
  await expect(page.getByTestId("connection-status")).toHaveAttribute("data-mode", "watch");
  const painter = await apiSession(server.url, "Painter");
  const put = await fetch(`${server.url}/api/boards/club-two/pixel`, {
    method: "PUT",
    headers: { "content-type": "application/json", cookie: painter.cookie },
    body: JSON.stringify({ x: 20, y: 15, color: 21 }),
  });
  expect(put.status).toBe(200);
  await expect.poll(() => drawnColor(page, 20, 15), { timeout: 15_000 }).toBe(PALETTE[21]);
  expect(polls.length).toBeGreaterThan(0);
  expect(polls.every((p) => p.startsWith("/api/boards/club-two/placements?after="))).toBe(true);
  await page.context().close();
});

test("a second tab of mine counts down the moment the first places; a ban ends placing for good", async ({ browser }) => {
  const tab1 = await newPage(browser);
  await join(tab1, "Two Tabs", "/b/club-two?x=10&y=10&zoom=12");
  const tab2 = await tab1.context().newPage();
  const sockets: string[] = [];
  tab2.on("websocket", (ws) => sockets.push(ws.url()));
  await tab2.goto("/b/club-two?x=10&y=10&zoom=12");
  await expect(tab2.getByTestId("connection-status")).toHaveAttribute("data-state", "live");
  await expect(tab2.getByTestId("cooldown")).toHaveAttribute("data-state", "ready");

  await clickPixel(tab1, 10, 10);
  // SPEC §11: the other tab hears within a second; it counts down without having placed.
  await expect(tab2.getByTestId("cooldown")).toHaveAttribute("data-state", "cooling", { timeout: 2_000 });
  await expect(tab2).toHaveTitle(/^\(\d+s\) Club Two · Tessera$/);

  // A ban closes both tabs with 4003: they say so, stay on the board read-only, and never reconnect.
  expect(await admin("/api/boards/club-two/mod/ban", { userId: await myId(tab1), reason: "e2e" })).toBe(200);
  for (const tab of [tab1, tab2]) {
    await expect(tab.getByTestId("banned-banner")).toBeVisible({ timeout: 5_000 });
    await expect(tab.getByTestId("cooldown")).toHaveAttribute("data-state", "banned");
    await expect(tab.getByTestId("connection-status")).toHaveAttribute("data-mode", "watch");
  }
  const opened = sockets.length;
  await clickPixel(tab2, 12, 10);
  await expect(tab2.getByTestId("banned-banner")).toBeVisible();
  // The board still follows others' pixels.
  const painter = await apiSession(server.url, "Still Painting");
  await fetch(`${server.url}/api/boards/club-two/pixel`, {
    method: "PUT",
    headers: { "content-type": "application/json", cookie: painter.cookie },
    body: JSON.stringify({ x: 11, y: 10, color: 9 }),
  });
  await expect.poll(() => drawnColor(tab2, 11, 10), { timeout: 15_000 }).toBe(PALETTE[9]);
  expect(sockets.length).toBe(opened);
  expect((await (await fetch(`${server.url}/api/boards/club-two/pixel?x=12&y=10&optional=1`)).json()).seq).toBeNull();
  await tab1.context().close();
});

test("a frozen board: placing disabled with the reason, whether frozen before or while you are there", async ({ browser }) => {
  const page = await newPage(browser);
  await join(page, "Cold Hands", "/b/club-two?x=30&y=20&zoom=12");
  expect(await admin("/api/boards/club-two/mod/freeze", { frozen: true })).toBe(200);
  // Frozen while here: the next placement is refused with `frozen`, and the page says why.
  await clickPixel(page, 30, 20);
  await expect(page.getByTestId("frozen-banner")).toBeVisible();
  await expect(page.getByTestId("cooldown")).toHaveAttribute("data-state", "frozen");
  expect((await (await fetch(`${server.url}/api/boards/club-two/pixel?x=30&y=20&optional=1`)).json()).seq).toBeNull();

  // Frozen before: the welcome's board says so from the start.
  const late = await newPage(browser);
  await join(late, "Late Comer", "/b/club-two?x=30&y=20&zoom=12");
  await expect(late.getByTestId("frozen-banner")).toBeVisible();
  await expect(late.getByTestId("cooldown")).toHaveAttribute("data-state", "frozen");
  expect(await admin("/api/boards/club-two/mod/freeze", { frozen: false })).toBe(200);
  await page.context().close();
  await late.context().close();
});

test("a server of another protocol: the page reloads once, then says it is out of date", async ({ browser }) => {
  const page = await newPage(browser);
  await join(page, "Old Page", "/b/club-two");
  const loads: string[] = [];
  page.on("load", () => loads.push(page.url()));
  // Every later welcome claims protocol 3 (as a server updated under an open page would).
  await page.routeWebSocket(/\/ws/, (ws) => {
    const upstream = ws.connectToServer();
    upstream.onMessage((m) => {
      if (typeof m === "string" && m.includes('"type":"welcome"')) ws.send(m.replace('"protocol":2', '"protocol":3'));
      else ws.send(m);
    });
  });
  await page.evaluate(() => (window as unknown as TesseraDebug).__tessera.dropConnection());
  await expect.poll(() => loads.length, { message: "the first mismatch reloads the page" }).toBe(1);
  await expect(page.getByTestId("protocol-banner")).toBeVisible();
  await expect(page.getByTestId("protocol-banner")).toContainText("protocol 3");
  expect(loads.length).toBe(1);
  await page.context().close();
});
