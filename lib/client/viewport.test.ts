import { describe, expect, it } from "vitest";
import { MAX_ZOOM } from "./constants";
import {
  centerOn,
  clampZoom,
  fitView,
  fitZoom,
  initialView,
  panBy,
  parseDeepLink,
  pixelAt,
  resizeView,
  screenToBoard,
  viewToLink,
  wheelZoomFactor,
  withDeepLink,
  zoomAt,
  zoomLimits,
} from "./viewport";

const board = { width: 1000, height: 500 };
const vp = { width: 800, height: 600 };

describe("zoom limits", () => {
  it("fits the limiting side", () => {
    expect(fitZoom(board, vp)).toBeCloseTo(0.8);
  });

  it("ranges from half of fit to MAX_ZOOM and clamps", () => {
    expect(zoomLimits(board, vp)).toEqual({ min: 0.4, max: MAX_ZOOM });
    expect(clampZoom(0.01, board, vp)).toBe(0.4);
    expect(clampZoom(1000, board, vp)).toBe(MAX_ZOOM);
    expect(clampZoom(Number.NaN, board, vp)).toBeCloseTo(0.8);
  });
});

describe("centerOn", () => {
  it("puts the centre of the pixel at the viewport centre", () => {
    const v = centerOn(10, 20, 16, board, vp);
    expect(v.zoom).toBe(16);
    // The same mapping a test does with the canvas rectangle: left + (x + 0.5) * zoom.
    expect(v.panX + 10.5 * 16).toBe(400);
    expect(v.panY + 20.5 * 16).toBe(300);
    expect(pixelAt(v, 400, 300, board)).toEqual({ x: 10, y: 20 });
  });

  it("works at the board's corners", () => {
    const v = centerOn(999, 499, 8, board, vp);
    expect(pixelAt(v, 400, 300, board)).toEqual({ x: 999, y: 499 });
    const o = centerOn(0, 0, 64, board, vp);
    expect(pixelAt(o, 400, 300, board)).toEqual({ x: 0, y: 0 });
  });
});

describe("zoomAt", () => {
  it("keeps the board point under the cursor", () => {
    const v = centerOn(500, 250, 4, board, vp);
    const before = screenToBoard(v, 123, 456);
    const z = zoomAt(v, 9, 123, 456, board, vp);
    expect(z.zoom).toBe(9);
    const after = screenToBoard(z, 123, 456);
    expect(after.x).toBeCloseTo(before.x);
    expect(after.y).toBeCloseTo(before.y);
  });

  it("returns the same view at a limit", () => {
    const v = centerOn(500, 250, MAX_ZOOM, board, vp);
    expect(zoomAt(v, MAX_ZOOM * 2, 10, 10, board, vp)).toBe(v);
  });
});

describe("panBy", () => {
  it("moves the board with the pointer", () => {
    const v = centerOn(500, 250, 4, board, vp);
    const p = panBy(v, 40, -12, board, vp);
    expect(p.panX - v.panX).toBe(40);
    expect(p.panY - v.panY).toBe(-12);
  });

  it("never loses the board: the viewport centre stays on it", () => {
    const v = centerOn(500, 250, 4, board, vp);
    const far = panBy(v, 1e6, -1e6, board, vp);
    const c = screenToBoard(far, vp.width / 2, vp.height / 2);
    expect(c.x).toBe(0);
    expect(c.y).toBe(board.height);
  });
});

describe("fitView and resize", () => {
  it("centres the whole board", () => {
    const v = fitView(board, vp);
    expect(v.panX + (board.width * v.zoom) / 2).toBeCloseTo(400);
    expect(v.panY + (board.height * v.zoom) / 2).toBeCloseTo(300);
    expect(board.width * v.zoom).toBeLessThanOrEqual(vp.width);
  });

  it("keeps the centre pixel on resize", () => {
    const v = centerOn(321, 123, 12, board, vp);
    const r = resizeView(v, vp, { width: 390, height: 700 }, board);
    expect(pixelAt(r, 195, 350, board)).toEqual({ x: 321, y: 123 });
  });
});

describe("deep links", () => {
  it("parses and rejects bad values", () => {
    expect(parseDeepLink("?x=12&y=34&zoom=16")).toEqual({ x: 12, y: 34, zoom: 16 });
    expect(parseDeepLink("?x=abc&y=&zoom=-2")).toEqual({ x: undefined, y: undefined, zoom: undefined });
    expect(parseDeepLink("?x=12.7&y=3")).toEqual({ x: 12, y: 3, zoom: undefined });
  });

  it("makes the initial view from the link, clamped to the board", () => {
    const v = initialView("?x=200&y=100&zoom=20", board, vp);
    expect(v.zoom).toBe(20);
    expect(pixelAt(v, 400, 300, board)).toEqual({ x: 200, y: 100 });
    const c = initialView("?x=5000&y=-3&zoom=8", board, vp);
    expect(pixelAt(c, 400, 300, board)).toEqual({ x: 999, y: 0 });
    expect(initialView("", board, vp)).toEqual(fitView(board, vp));
  });

  it("round-trips through viewToLink", () => {
    const v = centerOn(77, 88, 12.5, board, vp);
    const link = viewToLink(v, vp, board);
    expect(link).toEqual({ x: 77, y: 88, zoom: 12.5 });
    expect(withDeepLink("?foo=1&x=3", link)).toBe("?foo=1&x=77&y=88&zoom=12.5");
    const again = initialView(withDeepLink("", link), board, vp);
    expect(pixelAt(again, 400, 300, board)).toEqual({ x: 77, y: 88 });
  });
});

describe("wheelZoomFactor", () => {
  it("zooms in on wheel up, out on wheel down, bounded", () => {
    expect(wheelZoomFactor(-100, 0)).toBeGreaterThan(1);
    expect(wheelZoomFactor(100, 0)).toBeLessThan(1);
    expect(wheelZoomFactor(-1e5, 0)).toBe(2);
    expect(wheelZoomFactor(3, 1)).toBeCloseTo(wheelZoomFactor(48, 0));
  });
});
