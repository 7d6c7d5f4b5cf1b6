// People: the online count and the user list follow browser contexts joining and leaving, your own
// name is marked, and "change name" (sign in again under a new name) updates everyone's list.
// Runs on its own server so that nobody else's tabs are counted.

import { expect, test, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { nameTag } from "../lib/names";
import { join } from "./helpers";
import { startServerPatiently } from "./fixtures";
import type { TesseraServer } from "./server-process";

let server: TesseraServer;
const contexts: BrowserContext[] = [];

test.beforeAll(async () => {
  server = await startServerPatiently({ env: { CANVAS_WIDTH: "64", CANVAS_HEIGHT: "48" }, instanceId: "e2e-presence" });
});

test.afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close().catch(() => {})));
});

test.afterAll(async () => {
  await server?.dispose();
});

async function person(browser: Browser, name: string): Promise<Page> {
  const context = await browser.newContext({ baseURL: server.url, viewport: { width: 1280, height: 800 } });
  contexts.push(context);
  const page = await context.newPage();
  await join(page, name);
  return page;
}

/** The page's list shows exactly `names` (in any order), each with its tag, and the count says how many. */
async function expectPeople(page: Page, names: string[]): Promise<void> {
  const items = page.getByTestId("user-list").locator("li .user-name");
  await expect.poll(async () => (await items.allInnerTexts()).map((t) => t.trim()).sort()).toEqual([...names].sort());
  await expect(page.getByTestId("online-count")).toHaveText(String(names.length));
  const tags = await page.getByTestId("user-list").locator("li").evaluateAll((lis) => lis.map((li) => [li.getAttribute("data-user-id"), li.querySelector(".name-tag")?.textContent]));
  for (const [id, tag] of tags) expect(tag).toBe(`#${nameTag(id!)}`);
}

/** The entry marked "you" (its name). */
const me = (page: Page) => page.getByTestId("user-list").locator("li.is-me .user-name");

test("the list and the count follow people joining and leaving", async ({ browser }) => {
  const ann = await person(browser, "Ann");
  await expectPeople(ann, ["Ann"]);
  // Your own entry is marked (and listed first).
  await expect(me(ann)).toHaveText("Ann");

  const ben = await person(browser, "Ben");
  for (const p of [ann, ben]) await expectPeople(p, ["Ann", "Ben"]);
  await expect(me(ben)).toHaveText("Ben");
  await expect(ben.getByTestId("user-list").locator("li .user-name").first()).toHaveText("Ben");

  const cat = await person(browser, "Cat");
  for (const p of [ann, ben, cat]) await expectPeople(p, ["Ann", "Ben", "Cat"]);

  // Two tabs of one person count once.
  const catTab2 = await cat.context().newPage();
  await catTab2.goto("/");
  await expect(catTab2.getByTestId("connection-status")).toHaveAttribute("data-state", "live");
  await expectPeople(catTab2, ["Ann", "Ben", "Cat"]);
  await expectPeople(ann, ["Ann", "Ben", "Cat"]);

  // Ben closes his browser: the others see him go.
  await ben.context().close();
  for (const p of [ann, cat]) await expectPeople(p, ["Ann", "Cat"]);

  // Cat closes one tab: still here; closes the other: gone.
  await catTab2.close();
  await expectPeople(ann, ["Ann", "Cat"]);
  await cat.close();
  await expectPeople(ann, ["Ann"]);
});

test("changing your name signs you in again under it, and everyone sees the new name", async ({ browser }) => {
  const dan = await person(browser, "Dan");
  const eve = await person(browser, "Eve");
  for (const p of [dan, eve]) await expectPeople(p, ["Dan", "Eve"]);

  await dan.getByTestId("change-name").click();
  // The form explains that this is a new sign-in, not an edit.
  await expect(dan.getByTestId("rename-form")).toContainText(/signs you in again/i);
  await dan.getByTestId("rename-input").fill("Danny");
  await dan.getByTestId("rename-submit").click();

  await expect(dan.getByTestId("my-name")).toHaveText("Danny");
  await expect(dan.getByTestId("connection-status")).toHaveAttribute("data-state", "live");
  for (const p of [dan, eve]) await expectPeople(p, ["Danny", "Eve"]);
  await expect(me(dan)).toHaveText("Danny");

  // The new name is the session now: a reload keeps it.
  await dan.reload();
  await expect(dan.getByTestId("my-name")).toHaveText("Danny");

  // A bad name is refused with the server's reason, and nothing changes.
  await dan.getByTestId("change-name").click();
  await dan.getByTestId("rename-input").fill("no/slashes");
  await dan.getByTestId("rename-submit").click();
  await expect(dan.getByTestId("rename-form").getByRole("alert")).toBeVisible();
  await expectPeople(eve, ["Danny", "Eve"]);
});

test("two people with the same name: only you are marked, by id, and their tags differ", async ({ browser }) => {
  const a = await person(browser, "Sam");
  const b = await person(browser, "Sam");
  for (const p of [a, b]) await expectPeople(p, ["Sam", "Sam"]);
  for (const p of [a, b]) await expect(me(p)).toHaveCount(1);
  const ids = await Promise.all([a, b].map((p) => p.getByTestId("user-list").locator("li.is-me").getAttribute("data-user-id")));
  expect(ids[0]).not.toBe(ids[1]);
  const tags = await a.getByTestId("user-list").locator("li .name-tag").allInnerTexts();
  expect(new Set(tags).size).toBe(2);
});
