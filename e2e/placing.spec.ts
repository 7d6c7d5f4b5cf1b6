// Placing blind (issue 14, SPEC §7): a click places only at 4 or more screen pixels per board
// pixel; further out it zooms in on the spot and places nothing. On a phone a tap does the same.
// Your own new pixel is ringed for a moment, so you see where it landed.

import { PALETTE } from "../lib/palette";
import { expect, test } from "./fixtures";
import { PLACE_MIN_ZOOM, clickOnce, drawnColor, pixelOnScreen, tapPixel, zoomOf, type TesseraDebug } from "./helpers";

const desktop = { viewport: { width: 1440, height: 900 } };
const phone = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 3,
  isMobile: true,
  hasTouch: true,
  userAgent: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36",
};

const pending = (page: import("@playwright/test").Page) => page.evaluate(() => (window as unknown as TesseraDebug).__tessera.pending);

test("desktop: a click at the fit zoom zooms in on the spot; the next click places and rings the pixel", async ({ openUser, app }) => {
  const page = await openUser("Careful Clicker", { context: desktop });
  const viewport = page.getByTestId("viewport");
  // The whole 1000×1000 board fits: under one screen pixel per board pixel.
  expect(await zoomOf(page)).toBeLessThan(PLACE_MIN_ZOOM);
  await expect(viewport).toHaveAttribute("data-place-zoom", "zoom-in-first");
  await page.getByTestId("color-13").click();

  const before = await pixelOnScreen(page, 620, 380);
  await clickOnce(page, 620, 380);
  // Zoomed in, around the clicked point (it stays under the pointer)…
  await expect.poll(() => zoomOf(page)).toBeGreaterThanOrEqual(PLACE_MIN_ZOOM);
  const after = await pixelOnScreen(page, 620, 380);
  expect(Math.abs(after.x - before.x)).toBeLessThan(12);
  expect(Math.abs(after.y - before.y)).toBeLessThan(12);
  await expect(viewport).toHaveAttribute("data-place-zoom", "ok");
  // …and nothing was placed.
  expect(await pending(page)).toBe(0);
  await expect(page.getByTestId("cooldown")).toHaveAttribute("data-state", "ready");
  expect((await fetch(`${app.url}/api/pixel?x=620&y=380`)).status).toBe(404);

  // The second click, at the same place, places — and the new pixel is ringed, then the ring goes.
  await clickOnce(page, 620, 380);
  await expect.poll(() => drawnColor(page, 620, 380)).toBe(PALETTE[13]);
  const ring = page.getByTestId("recent-mark");
  await expect(ring).toHaveCount(1);
  const box = (await ring.boundingBox())!;
  const centre = await pixelOnScreen(page, 620, 380);
  expect(Math.abs(box.x + box.width / 2 - centre.x)).toBeLessThan(3);
  expect(Math.abs(box.y + box.height / 2 - centre.y)).toBeLessThan(3);
  await page.screenshot({ path: test.info().outputPath("placed-ring.png") });
  await expect(ring).toHaveCount(0, { timeout: 8_000 });
  expect(await (await fetch(`${app.url}/api/pixel?x=620&y=380`)).json()).toMatchObject({ color: 13, user: { name: "Careful Clicker" } });
});

test("desktop: a click exactly at the placing zoom places at once", async ({ openUser, app }) => {
  const page = await openUser("Exact Zoom", { path: `/?x=300&y=700&zoom=${PLACE_MIN_ZOOM}`, context: desktop });
  expect(await zoomOf(page)).toBeCloseTo(PLACE_MIN_ZOOM, 5);
  await page.getByTestId("color-20").click();
  await clickOnce(page, 301, 700);
  await expect.poll(() => drawnColor(page, 301, 700)).toBe(PALETTE[20]);
  expect(await zoomOf(page)).toBeCloseTo(PLACE_MIN_ZOOM, 5);
  await expect.poll(async () => (await fetch(`${app.url}/api/pixel?x=301&y=700`)).status).toBe(200);
});

test("phone: a tap at the fit zoom zooms in; zoomed in, a tap selects and Place confirms", async ({ openUser, app }) => {
  const page = await openUser("Careful Thumb", { context: phone });
  const place = page.getByTestId("place-button");
  expect(await zoomOf(page)).toBeLessThan(PLACE_MIN_ZOOM);
  await page.getByTestId("color-9").tap();

  await tapPixel(page, 250, 610);
  await expect.poll(() => zoomOf(page)).toBeGreaterThanOrEqual(PLACE_MIN_ZOOM);
  // Zooming selected nothing and placed nothing.
  await expect(place).toBeDisabled();
  expect(await pending(page)).toBe(0);

  await tapPixel(page, 250, 610);
  await expect(place).toBeEnabled();
  await expect(place).toContainText("250, 610");
  await place.tap();
  await expect.poll(() => drawnColor(page, 250, 610)).toBe(PALETTE[9]);
  await expect(page.getByTestId("recent-mark")).toHaveCount(1);
  await page.screenshot({ path: test.info().outputPath("phone-placed-ring.png") });
  await expect.poll(async () => (await fetch(`${app.url}/api/pixel?x=250&y=610`)).status).toBe(200);
});
