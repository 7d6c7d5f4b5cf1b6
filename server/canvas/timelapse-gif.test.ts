// The timelapse renderer alone (no worker, no database): every frame, decoded by an independent
// GIF reader, shows exactly the board after its number of placements, scaled by sampling.

import { describe, expect, it } from "vitest";
import { PALETTE } from "../../lib/palette";
import { readGif } from "../../test/gif-reader";
import { prng } from "../../test/prng";
import { PACKED_RECORD_BYTES } from "./store";
import { TimelapseGif, TOO_LARGE_PREFIX } from "./timelapse-gif";

type Rec = [x: number, y: number, color: number];

function pack(recs: Rec[]): Uint8Array {
  const out = new Uint8Array(recs.length * PACKED_RECORD_BYTES);
  const dv = new DataView(out.buffer);
  recs.forEach(([x, y, c], i) => {
    dv.setUint32(i * PACKED_RECORD_BYTES, i + 1);
    dv.setUint32(i * PACKED_RECORD_BYTES + 4, (x << 20) | (y << 8) | c);
  });
  return out;
}

/** The board after the first `n` records, sampled at `scale`. */
function expected(base: Uint8Array, w: number, h: number, recs: Rec[], n: number, scale: number): Uint8Array {
  const b = base.slice();
  for (const [x, y, c] of recs.slice(0, n)) b[y * w + x] = c;
  const ow = Math.ceil(w / scale);
  const oh = Math.ceil(h / scale);
  const out = new Uint8Array(ow * oh);
  for (let y = 0; y < oh; y++) for (let x = 0; x < ow; x++) out[y * ow + x] = b[y * scale * w + x * scale];
  return out;
}

describe("TimelapseGif", () => {
  const w = 37;
  const h = 23;
  const rand = prng(5);
  const recs: Rec[] = Array.from({ length: 500 }, () => [Math.floor(rand() * w), Math.floor(rand() * h), Math.floor(rand() * PALETTE.length)]);
  const base = Uint8Array.from({ length: w * h }, () => Math.floor(rand() * PALETTE.length));
  const packed = pack(recs);

  for (const scale of [1, 2, 3]) {
    it(`draws every frame exactly at scale ${scale}, fed in uneven pages`, () => {
      const frameAfter = [0, 1, 7, 100, 250, 499, 500];
      const t = new TimelapseGif({ width: w, height: h, scale, base, frameAfter, palette: PALETTE, delayMs: 100, lastDelayMs: 2_000, maxBytes: 1e8 });
      t.feed(packed.subarray(0, 300 * PACKED_RECORD_BYTES), 300);
      t.feed(packed.subarray(300 * PACKED_RECORD_BYTES, 301 * PACKED_RECORD_BYTES), 1);
      t.feed(packed.subarray(301 * PACKED_RECORD_BYTES), 199);
      const gif = readGif(t.finish());
      expect([gif.width, gif.height]).toEqual([Math.ceil(w / scale), Math.ceil(h / scale)]);
      expect(gif.loop).toBe(0);
      expect(gif.frames).toHaveLength(frameAfter.length);
      frameAfter.forEach((n, f) => expect(gif.frames[f], `frame ${f}`).toEqual(expected(base, w, h, recs, n, scale)));
      expect(gif.delaysMs).toEqual([100, 100, 100, 100, 100, 100, 2_000]);
      expect(gif.colors.slice(0, PALETTE.length).map(([r, g, b]) => `#${((r << 16) | (g << 8) | b).toString(16).padStart(6, "0").toUpperCase()}`)).toEqual(PALETTE);
    });
  }

  it("refuses to finish before the last frame's placements arrived", () => {
    const t = new TimelapseGif({ width: w, height: h, scale: 1, base, frameAfter: [0, 10], palette: PALETTE, delayMs: 100, lastDelayMs: 100, maxBytes: 1e8 });
    t.feed(packed.subarray(0, 5 * PACKED_RECORD_BYTES), 5);
    expect(() => t.finish()).toThrow("ended after 5");
  });

  it("stops with a clear error once the GIF passes its size limit", () => {
    const frameAfter = Array.from({ length: 501 }, (_, i) => i);
    const t = new TimelapseGif({ width: w, height: h, scale: 1, base, frameAfter, palette: PALETTE, delayMs: 100, lastDelayMs: 100, maxBytes: 4_000 });
    expect(() => t.feed(packed, 500)).toThrow(TOO_LARGE_PREFIX);
  });
});
