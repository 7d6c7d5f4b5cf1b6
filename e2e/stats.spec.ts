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
  // The chart counts people's placements, not moderation's (rollbacks and wipes of other specs).
  const all = await fetch(`${app.url}/api/placements?after=0&limit=100000`, { headers: { accept: "application/json" } });
  const totalNow = ((await all.json()) as { placements: Array<{ userId: string }> }).placements.filter((p) => p.userId !== "moderation").length;

  await expect(page.getByTestId("stats-link")).toHaveAttribute("href", "/stats");
  await page.getByTestId("stats-link").click();
  await expect(page).toHaveURL(/\/stats$/);
  const stats = page.getByTestId("stats-page");
  await expect(stats).toHaveAttribute("data-state", "ready");

  // The server may hold other spec files' placers too (one server per worker): look at ours.
  for (const id of ["top-all-time", "top-24h"]) {
    const rows = page.getByTestId(id).locator("li");
    const row = (name: string) => rows.filter({ hasText: name });
    await expect(row("Most Active").getByTestId("placer-count")).toHaveText("7");
    await expect(row("Somewhat Active").getByTestId("placer-count")).toHaveText("4");
    await expect(row("Stats Reader").getByTestId("placer-count")).toHaveText("1");
    await expect(row("Stats Reader")).toContainText("(you)");
    const order = await rows.evaluateAll((lis) => lis.map((li) => li.getAttribute("data-user")));
    const at = (u: { id: string }) => order.indexOf(u.id);
    expect(at(most)).toBeGreaterThanOrEqual(0);
    expect(at(most)).toBeLessThan(at(some));
    const counts = await rows.getByTestId("placer-count").allTextContents();
    const numbers = counts.map((c) => Number(c.replace(/,/g, "")));
    expect(numbers).toEqual([...numbers].sort((a, b) => b - a));
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
