// The stats page (issue 14): top placers all time and in the last 24 hours, your own count and
// rank, and placements per minute as an SVG chart — for `main` at /stats, linked from the board.

import { expect, apiUser, seriousViolations, test } from "./extras-fixtures";
import { clickPixel } from "./helpers";
import { apiSession } from "./server-process";

test("the stats page ranks the placers, counts yours, and charts the minutes", async ({ app, openUser }) => {
  const most = await apiUser(app, "Most Active");
  const some = await apiUser(app, "Somewhat Active");
  for (let i = 0; i < 7; i++) await most.place(150 + i, 5, 4);
  for (let i = 0; i < 4; i++) await some.place(150 + i, 6, 5);

  const page = await openUser("Stats Reader", "/?x=160&y=10&zoom=8");
  await clickPixel(page, 160, 10);
  await expect.poll(async () => (await (await fetch(`${app.url}/api/pixel?x=160&y=10`)).json()).user?.name).toBe("Stats Reader");
  const totalNow = ((await (await fetch(`${app.url}/api/canvas/info`)).json()) as { seq: number }).seq;

  await expect(page.getByTestId("stats-link")).toHaveAttribute("href", "/stats");
  await page.getByTestId("stats-link").click();
  await expect(page).toHaveURL(/\/stats$/);
  const stats = page.getByTestId("stats-page");
  await expect(stats).toHaveAttribute("data-state", "ready");

  for (const id of ["top-all-time", "top-24h"]) {
    const rows = page.getByTestId(id).locator("li");
    await expect(rows.nth(0)).toContainText("Most Active");
    await expect(rows.nth(0).getByTestId("placer-count")).toHaveText("7");
    await expect(rows.nth(1)).toContainText("Somewhat Active");
    await expect(rows.nth(1).getByTestId("placer-count")).toHaveText("4");
    await expect(rows.filter({ hasText: "Stats Reader" })).toContainText("(you)");
  }
  await expect(page.getByTestId("stats-you-count")).toHaveText("1");

  // Every placement of this server happened in the last minutes: the chart holds them all.
  const chart = page.getByTestId("activity-chart");
  await expect(chart).toHaveAttribute("data-total", String(totalNow));
  await expect(page.getByTestId("activity-bars")).toHaveAttribute("d", /^M[\d.]+ 160h/);
  await expect(chart.locator("desc")).toContainText(`${totalNow} placements in the last 6 hours`);
  expect(await seriousViolations(page, "stats page")).toEqual([]);

  // Back to the board.
  await page.getByRole("link", { name: /back to the board/i }).click();
  await expect(page.getByTestId("board")).toBeVisible();
});

test("a visitor without a session sees the rankings and is invited to join", async ({ app, browser }) => {
  const someone = await apiUser(app, "Early Bird");
  await someone.place(199, 149, 7);
  const context = await browser.newContext({ baseURL: app.url });
  const page = await context.newPage();
  await page.goto("/stats");
  await expect(page.getByTestId("stats-page")).toHaveAttribute("data-state", "ready");
  // The server shares one answer per board for 30 s, so whose names are listed depends on the order
  // the tests ran in; that someone is, does not.
  await expect(page.getByTestId("top-all-time").locator("li").first()).toBeVisible();
  await expect(page.getByTestId("stats-you")).toContainText("Join the board");
  await expect(page.getByTestId("stats-you-count")).toHaveCount(0);
  await context.close();
});

test("a board's stats page lives at /b/{id}/stats", async ({ app, browser }) => {
  // Dynamic pages need the server's per-request CSP nonce (the lead's change, see the uxb report):
  // until the server sends one, Next's inline payload of a dynamic page is refused by the CSP.
  const csp = (await fetch(`${app.url}/b/main/stats`)).headers.get("content-security-policy") ?? "";
  test.skip(!/'nonce-/.test(csp), "the server sends no CSP nonce for dynamic pages yet");
  const owner = await apiSession(app.url, "Board Owner");
  const made = await fetch(`${app.url}/api/boards`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie: owner.cookie },
    body: JSON.stringify({ id: "side", title: "Side Board", width: 32, height: 32 }),
  });
  expect(made.status).toBe(201);
  const placed = await fetch(`${app.url}/api/boards/side/pixel`, {
    method: "PUT",
    headers: { "content-type": "application/json", cookie: owner.cookie },
    body: JSON.stringify({ x: 1, y: 1, color: 3 }),
  });
  expect(placed.status).toBe(200);

  const context = await browser.newContext({ baseURL: app.url });
  const page = await context.newPage();
  await page.goto("/b/side/stats");
  await expect(page.getByTestId("stats-page")).toHaveAttribute("data-state", "ready");
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Side Board");
  await expect(page.getByTestId("top-all-time")).toContainText("Board Owner");
  await expect(page.getByTestId("top-all-time").locator("li")).toHaveCount(1);
  await expect(page.getByRole("link", { name: /back to the board/i })).toHaveAttribute("href", "/b/side");
  await context.close();
});
