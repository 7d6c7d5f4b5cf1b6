// Cooldown: after placing, the page counts down (badge and tab title); a second placement is refused
// with a clear message — by the page itself, and by the server when another tab of the same user
// tries (that tab's optimistic pixel is rolled back); placing works again once the time is up.

import { PALETTE } from "../lib/palette";
import { APP_COOLDOWN_MS, expect, test } from "./fixtures";
import { clickPixel, drawnColor, shownIndex } from "./helpers";

test("the countdown shows, the cooldown is enforced, and placing works again after it", async ({ openUser, app }) => {
  // Zoomed in so every click lands on the intended pixel.
  const deepLink = "/?x=300&y=300&zoom=10";
  const page = await openUser("Cooler", { path: deepLink });
  const cooldown = page.getByTestId("cooldown");
  await expect(cooldown).toHaveAttribute("data-state", "ready");
  await expect(page).toHaveTitle("Tessera");

  // A second tab of the same user, opened before the placement: it has not heard of the cooldown.
  const tab2 = await page.context().newPage();
  await tab2.goto(deepLink);
  await expect(tab2.getByTestId("connection-status")).toHaveAttribute("data-state", "live");
  await tab2.getByTestId("color-7").click();
  const tab2Before = await drawnColor(tab2, 302, 300);

  await page.getByTestId("color-5").click();
  await clickPixel(page, 300, 300);
  await expect(cooldown).toHaveAttribute("data-state", "cooling");
  // Both tries happen at once, well inside the cooldown: tab 2's goes to the server (which
  // enforces the cooldown per user), the first tab's is refused by the page itself.
  await clickPixel(tab2, 302, 300);
  await page.keyboard.press("7"); // colour 6
  await clickPixel(page, 301, 300);

  // The first tab: pixel drawn, countdown on the page and in the tab title, the second click
  // refused with the reason.
  await expect.poll(() => drawnColor(page, 300, 300)).toBe(PALETTE[5]);
  await expect(cooldown).toHaveText(/^\d+(\.\d)?s$/);
  await expect(page).toHaveTitle(/^\(\d+s\) Tessera$/);
  await expect(page.getByTestId("toast").filter({ hasText: /cooling down/i })).toBeVisible();
  expect(await shownIndex(page, 301, 300)).not.toBe(6);

  // Tab 2: refused by the server; the page says why, rolls its pixel back and counts down too.
  await expect(tab2.getByTestId("toast").filter({ hasText: /too soon/i })).toBeVisible();
  await expect.poll(() => drawnColor(tab2, 302, 300)).toBe(tab2Before);
  await expect(tab2.getByTestId("cooldown")).toHaveAttribute("data-state", "cooling");
  for (const x of [301, 302]) expect((await fetch(`${app.url}/api/pixel?x=${x}&y=300`)).status).toBe(404);

  // When the time is up the badge says so, the title drops the countdown, and placing works.
  await expect(cooldown).toHaveAttribute("data-state", "ready", { timeout: APP_COOLDOWN_MS + 5_000 });
  await expect(page).toHaveTitle("Tessera");
  await clickPixel(page, 301, 300);
  await expect.poll(() => drawnColor(page, 301, 300)).toBe(PALETTE[6]);
  await expect(cooldown).toHaveAttribute("data-state", "cooling");
  const info = await (await fetch(`${app.url}/api/pixel?x=301&y=300`)).json();
  expect(info).toMatchObject({ color: 6, user: { name: "Cooler" } });
});
