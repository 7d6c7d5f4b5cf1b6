// Shared steps for the end-to-end specs: join with a name, find board pixels on screen, read them back.

import { expect, type Page } from "@playwright/test";

/** Open the page, choose a name, and wait until the board is live on its own socket. */
export async function join(page: Page, name: string, path = "/"): Promise<void> {
  await page.goto(path);
  await page.getByTestId("name-input").fill(name);
  await page.getByTestId("name-input").press("Enter");
  await expect(page.getByTestId("name-form")).toHaveCount(0);
  const status = page.getByTestId("connection-status");
  await expect(status).toHaveAttribute("data-mode", "play");
  await expect(status).toHaveAttribute("data-state", "live");
}

/** The page's zoom: screen pixels per board pixel, from the canvas's on-screen width. */
export async function zoomOf(page: Page): Promise<number> {
  const board = page.getByTestId("board");
  const box = await board.boundingBox();
  if (!box) throw new Error("board not visible");
  return box.width / Number(await board.getAttribute("width"));
}

/** SPEC §7: a click places only from this zoom on; below it, it zooms in on the spot. */
export const PLACE_MIN_ZOOM = 4;

/** Screen coordinates of the centre of board pixel (x, y), from the canvas's bounding rectangle. */
export async function pixelOnScreen(page: Page, x: number, y: number): Promise<{ x: number; y: number }> {
  const board = page.getByTestId("board");
  const box = await board.boundingBox();
  if (!box) throw new Error("board not visible");
  const width = Number(await board.getAttribute("width"));
  const height = Number(await board.getAttribute("height"));
  return { x: box.x + ((x + 0.5) * box.width) / width, y: box.y + ((y + 0.5) * box.height) / height };
}

/** The colour drawn on the board canvas at (x, y) as #RRGGBB. */
export async function drawnColor(page: Page, x: number, y: number): Promise<string> {
  return page.getByTestId("board").evaluate(
    (canvas: HTMLCanvasElement, [px, py]) => {
      const d = canvas.getContext("2d")!.getImageData(px, py, 1, 1).data;
      return "#" + [d[0], d[1], d[2]].map((v) => v.toString(16).padStart(2, "0").toUpperCase()).join("");
    },
    [x, y] as const,
  );
}

/** One primary-button click on board pixel (x, y) at the current view, without dragging. */
export async function clickOnce(page: Page, x: number, y: number, modifiers: Array<"Shift"> = []): Promise<void> {
  const p = await pixelOnScreen(page, x, y);
  await page.mouse.move(p.x, p.y);
  for (const m of modifiers) await page.keyboard.down(m);
  await page.mouse.down();
  await page.mouse.up();
  for (const m of modifiers) await page.keyboard.up(m);
}

/**
 * Click board pixel (x, y) as a user who wants to place there would: when the view is too far out
 * to place (SPEC §7), the first click zooms in on the spot — checked here — and the second places.
 * With modifiers (Shift: ask who placed it) it is one click at any zoom.
 */
export async function clickPixel(page: Page, x: number, y: number, modifiers: Array<"Shift"> = []): Promise<void> {
  if (modifiers.length === 0 && (await zoomOf(page)) < PLACE_MIN_ZOOM) {
    await clickOnce(page, x, y);
    await expect.poll(() => zoomOf(page), { message: "a click below the placing zoom zooms in" }).toBeGreaterThanOrEqual(PLACE_MIN_ZOOM);
  }
  await clickOnce(page, x, y, modifiers);
}

/** The board canvas's on-screen rectangle (zoom and pan included). */
export async function boardBox(page: Page): Promise<{ x: number; y: number; width: number; height: number }> {
  const box = await page.getByTestId("board").boundingBox();
  if (!box) throw new Error("board not visible");
  return box;
}

/** Palette index the page shows at (x, y) (optimistic pixels included), from `window.__tessera`. */
export async function shownIndex(page: Page, x: number, y: number): Promise<number | null> {
  return page.evaluate(([px, py]) => (window as unknown as TesseraDebug).__tessera.colorAt(px, py), [x, y] as const);
}

/** The page's board bytes (its copy of GET /api/canvas) as base64, and the seq it includes. */
export async function pageBoard(page: Page): Promise<{ base64: string; seq: number } | null> {
  return page.evaluate(() => {
    const b = (window as unknown as TesseraDebug).__tessera.board;
    if (!b) return null;
    let s = "";
    for (let i = 0; i < b.pixels.length; i += 0x8000) s += String.fromCharCode(...b.pixels.subarray(i, i + 0x8000));
    return { base64: btoa(s), seq: b.seq };
  });
}

/** Tap board pixel (x, y) with one finger (needs a context with hasTouch). */
export async function tapPixel(page: Page, x: number, y: number): Promise<void> {
  const p = await pixelOnScreen(page, x, y);
  await page.touchscreen.tap(p.x, p.y);
}

type TouchPoint = { x: number; y: number };

/** Drag with one or more fingers from `from` to `to` (same length) in `steps` moves, via CDP touch events. */
export async function touchGesture(page: Page, from: TouchPoint[], to: TouchPoint[], steps = 8): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  const at = (k: number) => from.map((f, i) => ({ x: f.x + ((to[i].x - f.x) * k) / steps, y: f.y + ((to[i].y - f.y) * k) / steps, id: i }));
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: at(0) });
  for (let k = 1; k <= steps; k++) await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: at(k) });
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  await cdp.detach();
}

/** What `window.__tessera` offers the specs (lib/client/controller.ts exposeDebug). */
export interface TesseraDebug {
  __tessera: {
    seq: number;
    maxSeq: number;
    connected: boolean;
    pending: number;
    board: { width: number; height: number; seq: number; pixels: Uint8Array } | null;
    mode: "live" | "watch" | "none";
    probeReconnects: number;
    templateMismatches: number | null;
    colorAt(x: number, y: number): number | null;
    dropConnection(): void;
    flush(): void;
  };
}

/**
 * How many board pixels the page's canvas draws differently from the server's GET /api/canvas
 * (fetched by the page itself, so both come from the same origin at nearly the same time).
 */
export async function drawnMismatches(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const t = (window as unknown as TesseraDebug & { __tessera: { state: { palette: string[] } } }).__tessera;
    t.flush();
    const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="board"]')!;
    const data = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
    const rgb = t.state.palette.map((h) => parseInt(h.slice(1), 16));
    const server = new Uint8Array(await (await fetch("/api/canvas", { cache: "no-store" })).arrayBuffer());
    if (server.length !== canvas.width * canvas.height) return -1;
    let differ = 0;
    for (let i = 0; i < server.length; i++) {
      if (((data[i * 4] << 16) | (data[i * 4 + 1] << 8) | data[i * 4 + 2]) !== rgb[server[i]]) differ++;
    }
    return differ;
  });
}
