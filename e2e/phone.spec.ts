// On a phone (390×844, touch): a tap only selects a pixel and the place button confirms it; a
// one-finger drag pans and a pinch zooms without placing or selecting anything; a long press shows
// who placed a pixel; the whole page fits the screen (every colour reachable, nothing scrolls sideways).

import { PALETTE } from "../lib/palette";
import { expect, test } from "./fixtures";
import { boardBox, drawnColor, pixelOnScreen, shownIndex, tapPixel, touchGesture, type TesseraDebug } from "./helpers";

const phone = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 3,
  isMobile: true,
  hasTouch: true,
  userAgent:
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36",
};

const pendingCount = (page: import("@playwright/test").Page) => page.evaluate(() => (window as unknown as TesseraDebug).__tessera.pending);

test("a tap selects, the place button confirms, a long press tells who", async ({ openUser, app }) => {
  const page = await openUser("Phone Tap", { path: "/?x=200&y=200&zoom=14", context: phone });
  const place = page.getByTestId("place-button");
  await expect(place).toBeVisible();
  await expect(place).toBeDisabled();

  await page.getByTestId("color-8").tap();
  await expect(page.getByTestId("color-8")).toHaveAttribute("aria-pressed", "true");
  const before = await drawnColor(page, 200, 200);

  // The tap selects: nothing is placed, the button names the pixel.
  await tapPixel(page, 200, 200);
  await expect(place).toBeEnabled();
  await expect(place).toContainText("200, 200");
  expect(await pendingCount(page)).toBe(0);
  expect(await drawnColor(page, 200, 200)).toBe(before);
  expect((await fetch(`${app.url}/api/pixel?x=200&y=200`)).status).toBe(404);

  // Tapping another pixel moves the selection.
  await tapPixel(page, 201, 200);
  await expect(place).toContainText("201, 200");

  // The button confirms.
  await place.tap();
  await expect.poll(() => drawnColor(page, 201, 200)).toBe(PALETTE[8]);
  await expect(place).toBeDisabled();
  await expect(page.getByTestId("cooldown")).toHaveAttribute("data-state", "cooling");
  expect(await (await fetch(`${app.url}/api/pixel?x=201&y=200`)).json()).toMatchObject({ color: 8, user: { name: "Phone Tap" } });
  expect(await drawnColor(page, 200, 200)).toBe(before);

  // Long press: hold a finger still until the details appear, then lift it. Nothing is selected.
  const p = await pixelOnScreen(page, 201, 200);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [{ x: p.x, y: p.y }] });
  await expect(page.getByTestId("pixel-info")).toContainText("Phone Tap");
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  await cdp.detach();
  await expect(place).toBeDisabled();
});

test("dragging and pinching move the board without placing; the page fits the phone", async ({ openUser, app }) => {
  const page = await openUser("Phone Drag", { path: "/?x=700&y=700&zoom=10", context: phone });
  const place = page.getByTestId("place-button");

  // One finger drags the board along.
  const start = await pixelOnScreen(page, 700, 700);
  const before = await boardBox(page);
  await touchGesture(page, [start], [{ x: start.x - 120, y: start.y - 90 }], 10);
  await expect.poll(async () => Math.round((await boardBox(page)).x - before.x)).toBeLessThan(-60);
  expect((await boardBox(page)).y).toBeLessThan(before.y - 40);
  // …and neither placed nor selected anything.
  await expect(place).toBeDisabled();
  expect(await pendingCount(page)).toBe(0);
  expect((await fetch(`${app.url}/api/pixel?x=700&y=700`)).status).toBe(404);
  expect(await shownIndex(page, 700, 700)).toBe(0);

  // Two fingers spreading apart zoom in around their midpoint, again without placing.
  const mid = { x: 195, y: 420 };
  const widthBefore = (await boardBox(page)).width;
  await touchGesture(
    page,
    [
      { x: mid.x - 40, y: mid.y },
      { x: mid.x + 40, y: mid.y },
    ],
    [
      { x: mid.x - 110, y: mid.y },
      { x: mid.x + 110, y: mid.y },
    ],
    10,
  );
  await expect.poll(async () => (await boardBox(page)).width).toBeGreaterThan(widthBefore * 1.5);
  await expect(place).toBeDisabled();
  expect(await pendingCount(page)).toBe(0);
  await expect(page.getByTestId("cooldown")).toHaveAttribute("data-state", "ready");

  // The layout fits: no sideways scrolling, every colour on screen and big enough to tap, and the
  // status, cooldown and online count visible.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  for (let i = 0; i < PALETTE.length; i++) {
    const b = (await page.getByTestId(`color-${i}`).boundingBox())!;
    expect(b.x).toBeGreaterThanOrEqual(0);
    expect(b.x + b.width).toBeLessThanOrEqual(390);
    expect(b.y + b.height).toBeLessThanOrEqual(844);
    expect(b.width).toBeGreaterThanOrEqual(18);
  }
  for (const id of ["connection-status", "cooldown", "online-count", "place-button", "viewport"]) {
    await expect(page.getByTestId(id)).toBeInViewport();
  }
});
