// The README's screenshots of a drawn board, desktop (1280×800, with other people's cursors) and
// phone (390×844), the boards page, plus one of the degraded state (Redis down) for a look. Skipped
// unless asked for, so the suite never rewrites docs:
//
//   npm run build && TESSERA_SCREENSHOTS=1 npx playwright test e2e/screenshots.spec.ts
//
// → docs/screenshot.png, docs/screenshot-phone.png, docs/screenshot-boards.png, and
//   test-results/screenshots-degraded-*/screenshot-degraded*.png

import path from "node:path";
import { expect, test, type Browser, type BrowserContextOptions, type Page } from "@playwright/test";
import { RedisProcess } from "../test/processes";
import { closeBots, connectBot, send, type Bot } from "./bots";
import { clickPixel, pixelOnScreen, join, tapPixel } from "./helpers";
import { placeSpread, WsPlacer, type Placement } from "./placer";
import { startServerPatiently } from "./fixtures";
import { apiSession, type TesseraServer } from "./server-process";

test.skip(!process.env.TESSERA_SCREENSHOTS, "set TESSERA_SCREENSHOTS=1 to (re)make the screenshots");
test.describe.configure({ mode: "serial" });

const W = 320;
const H = 180;
const DOCS = path.join(import.meta.dirname, "..", "docs");

// ------------------------------------------------------------------ the picture

/** A sunset over the sea with mountains, a boat, the logo, a heart and some crowd doodles. */
function picture(): Placement[] {
  const px = new Uint8Array(W * H);
  const set = (x: number, y: number, c: number) => {
    if (x >= 0 && y >= 0 && x < W && y < H) px[y * W + x] = c;
  };
  const horizon = 118;
  // Sky: bands from indigo at the top to yellow at the horizon, dithered where they meet.
  const bands = [20, 21, 24, 27, 28, 8, 9];
  for (let y = 0; y < horizon; y++) {
    const t = (y / horizon) * bands.length;
    const i = Math.min(bands.length - 1, Math.floor(t));
    for (let x = 0; x < W; x++) {
      const next = Math.min(bands.length - 1, i + 1);
      const dither = t - i > 0.75 && (x + y) % 2 === 0;
      set(x, y, dither ? bands[next] : bands[i]);
    }
  }
  // A few stars in the dark part.
  for (let k = 0; k < 40; k++) set((k * 97 + 13) % W, (k * 37) % 24, k % 3 === 0 ? 10 : 22);
  // The sun, setting behind the mountains.
  const [sx, sy, r] = [228, 104, 24];
  for (let y = sy - r; y <= sy + r; y++) {
    for (let x = sx - r; x <= sx + r; x++) {
      const d = Math.hypot(x - sx, y - sy);
      if (d <= r && y < horizon) set(x, y, d < r - 5 ? 10 : 9);
    }
  }
  // Mountains: a pale far ridge and a dark near one.
  for (let x = 0; x < W; x++) {
    const far = Math.round(92 + 10 * Math.sin(x / 23) + 5 * Math.sin(x / 9 + 1));
    for (let y = far; y < horizon; y++) set(x, y, 25);
    const near = Math.round(104 + 8 * Math.sin(x / 31 + 2) + 3 * Math.sin(x / 7));
    for (let y = near; y < horizon; y++) set(x, y, 23);
  }
  // Sea with short wave dashes and the sun's reflection.
  for (let y = horizon; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let c = y < horizon + 16 ? 17 : 20;
      if (y % 4 === 1 && (x + y * 5) % 17 < 4) c = 18;
      const spread = 5 + (y - horizon) * 0.7;
      if (Math.abs(x - sx) < spread && (x + y * 3) % 5 !== 0) c = y % 3 === 0 ? 8 : 9;
      set(x, y, c);
    }
  }
  // A sailing boat.
  const bx = 80;
  const by = 132;
  for (let i = 0; i < 22; i++) for (let j = 0; j < 4; j++) if (i >= j && i < 22 - j) set(bx + i, by + j, 29);
  for (let j = 1; j < 20; j++) set(bx + 10, by - j, 4);
  for (let j = 2; j < 18; j++) for (let i = 1; i <= Math.floor((18 - j) * 0.55); i++) set(bx + 10 + i, by - 20 + j, 0);
  for (let j = 5; j < 18; j++) for (let i = 1; i <= Math.floor((j - 5) * 0.5); i++) set(bx + 10 - i, by - 20 + j, 1);
  // The logo (four tiles) and a heart, top left.
  const tile = (x0: number, y0: number, c: number) => {
    for (let y = 0; y < 7; y++) for (let x = 0; x < 7; x++) set(x0 + x, y0 + y, c);
  };
  tile(14, 14, 7);
  tile(22, 14, 9);
  tile(14, 22, 18);
  tile(22, 22, 12);
  const heart = ["01100110", "11111111", "11111111", "11111111", "01111110", "00111100", "00011000"];
  heart.forEach((row, y) => [...row].forEach((b, x) => b === "1" && set(36 + x, 20 + y, 6)));
  // Text "TESSERA" in a 3×5 font, doubled.
  const font: Record<string, string[]> = {
    T: ["111", "010", "010", "010", "010"],
    E: ["111", "100", "110", "100", "111"],
    S: ["111", "100", "111", "001", "111"],
    R: ["110", "101", "110", "101", "101"],
    A: ["010", "101", "111", "101", "101"],
  };
  let cx = 52;
  for (const ch of "TESSERA") {
    font[ch].forEach((row, y) =>
      [...row].forEach((b, x) => {
        if (b !== "1") return;
        for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) set(cx + x * 2 + dx, 16 + y * 2 + dy, 10);
      }),
    );
    cx += 8;
  }
  // A space invader on the mountain, as crowds do.
  const invader = ["00100000100", "00010001000", "00111111100", "01101110110", "11111111111", "10111111101", "10100000101", "00011011000"];
  invader.forEach((row, y) => [...row].forEach((b, x) => b === "1" && set(120 + x, 60 + y, 13)));
  const out: Placement[] = [];
  for (let i = 0; i < px.length; i++) if (px[i] !== 0) out.push({ x: i % W, y: Math.floor(i / W), color: px[i] });
  // White pixels of the sail are placed too (untouched pixels are white already, but the board
  // should say who drew them).
  return out;
}

// ------------------------------------------------------------------ the shots

let server: TesseraServer;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  server = await startServerPatiently({ env: { CANVAS_WIDTH: String(W), CANVAS_HEIGHT: String(H), COOLDOWN_MS: "0" }, instanceId: "shots" });
  const artist = await apiSession(server.url, "sunset_crew");
  const placers = await Promise.all([0, 1, 2, 3].map(() => WsPlacer.connect(server.url, artist.cookie)));
  await placeSpread(placers, picture(), 0);
  for (const p of placers) p.close();
  // From now on a real cooldown, so that the countdown shows.
  await server.stop();
  server.env = { ...server.env, COOLDOWN_MS: "30000" };
  await server.start();
});

test.afterAll(async () => {
  await server?.dispose();
});

async function crowd(browser: Browser, names: string[]): Promise<void> {
  for (const name of names) {
    const ctx = await browser.newContext({ baseURL: server.url });
    await join(await ctx.newPage(), name);
  }
}

async function open(browser: Browser, name: string, options: BrowserContextOptions, pathname = "/"): Promise<Page> {
  const ctx = await browser.newContext({ baseURL: server.url, ...options });
  const page = await ctx.newPage();
  await join(page, name, pathname);
  return page;
}

test("desktop", async ({ browser }) => {
  await crowd(browser, ["pixel_pusher", "Ana", "kestrel", "Bo"]);
  // Three more people pointing at things (their cursors, with names, on the desktop shot).
  const pointers: Array<[string, number, number]> = [
    ["lighthouse_keeper", 96, 118],
    ["Noor", 250, 58],
    ["quill", 138, 52],
  ];
  const bots: Bot[] = [];
  for (const [name] of pointers) bots.push(await connectBot(server.url, "main", await apiSession(server.url, name)));
  const page = await open(browser, "Mira", { viewport: { width: 1280, height: 800 } });
  await page.getByTestId("color-27").click();
  // At the fit zoom the first click zooms in on the heart (SPEC §7), the second places there.
  await clickPixel(page, 46, 24);
  await expect(page.getByTestId("cooldown")).toHaveAttribute("data-state", "cooling");
  // Back to the whole picture while the new pixel is still ringed.
  await page.keyboard.press("f");
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  const p = await pixelOnScreen(page, 200, 70);
  await page.mouse.move(p.x, p.y);
  pointers.forEach(([, x, y], i) => send(bots[i], { type: "cursor", x, y }));
  await expect(page.getByTestId("online-count")).toHaveText("8");
  await expect(page.getByTestId("recent-mark")).toHaveCount(1);
  for (const b of bots) await expect(page.getByTestId(`cursor-${b.user.id}`)).toBeVisible();
  // Let the cursors finish gliding in.
  await expect.poll(() => page.evaluate(() => document.querySelectorAll(".cursor").length)).toBe(3);
  await page.screenshot({ path: path.join(DOCS, "screenshot.png") });
  closeBots(bots);
});

test("boards page", async ({ browser }) => {
  // A few boards with something on them (crops of the picture) and people on some.
  const art = picture();
  const maker = await apiSession(server.url, "board_maker");
  const boards: Array<[string, string, number, number, number, number, number]> = [
    ["regatta", "Regatta at dusk", 96, 64, 60, 90, 3],
    ["invaders", "Invaders welcome", 48, 32, 110, 52, 2],
    ["class-7b", "Class 7B mural", 64, 64, 200, 60, 5],
    ["logo-jam", "Logo jam", 64, 40, 8, 8, 0],
  ];
  const visitors: Bot[] = [];
  for (const [id, title, w, h, ox, oy, people] of boards) {
    const res = await fetch(`${server.url}/api/boards`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie: maker.cookie },
      body: JSON.stringify({ title, width: w, height: h, cooldownMs: 0, id }),
    });
    expect(res.status).toBe(201);
    const crop = art.filter((a) => a.x >= ox && a.x < ox + w && a.y >= oy && a.y < oy + h).map((a) => ({ x: a.x - ox, y: a.y - oy, color: a.color }));
    const placer = await WsPlacer.connect(server.url, maker.cookie, id);
    await placeSpread([placer], crop, 0);
    placer.close();
    for (let i = 0; i < people; i++) visitors.push(await connectBot(server.url, id, await apiSession(server.url, `${id} fan ${i}`)));
  }
  const ctx = await browser.newContext({ baseURL: server.url, viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  await page.goto("/boards");
  await expect(page.getByTestId("board-list").locator("li")).toHaveCount(boards.length + 1);
  await expect(page.getByTestId("board-list").locator("img")).toHaveCount(boards.length + 1);
  await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('[data-testid="board-list"] img')].every((i) => i.complete && i.naturalWidth > 0));
  await page.getByTestId("create-title").fill("Night shift");
  await page.screenshot({ path: path.join(DOCS, "screenshot-boards.png") });
  closeBots(visitors);
  await ctx.close();
});

test("phone", async ({ browser }) => {
  const page = await open(
    browser,
    "Jun",
    { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1 },
    "/?x=70&y=92&zoom=4",
  );
  await page.getByTestId("color-9").tap();
  await tapPixel(page, 60, 72);
  await expect(page.getByTestId("place-button")).toBeEnabled();
  await page.screenshot({ path: path.join(DOCS, "screenshot-phone.png") });
});

test("degraded (Redis down), for a look", async ({ browser }) => {
  const redis = await RedisProcess.start();
  const replica = await startServerPatiently({ env: { CANVAS_WIDTH: "160", CANVAS_HEIGHT: "100", REDIS_URL: redis.url }, instanceId: "shots-degraded" });
  try {
    const ctx = await browser.newContext({ baseURL: replica.url, viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    await join(page, "Watcher");
    await redis.kill();
    await expect(page.getByTestId("connection-status")).toHaveAttribute("data-state", "degraded");
    await expect(page.getByTestId("online-scope")).toBeVisible();
    await page.screenshot({ path: test.info().outputPath("screenshot-degraded.png") });
    // The top bar at the widths where the layout changes, while cooling down (its widest state).
    await page.getByTestId("color-9").click();
    await page.getByTestId("viewport").click();
    await expect(page.getByTestId("cooldown")).toHaveAttribute("data-state", "cooling");
    for (const width of [1100, 960, 901, 900, 700, 641, 640, 360]) {
      await page.setViewportSize({ width, height: 700 });
      await page.screenshot({ path: test.info().outputPath(`topbar-${width}.png`), clip: { x: 0, y: 0, width, height: 60 } });
      expect(await page.evaluate(() => document.documentElement.scrollWidth), `no sideways scroll at ${width}px`).toBeLessThanOrEqual(width);
    }
    const phoneCtx = await browser.newContext({ baseURL: replica.url, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const phone = await phoneCtx.newPage();
    await phone.goto("/");
    await phone.getByTestId("name-input").fill("Pocket");
    await phone.getByTestId("name-input").press("Enter");
    await expect(phone.getByTestId("connection-status")).toHaveAttribute("data-state", "degraded");
    await phone.screenshot({ path: test.info().outputPath("screenshot-degraded-phone.png") });
    await phone.getByRole("button", { name: /online/ }).tap();
    await expect(phone.locator(".sidebar.is-open")).toBeVisible();
    await phone.waitForFunction(() => getComputedStyle(document.querySelector(".sidebar")!).transform === "none");
    await phone.screenshot({ path: test.info().outputPath("screenshot-degraded-phone-people.png") });
    await ctx.close();
    await phoneCtx.close();
  } finally {
    await replica.dispose();
    await redis.stop();
  }
});
