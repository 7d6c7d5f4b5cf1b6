// Two people in two browser contexts: each chooses a name, one places a pixel, the other sees it
// on its board canvas, and both see both names in the user list.

import { expect, test } from "@playwright/test";
import { PALETTE, colorLabel } from "../lib/palette";
import { clickPixel, drawnColor, join } from "./helpers";

test("a pixel placed in one browser appears in the other, and both users are listed", async ({ browser }) => {
  const alice = await (await browser.newContext()).newPage();
  const bob = await (await browser.newContext()).newPage();
  await join(alice, "Alice");
  await join(bob, "Bob");

  // Both see both users, cluster count included.
  for (const page of [alice, bob]) {
    await expect(page.getByTestId("user-list").locator("li")).toHaveCount(2);
    await expect(page.getByTestId("user-list")).toContainText("Alice");
    await expect(page.getByTestId("user-list")).toContainText("Bob");
    await expect(page.getByTestId("online-count")).toContainText("2");
  }

  const color = 6;
  await alice.getByTestId(`color-${color}`).click();
  await expect(alice.getByTestId(`color-${color}`)).toHaveAttribute("aria-pressed", "true");
  await expect(alice.getByTestId(`color-${color}`)).toHaveAttribute("aria-label", colorLabel(PALETTE[color]));

  const [x, y] = [12, 34];
  expect(await drawnColor(bob, x, y)).not.toBe(PALETTE[color]);
  await clickPixel(alice, x, y);
  await expect.poll(() => drawnColor(alice, x, y)).toBe(PALETTE[color]);
  await expect.poll(() => drawnColor(bob, x, y)).toBe(PALETTE[color]);

  // The server agrees, and says who placed it.
  const info = await (await bob.request.get(`/api/pixel?x=${x}&y=${y}`)).json();
  expect(info).toMatchObject({ x, y, color, user: { name: "Alice" } });

  // Alice is now cooling down, and the page says so.
  await expect(alice.getByTestId("cooldown")).toBeVisible();

  // Shift+click asks about the pixel without placing.
  await clickPixel(bob, x, y, ["Shift"]);
  await expect(bob.getByTestId("pixel-info")).toContainText("Alice");

  // When Bob leaves, Alice's list shrinks.
  await bob.context().close();
  await expect(alice.getByTestId("user-list").locator("li")).toHaveCount(1);
});
