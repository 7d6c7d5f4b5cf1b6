import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Board } from "../canvas";
import { fakeCanvas, stubAnimationFrames } from "../../test/fake-canvas";
import { PALETTE, paletteRgba } from "../palette";
import { TemplateLayer } from "./template-layer";

const rgba = paletteRgba(PALETTE);

describe("TemplateLayer", () => {
  let runFrame: () => void;
  beforeEach(() => {
    runFrame = stubAnimationFrames().runFrame;
  });
  afterEach(() => vi.unstubAllGlobals());


  /** A 3×2 template at board (2, 1) on an 8×4 board: colours 7 7 7 / 18 -1 18. */
  function setup(mismatchOnly: boolean) {
    const board = new Board(8, 4);
    const layer = new TemplateLayer({ board, colorAt: (i) => board.pixels[i] }, PALETTE);
    const c = fakeCanvas(3, 2);
    layer.attach(c.canvas);
    layer.setTemplate({ indices: Int16Array.from([7, 7, 7, 18, -1, 18]), width: 3, height: 2, x: 2, y: 1 }, mismatchOnly);
    runFrame();
    const words = () => new Uint32Array((layer as unknown as { image: ImageData }).image.data.buffer);
    return { board, layer, c, words };
  }

  it("draws the template's palette colours, leaves its empty pixels clear, and counts mismatches", () => {
    const t = setup(false);
    expect([...t.words()]).toEqual([rgba[7], rgba[7], rgba[7], rgba[18], 0, rgba[18]]);
    expect(t.layer.mismatches).toBe(5);
  });

  it("in mismatch mode, a board pixel that comes to match disappears from the layer, one small put", () => {
    const t = setup(true);
    t.c.puts.length = 0;
    t.board.apply(1, 2, 1, 7); // template pixel (0, 0) now matches
    t.layer.invalidate(1 * 8 + 2);
    t.board.apply(2, 7, 3, 4); // outside the template: ignored
    t.layer.invalidate(3 * 8 + 7);
    runFrame();
    expect(t.words()[0]).toBe(0);
    expect(t.words()[1]).toBe(rgba[7]);
    expect(t.layer.mismatches).toBe(4);
    expect(t.c.puts).toEqual([[0, 0, 1, 1]]);
    // Painted over with another colour: it differs again and shows again.
    t.board.apply(3, 2, 1, 9);
    t.layer.invalidate(1 * 8 + 2);
    runFrame();
    expect(t.words()[0]).toBe(rgba[7]);
    expect(t.layer.mismatches).toBe(5);
  });

  it("off-board template pixels never match", () => {
    const board = new Board(2, 2);
    const layer = new TemplateLayer({ board, colorAt: (i) => board.pixels[i] }, PALETTE);
    layer.attach(fakeCanvas(2, 1).canvas);
    layer.setTemplate({ indices: Int16Array.from([0, 0]), width: 2, height: 1, x: 1, y: 0 }, true);
    runFrame();
    // (1, 0) is white like the template; (2, 0) is off the board.
    expect(layer.mismatches).toBe(1);
  });
});
