// Draws the board into its <canvas>: one persistent ImageData written through a Uint32Array view,
// changed pixels queued and flushed once per animation frame with putImageData of the dirty area.

import { paletteRgba } from "../palette";
import type { Board } from "../canvas";
import { FrameLayer } from "./frame-layer";

/** What the renderer draws: the board plus optimistic overrides. */
export interface PixelSource {
  readonly board: Board | null;
  /** Palette index shown at pixel `index` (optimistic override or board). */
  colorAt(index: number): number;
  /** Optimistic overrides, applied after a full repaint from the board bytes. */
  overrides(): Iterable<[number, { color: number }]>;
}

/** Opaque magenta for a palette index the palette does not have (never expected). */
const MISSING_RGBA = 0xffff00ff;
/** Up to this many queued pixels are put one by one; more are put tile by tile. */
const SINGLE_PUT_MAX = 24;
/** Tile side (board pixels) for grouping many changed pixels into a few small puts. */
const TILE = 32;

export class BoardRenderer extends FrameLayer {
  private canvas: HTMLCanvasElement | null = null;
  private ctx: CanvasRenderingContext2D | null = null;
  private image: ImageData | null = null;
  private words: Uint32Array | null = null;
  private colors: Uint32Array;
  private queue: number[] = [];
  private full = true;
  private readonly source: PixelSource;
  /** Called after every full repaint (first board on screen, snapshots, palette changes). */
  onFullPaint: ((canvas: HTMLCanvasElement) => void) | null = null;

  constructor(source: PixelSource, palette: readonly string[]) {
    super();
    this.source = source;
    this.colors = paletteRgba(palette);
  }

  attach(canvas: HTMLCanvasElement | null): void {
    if (canvas === this.canvas) return;
    this.canvas = canvas;
    this.ctx = canvas ? canvas.getContext("2d", { alpha: false }) : null;
    this.image = null;
    this.invalidateAll();
  }

  setPalette(palette: readonly string[]): void {
    this.colors = paletteRgba(palette);
    this.invalidateAll();
  }

  /** Repaint everything on the next frame (new snapshot, resized canvas, new palette). */
  invalidateAll(): void {
    this.full = true;
    this.queue.length = 0;
    this.schedule();
  }

  /** Pixel `index` changed; it is drawn on the next frame. */
  invalidate(index: number): void {
    if (this.full) return;
    // Hidden tabs get no animation frames: past this many, one full repaint is cheaper anyway.
    const board = this.source.board;
    if (board && this.queue.length >= (board.width * board.height) / 8) {
      this.invalidateAll();
      return;
    }
    this.queue.push(index);
    this.schedule();
  }

  protected draw(): void {
    const board = this.source.board;
    const canvas = this.canvas;
    const ctx = this.ctx;
    if (!board || !canvas || !ctx) return;
    // React sets the canvas size from the store; until it matches, wait (attach() re-queues).
    if (canvas.width !== board.width || canvas.height !== board.height) return;
    if (!this.image || this.image.width !== board.width || this.image.height !== board.height) {
      this.image = ctx.createImageData(board.width, board.height);
      this.words = new Uint32Array(this.image.data.buffer);
      this.full = true;
    }
    const words = this.words!;
    const colors = this.colors;
    const w = board.width;

    if (this.full || this.queue.length > (board.width * board.height) / 8) {
      const px = board.pixels;
      for (let i = 0; i < px.length; i++) words[i] = colors[px[i]] ?? MISSING_RGBA;
      for (const [i, p] of this.source.overrides()) words[i] = colors[p.color] ?? MISSING_RGBA;
      ctx.putImageData(this.image, 0, 0);
      this.full = false;
      this.queue.length = 0;
      this.onFullPaint?.(canvas);
      return;
    }
    const q = this.queue;
    if (q.length === 0) return;
    for (const i of q) words[i] = colors[this.source.colorAt(i)] ?? MISSING_RGBA;
    if (q.length <= SINGLE_PUT_MAX) {
      for (const i of q) {
        const x = i % w;
        ctx.putImageData(this.image, 0, 0, x, (i - x) / w, 1, 1);
      }
    } else {
      // Scattered changes (a crowd): one small put per touched tile, covering only its changed
      // pixels — a single bounding rectangle would repaint most of the board every frame.
      const tilesX = Math.ceil(w / TILE);
      const boxes = new Map<number, [number, number, number, number]>();
      for (const i of q) {
        const x = i % w;
        const y = (i - x) / w;
        const key = Math.floor(y / TILE) * tilesX + Math.floor(x / TILE);
        const b = boxes.get(key);
        if (!b) boxes.set(key, [x, y, x, y]);
        else {
          if (x < b[0]) b[0] = x;
          if (y < b[1]) b[1] = y;
          if (x > b[2]) b[2] = x;
          if (y > b[3]) b[3] = y;
        }
      }
      for (const [x0, y0, x1, y1] of boxes.values()) ctx.putImageData(this.image, 0, 0, x0, y0, x1 - x0 + 1, y1 - y0 + 1);
    }
    q.length = 0;
  }
}
