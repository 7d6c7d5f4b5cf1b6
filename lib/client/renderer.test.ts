import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Board } from "../canvas";
import { fakeCanvas, stubAnimationFrames } from "../../test/fake-canvas";
import { PALETTE, paletteRgba } from "../palette";
import { BoardRenderer, type PixelSource } from "./renderer";

const rgba = paletteRgba(PALETTE);

describe("BoardRenderer", () => {
  let runFrame: () => void;
  let pendingFrames: () => number;
  beforeEach(() => {
    ({ runFrame, pendingFrames } = stubAnimationFrames());
  });
  afterEach(() => vi.unstubAllGlobals());

  // Big enough that two changed pixels stay below the "repaint everything" threshold.
  const W = 40;
  const H = 30;

  function setup() {
    const board = new Board(W, H);
    const overrides = new Map<number, { color: number }>();
    const source: PixelSource = {
      board,
      colorAt: (i) => overrides.get(i)?.color ?? board.pixels[i],
      overrides: () => overrides.entries(),
    };
    const r = new BoardRenderer(source, PALETTE);
    const c = fakeCanvas(W, H);
    r.attach(c.canvas);
    const words = () => new Uint32Array((r as unknown as { image: ImageData }).image.data.buffer);
    return { board, overrides, r, c, runFrame, words };
  }

  it("paints the whole board once, then only what changed, once per frame", () => {
    const t = setup();
    const bytes = new Uint8Array(W * H);
    bytes[5] = 4;
    t.board.load(bytes, 0);
    t.runFrame();
    expect(t.c.puts).toEqual([[]]); // one full putImageData
    expect(t.words()[5]).toBe(rgba[4]);
    expect(t.words()[0]).toBe(rgba[0]);

    t.board.apply(1, 1, 0, 7);
    t.r.invalidate(1);
    t.board.apply(2, 3, 2, 9);
    t.r.invalidate(2 * W + 3);
    expect(pendingFrames()).toBe(1); // many changes, one frame
    t.runFrame();
    expect(t.c.puts.slice(1)).toEqual([
      [1, 0, 1, 1],
      [3, 2, 1, 1],
    ]);
    expect(t.words()[1]).toBe(rgba[7]);
    expect(t.words()[2 * W + 3]).toBe(rgba[9]);
  });

  it("puts many scattered changes tile by tile, each covering only its changed pixels", () => {
    const t = setup();
    t.runFrame();
    const changed: Array<[number, number]> = [];
    for (let k = 0; k < 30; k++) changed.push([2 + (k % 10), 3 + Math.floor(k / 10)]); // tile (0, 0)
    changed.push([35, 20]); // tile (1, 0)
    changed.forEach(([x, y], k) => {
      t.board.apply(k + 1, x, y, 7);
      t.r.invalidate(y * W + x);
    });
    t.runFrame();
    expect(t.c.puts.slice(1)).toEqual([
      [2, 3, 10, 3],
      [35, 20, 1, 1],
    ]);
    for (const [x, y] of changed) expect(t.words()[y * W + x]).toBe(rgba[7]);
  });

  it("draws optimistic overrides and rolls them back", () => {
    const t = setup();
    t.runFrame();
    t.overrides.set(2, { color: 12 });
    t.r.invalidate(2);
    t.runFrame();
    expect(t.words()[2]).toBe(rgba[12]);
    t.overrides.delete(2);
    t.r.invalidate(2);
    t.runFrame();
    expect(t.words()[2]).toBe(rgba[0]);
  });

  it("waits until the canvas has the board's size", () => {
    const t = setup();
    (t.c.canvas as { width: number }).width = 1;
    t.runFrame();
    expect(t.c.puts).toEqual([]);
    (t.c.canvas as { width: number }).width = W;
    t.r.invalidateAll();
    t.runFrame();
    expect(t.c.puts).toEqual([[]]);
  });
});
