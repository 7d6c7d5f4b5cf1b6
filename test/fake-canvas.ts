// A stand-in for a <canvas> and for animation frames, for unit tests of the page's canvas layers
// (lib/client/renderer.ts, lib/client/template-layer.ts) outside a browser.

import { vi } from "vitest";

/** Just enough of a 2D context: ImageData buffers and a log of putImageData calls (their dirty rectangles). */
export function fakeCanvas(width: number, height: number) {
  const puts: number[][] = [];
  const ctx = {
    createImageData: (w: number, h: number) => ({ width: w, height: h, data: new Uint8ClampedArray(w * h * 4) }),
    putImageData: (_img: unknown, _dx: number, _dy: number, ...dirty: number[]) => puts.push(dirty),
  };
  const canvas = { width, height, getContext: () => ctx } as unknown as HTMLCanvasElement;
  return { canvas, puts };
}

/** Stub requestAnimationFrame (call in beforeEach; vi.unstubAllGlobals in afterEach): frames run when the test says. */
export function stubAnimationFrames(): { runFrame: () => void; pendingFrames: () => number } {
  const frames: Array<() => void> = [];
  vi.stubGlobal("requestAnimationFrame", (cb: () => void) => frames.push(cb));
  vi.stubGlobal("cancelAnimationFrame", () => {});
  return { runFrame: () => frames.splice(0).forEach((f) => f()), pendingFrames: () => frames.length };
}
