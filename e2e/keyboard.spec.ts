// Keyboard: number keys and [ ] choose colours (aria-pressed follows), arrows/WASD pan (the board
// moves), +/- zoom (the board grows and shrinks), a deep link centres its pixel at its zoom and the
// address follows panning, and Enter → arrows → Enter places a pixel without a mouse.

import { PALETTE } from "../lib/palette";
import { expect, test } from "./fixtures";
import { boardBox, drawnColor, pixelOnScreen } from "./helpers";

test("number keys and [ ] choose colours", async ({ openUser }) => {
  const page = await openUser("Keys Colour");
  const pressed = (i: number) => expect(page.getByTestId(`color-${i}`)).toHaveAttribute("aria-pressed", "true");
  for (const [key, index] of [["1", 0], ["3", 2], ["9", 8], ["0", 9]] as const) {
    await page.keyboard.press(key);
    await pressed(index);
  }
  await page.keyboard.press("]");
  await pressed(10);
  await page.keyboard.press("[");
  await page.keyboard.press("[");
  await pressed(8);
  // Exactly one colour is selected.
  await expect(page.getByTestId("palette").locator('[aria-pressed="true"]')).toHaveCount(1);
});

test("arrows and WASD pan, + and - zoom, the address follows", async ({ openUser }) => {
  const page = await openUser("Keys Move", { path: "/?x=400&y=300&zoom=4" });
  const viewport = (await page.getByTestId("viewport").boundingBox())!;

  // The deep link centres pixel (400, 300) at 4 screen pixels per board pixel.
  let box = await boardBox(page);
  expect(box.width).toBeCloseTo(1000 * 4, 0);
  const centre = await pixelOnScreen(page, 400, 300);
  expect(Math.abs(centre.x - (viewport.x + viewport.width / 2))).toBeLessThanOrEqual(4);
  expect(Math.abs(centre.y - (viewport.y + viewport.height / 2))).toBeLessThanOrEqual(4);

  // Each key moves the board; → and D look right (the board moves left), ↓ and S look down.
  const moves: Array<[string, "x" | "y", number]> = [
    ["ArrowRight", "x", -1],
    ["d", "x", -1],
    ["ArrowLeft", "x", 1],
    ["a", "x", 1],
    ["ArrowDown", "y", -1],
    ["s", "y", -1],
    ["ArrowUp", "y", 1],
    ["w", "y", 1],
  ];
  for (const [key, axis, sign] of moves) {
    const before = await boardBox(page);
    await page.keyboard.press(key);
    await expect.poll(async () => Math.sign((await boardBox(page))[axis] - before[axis]), { message: key }).toBe(sign);
  }

  // The address bar follows the view: three steps right move the centre pixel right.
  for (let i = 0; i < 3; i++) await page.keyboard.press("ArrowRight");
  await expect.poll(() => Number(new URL(page.url()).searchParams.get("x"))).toBeGreaterThan(400);
  expect(new URL(page.url()).searchParams.get("zoom")).toBe("4");

  // + grows the board, - shrinks it, and the address keeps the zoom.
  box = await boardBox(page);
  await page.keyboard.type("+");
  await expect.poll(async () => (await boardBox(page)).width).toBeGreaterThan(box.width);
  await expect.poll(() => Number(new URL(page.url()).searchParams.get("zoom"))).toBeGreaterThan(4);
  const zoomed = await boardBox(page);
  await page.keyboard.type("-");
  await page.keyboard.type("-");
  await expect.poll(async () => (await boardBox(page)).width).toBeLessThan(zoomed.width);

  // Zoom stops at its limit: many presses of + end at 64 screen pixels per board pixel.
  for (let i = 0; i < 15; i++) await page.keyboard.type("=");
  await expect.poll(async () => Math.round((await boardBox(page)).width)).toBe(64 * 1000);
});

test("Enter shows a keyboard cursor, arrows move it, Enter places there", async ({ openUser, app }) => {
  const page = await openUser("Keys Place", { path: "/?x=600&y=200&zoom=16" });
  await page.keyboard.press("5");
  await page.keyboard.press("Enter");
  const place = page.getByTestId("place-button");
  await expect(place).toBeEnabled();
  await expect(place).toContainText("600, 200");
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown");
  await expect(place).toContainText("601, 202");
  // The view follows the cursor: its pixel is still at the centre of the viewport.
  const viewport = (await page.getByTestId("viewport").boundingBox())!;
  const p = await pixelOnScreen(page, 601, 202);
  expect(Math.abs(p.x - (viewport.x + viewport.width / 2))).toBeLessThanOrEqual(16);
  expect(Math.abs(p.y - (viewport.y + viewport.height / 2))).toBeLessThanOrEqual(16);

  await page.keyboard.press("Enter");
  await expect.poll(() => drawnColor(page, 601, 202)).toBe(PALETTE[4]);
  await expect(page.getByTestId("cooldown")).toHaveAttribute("data-state", "cooling");
  const info = await (await fetch(`${app.url}/api/pixel?x=601&y=202`)).json();
  expect(info).toMatchObject({ color: 4, user: { name: "Keys Place" } });

  await page.keyboard.press("Escape");
  await expect(place).toBeDisabled();
});
