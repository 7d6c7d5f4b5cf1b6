// The timelapse GIF of a stretch of a board's history, built in one pass over its placements
// (server/canvas/timelapse.ts feeds them; this runs in the render worker). The image is the board
// scaled down by an integer factor `scale`: output pixel (x, y) shows board pixel (x·scale,
// y·scale), so placements elsewhere are skipped and nothing is resampled per frame.
//
// The first frame is the whole image; every later one holds only the pixels that changed since
// the frame before, the rest transparent over the previous frame (disposal "leave in place"), which
// LZW squeezes to almost nothing on a board that changes a little between frames.

import { createRequire } from "node:module";
import type * as Gifenc from "gifenc";
import { PACKED_RECORD_BYTES } from "./store";

// gifenc ships CommonJS for Node and an ES build under "module" that bundlers prefer, with
// different default exports; require() gives the same CommonJS object everywhere.
const { GIFEncoder } = createRequire(import.meta.url)("gifenc") as typeof Gifenc;

/** The palette's colours take indexes 0…31 of the GIF's 64-entry table; this one means "unchanged". */
const UNCHANGED = 32;
/** 64-entry colour table and LZW codes of 6 bits at least: room for the 32 colours and UNCHANGED. */
const COLOR_DEPTH = 6;
/** GIF disposal method 1: leave the frame in place, so the next frame's transparent pixels show it. */
const DISPOSE_KEEP = 1;

export interface TimelapseSpec {
  /** The board's size. */
  width: number;
  height: number;
  scale: number;
  /** The board before the first placement fed, width × height. */
  base: Uint8Array;
  /** Frame i is drawn after this many placements have been fed (ascending; 0 = the base itself). */
  frameAfter: readonly number[];
  /** `#RRGGBB` colours, at most 32. */
  palette: readonly string[];
  delayMs: number;
  lastDelayMs: number;
  /** The GIF may not grow past this many bytes (the request should ask for fewer frames). */
  maxBytes: number;
}

/** How a timelapse too large for TimelapseSpec.maxBytes fails (the HTTP layer answers 413 with it). */
export const TOO_LARGE_PREFIX = "timelapse too large:";

/** The output size of a width × height board at `scale`. */
export function scaledSize(width: number, height: number, scale: number): { width: number; height: number } {
  return { width: Math.ceil(width / scale), height: Math.ceil(height / scale) };
}

export class TimelapseGif {
  private readonly out: { width: number; height: number };
  private readonly cur: Uint8Array;
  private readonly prev: Uint8Array;
  private readonly delta: Uint8Array;
  private readonly encoder = GIFEncoder({ initialCapacity: 1 << 16 });
  private readonly colors: Array<[number, number, number]>;
  private applied = 0;
  private frame = 0;

  constructor(private readonly spec: TimelapseSpec) {
    const { width, height, scale, base, palette } = spec;
    if (base.length !== width * height) throw new Error(`timelapse base has ${base.length} bytes for ${width}×${height}`);
    if (palette.length > UNCHANGED) throw new Error(`a timelapse palette has at most ${UNCHANGED} colours`);
    this.out = scaledSize(width, height, scale);
    const n = this.out.width * this.out.height;
    this.cur = new Uint8Array(n);
    this.prev = new Uint8Array(n);
    this.delta = new Uint8Array(n);
    for (let oy = 0; oy < this.out.height; oy++) {
      const row = oy * scale * width;
      for (let ox = 0; ox < this.out.width; ox++) this.cur[oy * this.out.width + ox] = this.clamp(base[row + ox * scale]);
    }
    this.colors = palette.map(rgb);
    while (this.colors.length <= UNCHANGED) this.colors.push([0, 0, 0]);
    this.emitDue();
  }

  get size(): { width: number; height: number } {
    return this.out;
  }

  /** Apply `count` packed placements (the next ones in seq order), drawing each frame as it falls due. */
  feed(records: Uint8Array, count: number): void {
    if (records.length < count * PACKED_RECORD_BYTES) throw new Error(`${records.length} bytes cannot hold ${count} records`);
    const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
    const { width, height, scale, frameAfter } = this.spec;
    const outW = this.out.width;
    let i = 0;
    while (i < count) {
      // Apply up to the next frame's point (or the page's end) in one tight loop.
      const due = this.frame < frameAfter.length ? frameAfter[this.frame] : Infinity;
      const stop = Math.min(count, i + (due - this.applied));
      const start = i;
      for (; i < stop; i++) {
        const lo = view.getUint32(i * PACKED_RECORD_BYTES + 4);
        const x = lo >>> 20;
        const y = (lo >>> 8) & 0xfff;
        if (x < width && y < height && x % scale === 0 && y % scale === 0) this.cur[(y / scale) * outW + x / scale] = this.clamp(lo & 0xff);
      }
      this.applied += stop - start;
      this.emitDue();
    }
  }

  private clamp(color: number): number {
    return color < this.spec.palette.length ? color : 0;
  }

  private emitDue(): void {
    const { frameAfter } = this.spec;
    while (this.frame < frameAfter.length && frameAfter[this.frame] === this.applied) this.writeFrame();
  }

  private writeFrame(): void {
    const { width, height } = this.out;
    const last = this.frame === this.spec.frameAfter.length - 1;
    const delay = last ? this.spec.lastDelayMs : this.spec.delayMs;
    if (this.frame === 0) {
      this.encoder.writeFrame(this.cur, width, height, { palette: this.colors, delay, repeat: 0, colorDepth: COLOR_DEPTH });
    } else {
      for (let i = 0; i < this.cur.length; i++) this.delta[i] = this.cur[i] === this.prev[i] ? UNCHANGED : this.cur[i];
      this.encoder.writeFrame(this.delta, width, height, { delay, transparent: true, transparentIndex: UNCHANGED, dispose: DISPOSE_KEEP, colorDepth: COLOR_DEPTH });
    }
    this.prev.set(this.cur);
    this.frame++;
    if (this.encoder.bytesView().length > this.spec.maxBytes) {
      throw new Error(`${TOO_LARGE_PREFIX} it passed ${this.spec.maxBytes} bytes at frame ${this.frame}; ask for fewer frames or a shorter range`);
    }
  }

  /** The GIF, once every frame is drawn. */
  finish(): Uint8Array {
    if (this.frame < this.spec.frameAfter.length) {
      throw new Error(`the placements ended after ${this.applied}; frame ${this.frame} needed ${this.spec.frameAfter[this.frame]}`);
    }
    this.encoder.finish();
    return this.encoder.bytes();
  }
}

function rgb(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}
