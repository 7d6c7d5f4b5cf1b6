// People at crowd scale (SPEC §10, issue 9): 250 people on one board (sessions and sockets made
// from the test process) and one browser. The page shows the total, the first 100 from
// `user_list`, and pages the rest in from GET …/users as the list is scrolled — each person once,
// "you" first and found by id, every name with its tag.

import { expect, test, type Page } from "@playwright/test";
import { nameTag } from "../lib/names";
import { closeBots, openBots, type Bot } from "./bots";
import { startServerPatiently } from "./fixtures";
import { join } from "./helpers";
import { apiSession, type TesseraServer } from "./server-process";

const CROWD = 250;
const BOARD = "crowd";

let server: TesseraServer;
let bots: Bot[] = [];

test.beforeAll(async () => {
  test.setTimeout(180_000);
  server = await startServerPatiently({ env: { CANVAS_WIDTH: "64", CANVAS_HEIGHT: "48" }, instanceId: "e2e-crowd" });
  const maker = await apiSession(server.url, "Maker");
  const res = await fetch(`${server.url}/api/boards`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie: maker.cookie },
    body: JSON.stringify({ title: "Crowd", width: 64, height: 48, id: BOARD }),
  });
  expect(res.status).toBe(201);
  bots = await openBots(server.url, BOARD, CROWD, "Crowd");
});

test.afterAll(async () => {
  closeBots(bots);
  await server?.dispose();
});

/** The rows the list has in the DOM now: user id, name, tag, and whether it is marked "you". */
async function visibleRows(page: Page): Promise<Array<{ id: string; name: string; tag: string; me: boolean }>> {
  return page.getByTestId("user-list").locator("li").evaluateAll((lis) =>
    lis.map((li) => ({
      id: li.getAttribute("data-user-id") ?? "",
      name: li.querySelector(".user-name")?.textContent ?? "",
      tag: li.querySelector(".name-tag")?.textContent ?? "",
      me: li.classList.contains("is-me"),
    })),
  );
}

test("250 people: the count, the first 100, and scrolling pages in the rest without duplicates", async ({ browser }) => {
  test.setTimeout(120_000);
  const context = await browser.newContext({ baseURL: server.url, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await join(page, "Zelda Viewer", `/b/${BOARD}`);
  const me = await page.evaluate(() => (window as unknown as { __tessera: { state: { user: { id: string } } } }).__tessera.state.user.id);

  // Everyone counts: the crowd and you.
  await expect(page.getByTestId("online-count")).toHaveText(String(CROWD + 1));
  await expect(page.getByTestId("people-total")).toHaveText(String(CROWD + 1));

  // The live window is the first 100 by name; you ("Zelda…", last by name) are pinned first, by id.
  await expect
    .poll(() => page.evaluate(() => (window as unknown as { __tessera: { state: { users: unknown[] } } }).__tessera.state.users.length))
    .toBe(100);
  const first = await visibleRows(page);
  expect(first[0]).toMatchObject({ id: me, name: "Zelda Viewer", me: true });
  expect(first.filter((r) => r.me)).toHaveLength(1);
  expect(first[1].name).toBe("Crowd 000");
  // Only the rows in view (and a few more) are in the DOM, not all 251.
  expect(first.length).toBeLessThan(60);
  for (const r of first) expect(r.tag).toBe(`#${nameTag(r.id)}`);

  // Scroll to the end, step by step, collecting every row seen.
  const seen = new Map<string, string>();
  const scroller = page.getByTestId("people-scroll");
  for (let step = 0; step < 200; step++) {
    for (const r of await visibleRows(page)) {
      const before = seen.get(r.id);
      if (before !== undefined) expect(before).toBe(r.name);
      seen.set(r.id, r.name);
    }
    if (seen.size >= CROWD + 1) break;
    const lastBefore = (await visibleRows(page)).at(-1)?.id;
    await scroller.evaluate((el) => el.scrollBy(0, el.clientHeight * 0.8));
    // The next rows are drawn — or, at the end of what is loaded, paged in — before the next look.
    await expect.poll(async () => (await visibleRows(page)).at(-1)?.id, { message: "scrolling shows further people" }).not.toBe(lastBefore);
  }
  expect(seen.size).toBe(CROWD + 1);
  const names = [...seen.values()].filter((n) => n.startsWith("Crowd"));
  expect(new Set(names).size).toBe(CROWD);
  expect(names.sort()).toEqual(bots.map((b) => b.user.name).sort());
  // In the list's order: by name, paged across the 100th person without a gap or a repeat.
  const order = [...seen.entries()].filter(([id]) => id !== me).map(([, n]) => n);
  expect(order).toEqual([...order].sort());
  await context.close();
});
