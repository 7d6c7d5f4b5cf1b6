// On a phone (390×844, touch): a tap only selects a pixel and the place button confirms it; a
// one-finger drag pans and a pinch zooms without placing or selecting anything; a long press shows
// who placed a pixel; the whole page fits the screen (every colour reachable, nothing scrolls
// sideways) with 44 px colour targets; zoom, fit, link and PNG are in the top bar (zoom inline, the
// rest under "More"); the drawer's help lists touch gestures. And at 720 px (a narrow desktop
// window) the eyedropper no longer overlaps the first colour.

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
    // The usual minimum touch target.
    expect(b.width).toBeGreaterThanOrEqual(44);
    expect(b.height).toBeGreaterThanOrEqual(44);
  }
  for (const id of ["connection-status", "cooldown", "online-count", "place-button", "viewport"]) {
    await expect(page.getByTestId(id)).toBeInViewport();
  }
});

test("the phone's top bar has zoom, fit, link and PNG; the drawer's help is about touch", async ({ openUser, app }) => {
  const page = await openUser("Phone Bar", { context: { ...phone, permissions: ["clipboard-read", "clipboard-write"] } });
  const width = async () => (await boardBox(page)).width;

  // Zoom in and out right in the top bar, as touch-sized buttons.
  for (const id of ["zoom-in", "zoom-out", "menu-button"]) {
    const b = (await page.getByTestId(id).boundingBox())!;
    expect(b.y + b.height, id).toBeLessThanOrEqual(52);
    expect(b.width, id).toBeGreaterThanOrEqual(40);
    expect(b.height, id).toBeGreaterThanOrEqual(40);
  }
  const w0 = await width();
  await page.getByTestId("zoom-in").tap();
  await expect.poll(width).toBeGreaterThan(w0 * 1.2);
  await page.getByTestId("zoom-out").tap();
  await expect.poll(width).toBeLessThan(w0 * 1.2);

  // Fit, link and PNG under "More".
  await page.getByTestId("zoom-in").tap();
  await page.getByTestId("zoom-in").tap();
  await page.getByTestId("menu-button").tap();
  const menu = page.getByTestId("view-menu");
  await expect(menu).toBeVisible();
  await page.screenshot({ path: test.info().outputPath("phone-menu.png") });
  await menu.getByRole("button", { name: /fit to screen/i }).tap();
  await expect.poll(width).toBeLessThanOrEqual(390);
  await expect(menu).toHaveCount(0);
  await page.getByTestId("menu-button").tap();
  await expect(page.getByTestId("menu-download-png")).toHaveAttribute("href", "/api/boards/main/canvas.png");
  const png = await page.request.get("/api/canvas.png");
  expect(png.headers()["content-type"]).toBe("image/png");
  await page.getByTestId("menu-copy-link").tap();
  await expect(page.getByTestId("toast").filter({ hasText: /copied/i })).toBeVisible();
  expect(new URL(await page.evaluate(() => navigator.clipboard.readText())).origin).toBe(app.url);

  // The drawer: touch gestures, not desktop keys.
  await page.getByRole("button", { name: /online/ }).tap();
  await expect(page.locator(".sidebar.is-open")).toBeVisible();
  await expect(page.getByTestId("help-touch")).toBeVisible();
  await expect(page.getByTestId("help-touch")).toContainText(/pinch/i);
  await expect(page.getByTestId("help-touch")).toContainText(/long press/i);
  await expect(page.getByTestId("help-desktop")).toBeHidden();
  await page.waitForFunction(() => getComputedStyle(document.querySelector(".sidebar")!).transform === "none");
  await page.screenshot({ path: test.info().outputPath("phone-drawer.png") });
});

test("at 720 px the eyedropper and the colours do not overlap", async ({ openUser }) => {
  const page = await openUser("Narrow Window", { context: { viewport: { width: 720, height: 900 } } });
  const eye = (await page.getByTestId("eyedropper").boundingBox())!;
  const first = (await page.getByTestId("color-0").boundingBox())!;
  expect(first.x).toBeGreaterThanOrEqual(eye.x + eye.width);
  // No colour runs into the place button's column either, and nothing scrolls sideways.
  const action = (await page.locator(".palette-action").boundingBox())!;
  for (const i of [15, 31]) {
    const b = (await page.getByTestId(`color-${i}`).boundingBox())!;
    expect(b.x + b.width).toBeLessThanOrEqual(action.x);
  }
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(720);
  // The desktop help (keys), not the touch one.
  await expect(page.getByTestId("help-desktop")).toBeAttached();
  await page.screenshot({ path: test.info().outputPath("palette-720.png"), clip: { x: 0, y: 800, width: 720, height: 100 } });
});
