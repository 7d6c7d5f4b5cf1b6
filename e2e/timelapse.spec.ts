// The timelapse (SPEC §13, issue 12): it plays the board's history on its own layer, every frame it
// shows equals the server's `canvas?seq=` for the seq it says; the scrubber, the address of a
// moment (?seq= and ?t=), and the GIF link; the live board underneath keeps going meanwhile and a
// click on the past places nothing.

import { PALETTE } from "../lib/palette";
import { apiUser, boardAt, canvasIndices, differences, expect, seriousViolations, test } from "./extras-fixtures";
import { boardBox, clickOnce, drawnColor, shownIndex, type TesseraDebug } from "./helpers";

const LAYER = '[data-testid="timelapse-layer"]';
const ROOT = '[data-testid="timelapse"]';

async function currentSeq(url: string): Promise<number> {
  return ((await (await fetch(`${url}/api/canvas/info`)).json()) as { seq: number }).seq;
}

test("the timelapse plays the history, and each frame is the board at the seq it shows", async ({ app, openUser }) => {
  const a = await apiUser(app, "Stripe A");
  const b = await apiUser(app, "Stripe B");
  // Two people painting stripes over each other: later frames overwrite earlier ones.
  for (let i = 0; i < 160; i++) {
    const who = i % 2 ? a : b;
    await who.place(20 + (i % 40), 20 + Math.floor(i / 40) * 3 + (i % 3), (i % 30) + 2);
  }
  for (let i = 0; i < 80; i++) await a.place(20 + (i % 40), 21, 31);
  const maxSeq = await currentSeq(app.url);

  const page = await openUser("Time Traveller", "/?x=40&y=25&zoom=8");
  await page.getByTestId("timelapse-button").click();
  const tl = page.getByTestId("timelapse");
  await expect(tl).toHaveAttribute("data-state", "ready");
  await expect(tl).toHaveAttribute("data-seq", "0");
  await expect(page.getByTestId("timelapse-seq")).toContainText(`of ${maxSeq}`);
  expect(await seriousViolations(page, "timelapse open")).toEqual([]);

  // Play fast and look at frames as they come.
  await page.getByTestId("timelapse-speed").selectOption("8");
  await page.getByTestId("timelapse-play").click();
  await expect(tl).toHaveAttribute("data-playing", "true");
  const frames = new Map<number, number[]>();
  while ((await tl.getAttribute("data-playing")) === "true") {
    const f = await canvasIndices(page, LAYER, ROOT);
    if (f.seq !== null && !frames.has(f.seq)) frames.set(f.seq, f.indices);
  }
  await expect(tl).toHaveAttribute("data-seq", String(maxSeq));
  const last = await canvasIndices(page, LAYER, ROOT);
  frames.set(last.seq!, last.indices);
  const middle = [...frames.keys()].filter((s) => s > 0 && s < maxSeq);
  expect(middle.length, `frames seen while playing: ${[...frames.keys()].join(", ")}`).toBeGreaterThanOrEqual(3);
  for (const [seq, shown] of frames) {
    expect(differences(shown, await boardAt(app, seq)), `frame of seq ${seq}`).toBe(0);
  }

  // Paused at the end: the address names the moment.
  await expect(page).toHaveURL(new RegExp(`[?&]seq=${maxSeq}(&|$)`));

  // Scrub back to the middle of the history: the frame follows, exactly.
  const scrubber = page.getByTestId("timelapse-scrubber");
  const [min, max] = [Number(await scrubber.getAttribute("min")), Number(await scrubber.getAttribute("max"))];
  await scrubber.fill(String(Math.round((min + max) / 2)));
  await expect.poll(async () => Number(await tl.getAttribute("data-seq"))).toBeLessThan(maxSeq);
  await expect.poll(async () => {
    const f = await canvasIndices(page, LAYER, ROOT);
    return differences(f.indices, await boardAt(app, f.seq!));
  }).toBe(0);
  const shownSeq = Number(await tl.getAttribute("data-seq"));

  // The live board underneath is not disturbed: a new pixel appears there, not in the past.
  await b.place(60, 40, 9);
  await expect.poll(() => drawnColor(page, 60, 40)).toBe(PALETTE[9]);
  const past = await canvasIndices(page, LAYER, ROOT);
  expect(past.seq).toBe(shownSeq);
  expect(past.indices[40 * 200 + 60]).not.toBe(9);

  // A click on the past places nothing: no placement is even started (the page places
  // optimistically, in the click's own event handler).
  const before = await currentSeq(app.url);
  await clickOnce(page, 30, 45);
  expect(await page.evaluate(() => (window as unknown as TesseraDebug).__tessera.pending)).toBe(0);
  expect(await shownIndex(page, 30, 45)).toBe(0);
  await expect(tl).toHaveAttribute("data-seq", String(shownSeq));
  expect(await currentSeq(app.url)).toBe(before);

  // Nor does the keyboard: Enter selects the centre pixel, and Enter again would place it.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.keyboard.press("Enter");
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("toast").filter({ hasText: /looking at the past/i })).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as TesseraDebug).__tessera.pending)).toBe(0);
  expect(await currentSeq(app.url)).toBe(before);

  // Dragging the past pans the view, and the past stays exactly over the board.
  const before0 = await boardBox(page);
  await page.mouse.move(400, 400);
  await page.mouse.down();
  await page.mouse.move(440, 430, { steps: 3 });
  await page.mouse.move(480, 460, { steps: 3 });
  await page.mouse.up();
  const after0 = await boardBox(page);
  expect(after0.x - before0.x).toBeCloseTo(80, 0);
  expect(after0.y - before0.y).toBeCloseTo(60, 0);
  expect(await page.locator(LAYER).boundingBox()).toEqual(after0);
  expect(await currentSeq(app.url)).toBe(before);

  // The GIF of the whole history.
  const href = await page.getByTestId("timelapse-gif").getAttribute("href");
  const gif = await page.request.get(href!);
  expect(gif.status()).toBe(200);
  expect(gif.headers()["content-type"]).toBe("image/gif");
  expect(gif.headers()["x-timelapse-to"]).toBe(String(maxSeq));

  // Closing removes the layer and the moment from the address.
  await page.getByTestId("timelapse-close").click();
  await expect(page.locator(LAYER)).toHaveCount(0);
  await expect(page).not.toHaveURL(/[?&]seq=/);
  expect(await drawnColor(page, 60, 40)).toBe(PALETTE[9]);
});

test("a link to a moment opens the timelapse there, by seq or by time", async ({ app, openUser }) => {
  const p = await apiUser(app, "Linker");
  for (let i = 0; i < 60; i++) await p.place(100 + (i % 20), 100 + Math.floor(i / 20), (i % 8) + 20);
  const page = await openUser("Link Follower", "/?x=110&y=101&zoom=6");
  const maxSeq = await currentSeq(app.url);
  const k = maxSeq - 30;

  await page.goto(`/?x=110&y=101&zoom=6&seq=${k}`);
  const tl = page.getByTestId("timelapse");
  await expect(tl).toHaveAttribute("data-state", "ready");
  await expect(tl).toHaveAttribute("data-seq", String(k));
  expect(differences((await canvasIndices(page, LAYER, ROOT)).indices, await boardAt(app, k))).toBe(0);

  // By time: the last placement at or before that instant (one whose successor came later).
  const res = await fetch(`${app.url}/api/placements?after=${k - 21}&limit=20`, { headers: { accept: "application/json" } });
  const list = ((await res.json()) as { placements: Array<{ seq: number; placedAt: string }> }).placements;
  const i = list.findIndex((q, j) => j + 1 < list.length && Date.parse(list[j + 1].placedAt) > Date.parse(q.placedAt));
  expect(i).toBeGreaterThanOrEqual(0);
  const at = list[i];
  await page.goto(`/?x=110&y=101&zoom=6&t=${encodeURIComponent(at.placedAt)}`);
  await expect(tl).toHaveAttribute("data-state", "ready");
  await expect(tl).toHaveAttribute("data-seq", String(at.seq));
  expect(differences((await canvasIndices(page, LAYER, ROOT)).indices, await boardAt(app, at.seq))).toBe(0);
  // The page then names the moment by its seq.
  await expect(page).toHaveURL(new RegExp(`[?&]seq=${at.seq}(&|$)`));
});
