// Draws the template overlay into its own <canvas> (one canvas pixel per board pixel of the
// template's footprint), placed over the board with the same CSS transform, so panning and zooming
// never redraw it and the board's renderer does no extra work. In "mismatched pixels only" mode a
// changed board pixel inside the template queues that one pixel here; the queue is drawn once per
// animation frame, like the board's.

import { paletteRgba } from "../palette";
import { FrameLayer } from "./frame-layer";

/** Up to this many changed pixels are put one by one; more are put tile by tile. */
const SINGLE_PUT_MAX = 24;
/** Tile side (template pixels) for grouping many changes into a few puts. */
const TILE = 32;

/** The board as the layer needs it. */
export interface BoardLike {
  readonly board: { width: number; height: number } | null;
  colorAt(index: number): number;
}

export interface TemplatePixels {
  /** Palette index per template pixel (row-major, width × height), -1 where the template is empty. */
  indices: Int16Array;
  width: number;
  height: number;
  /** Board position of the top-left template pixel. */
  x: number;
  y: number;
}

export class TemplateLayer extends FrameLayer {
  private canvas: HTMLCanvasElement | null = null;
  private ctx: CanvasRenderingContext2D | null = null;
  private image: ImageData | null = null;
  private words: Uint32Array | null = null;
  private colors: Uint32Array;
  private tpl: TemplatePixels | null = null;
  private mismatchOnly = false;
  private queue: number[] = [];
  private full = true;
  /** Template pixels that do not match the board yet (when a template is set). */
  mismatches = 0;
  /** Called after each draw with the mismatch count (the panel shows it). */
  onDrawn: ((mismatches: number) => void) | null = null;

  constructor(
    private source: BoardLike,
    palette: readonly string[],
  ) {
    super();
    this.colors = paletteRgba(palette);
  }

  setSource(source: BoardLike): void {
    this.source = source;
    this.invalidateAll();
  }

  attach(canvas: HTMLCanvasElement | null): void {
    if (canvas === this.canvas) return;
    this.canvas = canvas;
    this.ctx = canvas ? canvas.getContext("2d") : null;
    this.image = null;
    this.invalidateAll();
  }

  setTemplate(tpl: TemplatePixels | null, mismatchOnly: boolean): void {
    this.tpl = tpl;
    this.raw = null;
    this.mismatchOnly = mismatchOnly;
    this.image = null;
    this.invalidateAll();
  }

  /**
   * An image whose pixels can't be read (cross-origin without CORS): drawn as it is, scaled to
   * width × height, without palette matching or mismatches.
   */
  setImage(img: CanvasImageSource, width: number, height: number): void {
    this.tpl = null;
    this.raw = { img, width, height };
    this.image = null;
    this.invalidateAll();
  }

  private raw: { img: CanvasImageSource; width: number; height: number } | null = null;

  invalidateAll(): void {
    this.full = true;
    this.queue.length = 0;
    this.schedule();
  }

  /** Board pixel `index` changed colour. Only matters when only mismatches are drawn. */
  invalidate(index: number): void {
    const t = this.tpl;
    const b = this.source.board;
    if (!t || !b || this.full) return;
    const bx = index % b.width;
    const by = (index - bx) / b.width;
    const tx = bx - t.x;
    const ty = by - t.y;
    if (tx < 0 || ty < 0 || tx >= t.width || ty >= t.height) return;
    const ti = ty * t.width + tx;
    if (t.indices[ti] < 0) return;
    this.queue.push(ti);
    this.schedule();
  }

  protected draw(): void {
    const t = this.tpl;
    const canvas = this.canvas;
    const ctx = this.ctx;
    if (this.raw && canvas && ctx && this.full) {
      if (canvas.width !== this.raw.width || canvas.height !== this.raw.height) return;
      ctx.imageSmoothingEnabled = false;
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(this.raw.img, 0, 0, this.raw.width, this.raw.height);
      this.full = false;
      return;
    }
    if (!t || !canvas || !ctx) return;
    if (canvas.width !== t.width || canvas.height !== t.height) return; // React has not sized it yet
    if (!this.image) {
      this.image = ctx.createImageData(t.width, t.height);
      this.words = new Uint32Array(this.image.data.buffer);
      this.full = true;
    }
    const words = this.words!;
    const b = this.source.board;
    if (this.full) {
      if (this.matched.length !== t.indices.length) this.matched = new Uint8Array(t.indices.length);
      let miss = 0;
      for (let ti = 0; ti < t.indices.length; ti++) {
        const m = this.matches(ti, t, b);
        this.matched[ti] = m ? 1 : 0;
        if (t.indices[ti] >= 0 && !m) miss++;
        words[ti] = this.word(ti, t, m);
      }
      this.mismatches = miss;
      ctx.putImageData(this.image, 0, 0);
      this.full = false;
      this.queue.length = 0;
      this.onDrawn?.(miss);
      return;
    }
    if (this.queue.length === 0) return;
    const dirty: number[] = [];
    for (const ti of this.queue) {
      const m = this.matches(ti, t, b);
      if ((this.matched[ti] === 1) !== m) this.mismatches += m ? -1 : 1;
      this.matched[ti] = m ? 1 : 0;
      const w = this.word(ti, t, m);
      if (words[ti] === w) continue;
      words[ti] = w;
      dirty.push(ti);
    }
    this.queue.length = 0;
    if (dirty.length <= SINGLE_PUT_MAX) {
      for (const ti of dirty) {
        const x = ti % t.width;
        ctx.putImageData(this.image, 0, 0, x, (ti - x) / t.width, 1, 1);
      }
    } else {
      // A crowd's scattered pixels: one put per touched tile, as the board's renderer does.
      const tilesX = Math.ceil(t.width / TILE);
      const boxes = new Map<number, [number, number, number, number]>();
      for (const ti of dirty) {
        const x = ti % t.width;
        const y = (ti - x) / t.width;
        const key = Math.floor(y / TILE) * tilesX + Math.floor(x / TILE);
        const bx = boxes.get(key);
        if (!bx) boxes.set(key, [x, y, x, y]);
        else {
          bx[0] = Math.min(bx[0], x);
          bx[1] = Math.min(bx[1], y);
          bx[2] = Math.max(bx[2], x);
          bx[3] = Math.max(bx[3], y);
        }
      }
      for (const [x0, y0, x1, y1] of boxes.values()) ctx.putImageData(this.image, 0, 0, x0, y0, x1 - x0 + 1, y1 - y0 + 1);
    }
    this.onDrawn?.(this.mismatches);
  }

  /** Per template pixel: 1 when the board shows the template's colour there. */
  private matched = new Uint8Array(0);

  private matches(ti: number, t: TemplatePixels, b: { width: number; height: number } | null): boolean {
    const want = t.indices[ti];
    if (want < 0 || !b) return false;
    const bx = t.x + (ti % t.width);
    const by = t.y + Math.floor(ti / t.width);
    return bx >= 0 && by >= 0 && bx < b.width && by < b.height && this.source.colorAt(by * b.width + bx) === want;
  }

  private word(ti: number, t: TemplatePixels, matches: boolean): number {
    const want = t.indices[ti];
    if (want < 0 || (this.mismatchOnly && matches)) return 0;
    return this.colors[want] ?? 0;
  }
}
