// Navigation with a mouse: the wheel zooms around the pointer (the pixel under it stays under it), a
// drag pans without placing, zoomed in there is a pixel grid and the pixel under the pointer is
// outlined and its coordinates shown; "copy link" copies the address of this view, which opens the
// same view; the board downloads as a PNG.

import { expect, test } from "./fixtures";
import { boardBox, pixelOnScreen, type TesseraDebug } from "./helpers";

test("wheel zooms around the pointer, drag pans without placing", async ({ openUser, app }) => {
  const page = await openUser("Navigator", { path: "/?x=800&y=800&zoom=3" });

  // Wheel over pixel (810, 790): it stays under the pointer while the board grows.
  const p = await pixelOnScreen(page, 810, 790);
  await page.mouse.move(p.x, p.y);
  const before = await boardBox(page);
  await page.mouse.wheel(0, -300);
  await expect.poll(async () => (await boardBox(page)).width).toBeGreaterThan(before.width * 1.3);
  const after = await pixelOnScreen(page, 810, 790);
  expect(Math.abs(after.x - p.x)).toBeLessThan(8);
  expect(Math.abs(after.y - p.y)).toBeLessThan(8);
  await page.mouse.wheel(0, 300);
  await expect.poll(async () => (await boardBox(page)).width).toBeLessThan(before.width * 1.3);

  // Drag: the board follows the mouse; nothing is placed.
  const start = await boardBox(page);
  await page.mouse.move(p.x, p.y);
  await page.mouse.down();
  for (let i = 1; i <= 8; i++) await page.mouse.move(p.x - i * 20, p.y - i * 10);
  await page.mouse.up();
  const moved = await boardBox(page);
  expect(Math.round(moved.x - start.x)).toBe(-160);
  expect(Math.round(moved.y - start.y)).toBe(-80);
  expect(await page.evaluate(() => (window as unknown as TesseraDebug).__tessera.pending)).toBe(0);
  await expect(page.getByTestId("cooldown")).toHaveAttribute("data-state", "ready");
  expect((await fetch(`${app.url}/api/pixel?x=810&y=790`)).status).toBe(404);
});

test("zoomed in: grid, outlined pixel and its coordinates; copy link and PNG download", async ({ openUser, app }) => {
  const page = await openUser("Linker", {
    path: "/?x=123&y=456&zoom=12",
    context: { permissions: ["clipboard-read", "clipboard-write"] },
  });
  await expect(page.locator(".grid-overlay")).toBeVisible();

  const p = await pixelOnScreen(page, 125, 450);
  await page.mouse.move(p.x, p.y);
  await expect(page.getByTestId("coords")).toHaveText("(125, 450)");
  const outline = (await page.locator(".hover-outline").boundingBox())!;
  expect(Math.abs(outline.x + outline.width / 2 - p.x)).toBeLessThan(2);
  expect(Math.round(outline.width)).toBe(12);

  // At a small zoom, no grid.
  for (let i = 0; i < 3; i++) await page.keyboard.type("-");
  await expect(page.locator(".grid-overlay")).toHaveCount(0);
  for (let i = 0; i < 3; i++) await page.keyboard.type("+");

  // Copy link: the clipboard gets this view's address, and opening it shows the same view.
  await page.getByTestId("copy-link").click();
  await expect(page.getByTestId("toast").filter({ hasText: /copied/i })).toBeVisible();
  const link = await page.evaluate(() => navigator.clipboard.readText());
  const u = new URL(link);
  expect(u.origin).toBe(app.url);
  expect(Number(u.searchParams.get("x"))).toBeCloseTo(123, -1);
  expect(Number(u.searchParams.get("y"))).toBeCloseTo(456, -1);
  const zoom = Number(u.searchParams.get("zoom"));
  expect(zoom).toBeGreaterThan(8);
  const other = await page.context().newPage();
  await other.setViewportSize({ width: 1280, height: 800 });
  await other.goto(link);
  await expect(other.getByTestId("connection-status")).toHaveAttribute("data-state", "live");
  await expect.poll(async () => Math.round((await boardBox(other)).width)).toBe(Math.round(1000 * zoom));

  // Download: a PNG of the whole board.
  const href = await page.getByTestId("download-png").getAttribute("href");
  const png = await page.request.get(href!);
  expect(png.headers()["content-type"]).toBe("image/png");
  const bytes = await png.body();
  expect([...bytes.subarray(1, 4)].map((c) => String.fromCharCode(c)).join("")).toBe("PNG");
  expect(bytes.readUInt32BE(16)).toBe(1000); // IHDR width
});
