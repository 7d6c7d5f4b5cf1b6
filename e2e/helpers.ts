// Shared steps for the end-to-end specs: join with a name, find board pixels on screen, read them back.

import { expect, type Page } from "@playwright/test";

/** Open the page, choose a name, and wait until the board is live. */
export async function join(page: Page, name: string, path = "/"): Promise<void> {
  await page.goto(path);
  await page.getByTestId("name-input").fill(name);
  await page.getByTestId("name-input").press("Enter");
  await expect(page.getByTestId("connection-status")).toHaveAttribute("data-state", "live");
}

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

/** Click board pixel (x, y) with the primary button, without dragging. */
export async function clickPixel(page: Page, x: number, y: number, modifiers: Array<"Shift"> = []): Promise<void> {
  const p = await pixelOnScreen(page, x, y);
  await page.mouse.move(p.x, p.y);
  for (const m of modifiers) await page.keyboard.down(m);
  await page.mouse.down();
  await page.mouse.up();
  for (const m of modifiers) await page.keyboard.up(m);
}
