// Who placed this: Shift+click on a pixel shows who placed it, when (absolute and relative), in which
// colour — without placing anything; a pixel nobody touched says so; the open card follows a newer
// placement on that pixel; Escape closes it.

import { PALETTE } from "../lib/palette";
import { expect, test } from "./fixtures";
import { clickPixel, drawnColor } from "./helpers";

test("Shift+click shows who placed a pixel and when, without placing", async ({ openUser }) => {
  const link = "/?x=500&y=500&zoom=12";
  const alice = await openUser("Alice Info", { path: link });
  const bob = await openUser("Bob Info", { path: link });

  await alice.getByTestId("color-13").click();
  const placedAround = Date.now();
  await clickPixel(alice, 500, 500);
  await expect.poll(() => drawnColor(bob, 500, 500)).toBe(PALETTE[13]);

  // Bob asks about the pixel.
  await bob.getByTestId("color-3").click();
  await clickPixel(bob, 500, 500, ["Shift"]);
  const info = bob.getByTestId("pixel-info");
  await expect(info).toHaveAttribute("data-status", "placed");
  await expect(info).toContainText("Alice Info");
  await expect(info).toContainText("(500, 500)");
  await expect(info).toContainText(PALETTE[13]);
  await expect(info).toContainText(/just now|\d+ s ago/);
  // The absolute time is machine-readable and right.
  const when = Date.parse((await info.locator("time").getAttribute("datetime"))!);
  expect(Math.abs(when - placedAround)).toBeLessThan(60_000);

  // Asking placed nothing: still Alice's colour, and Bob is not cooling down.
  expect(await drawnColor(bob, 500, 500)).toBe(PALETTE[13]);
  await expect(bob.getByTestId("cooldown")).toHaveAttribute("data-state", "ready");

  // A pixel nobody placed.
  await clickPixel(bob, 503, 502, ["Shift"]);
  await expect(info).toHaveAttribute("data-status", "never");
  await expect(info).toContainText("(503, 502)");
  await expect(info).toContainText(/never placed/i);

  // The card follows the pixel: Bob looks at Alice's pixel again, then paints over it himself.
  await clickPixel(bob, 500, 500, ["Shift"]);
  await expect(info).toContainText("Alice Info");
  await clickPixel(bob, 500, 500);
  await expect(info).toContainText("Bob Info");
  await expect(info).toContainText(PALETTE[3]);

  await bob.keyboard.press("Escape");
  await expect(info).toHaveCount(0);
});
