// Two people on two different replicas (real processes, production build) sharing PostgreSQL and
// a real redis-server: each sees the other's pixel and both names, as if on one machine.

import { expect, test } from "@playwright/test";
import { PALETTE } from "../lib/palette";
import { type E2eCluster, startCluster } from "./cluster";
import { clickPixel, drawnColor, join } from "./helpers";

let cluster: E2eCluster;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  cluster = await startCluster(["e2e-a", "e2e-b"]);
});

test.afterAll(async () => {
  await cluster?.dispose();
});

test("users on different replicas see each other's pixels and names", async ({ browser }) => {
  const [a, b] = cluster.replicas;
  const alice = await (await browser.newContext({ baseURL: a.url })).newPage();
  const bob = await (await browser.newContext({ baseURL: b.url })).newPage();
  await join(alice, "Alice");
  await join(bob, "Bob");

  for (const page of [alice, bob]) {
    await expect(page.getByTestId("user-list").locator("li")).toHaveCount(2);
    await expect(page.getByTestId("online-count")).toContainText("2");
  }

  await alice.getByTestId("color-13").click();
  await clickPixel(alice, 40, 50);
  await expect.poll(() => drawnColor(bob, 40, 50)).toBe(PALETTE[13]);

  await bob.getByTestId("color-27").click();
  await clickPixel(bob, 41, 50);
  await expect.poll(() => drawnColor(alice, 41, 50)).toBe(PALETTE[27]);

  // Each tab really is on its own replica.
  const ids = await Promise.all([a, b].map(async (r) => (await (await fetch(`${r.url}/api/health`)).json()).instanceId));
  expect(ids).toEqual(["e2e-a", "e2e-b"]);
});

test("the page shows when Redis is down and recovers when it returns", async ({ browser }) => {
  const [a, b] = cluster.replicas;
  const page = await (await browser.newContext({ baseURL: a.url })).newPage();
  const other = await (await browser.newContext({ baseURL: b.url })).newPage();
  await join(page, "Watcher");
  await join(other, "Painter");
  await cluster.redis.kill();
  await expect(page.getByTestId("connection-status")).toHaveAttribute("data-state", "degraded");
  // The count is this replica's own: the page says so next to it.
  await expect(page.getByTestId("online-scope")).toContainText("this server only");
  // A placement on the other replica during the outage still arrives (read from the database).
  await other.getByTestId("color-4").click();
  await clickPixel(other, 90, 90);
  await expect.poll(() => drawnColor(page, 90, 90), { timeout: 10_000 }).toBe(PALETTE[4]);
  await cluster.redis.start();
  await expect(page.getByTestId("connection-status")).toHaveAttribute("data-state", "live");
  await expect(page.getByTestId("online-scope")).toHaveCount(0);
});
