import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { PALETTE } from "../../lib/palette";
import { encodeIndexedPng } from "./png";

interface Chunk {
  type: string;
  data: Buffer;
  crc: number;
  /** Type + data, the bytes the CRC covers. */
  covered: Buffer;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Split a PNG after its signature into chunks, checking that the lengths add up exactly. */
function readChunks(png: Buffer): Chunk[] {
  const chunks: Chunk[] = [];
  let o = 8;
  while (o < png.length) {
    expect(png.length - o).toBeGreaterThanOrEqual(12);
    const len = png.readUInt32BE(o);
    const type = png.toString("ascii", o + 4, o + 8);
    const data = png.subarray(o + 8, o + 8 + len);
    expect(data.length).toBe(len);
    const crc = png.readUInt32BE(o + 8 + len);
    chunks.push({ type, data, crc, covered: png.subarray(o + 4, o + 8 + len) });
    o += 12 + len;
  }
  expect(o).toBe(png.length);
  return chunks;
}

function paletteBytes(palette: readonly string[]): number[] {
  return palette.flatMap((hex) => {
    const v = parseInt(hex.slice(1), 16);
    return [(v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];
  });
}

const SMALL_PALETTE = ["#FFFFFF", "#000000", "#FF4500", "#00A368", "#3690EA"];

describe("encodeIndexedPng", () => {
  const width = 5;
  const height = 3;
  const pixels = Uint8Array.from([0, 1, 2, 3, 4, 4, 3, 2, 1, 0, 1, 1, 2, 2, 3]);
  const png = encodeIndexedPng(width, height, pixels, SMALL_PALETTE);
  const chunks = readChunks(png);

  it("starts with the PNG signature", () => {
    expect([...png.subarray(0, 8)]).toEqual(SIGNATURE);
  });

  it("has IHDR, PLTE, IDAT, IEND in that order", () => {
    expect(chunks.map((c) => c.type)).toEqual(["IHDR", "PLTE", "IDAT", "IEND"]);
    expect(chunks[3].data.length).toBe(0);
  });

  it("writes IHDR: width, height, bit depth 8, colour type 3, no interlace", () => {
    const ihdr = chunks[0].data;
    expect(ihdr.length).toBe(13);
    expect(ihdr.readUInt32BE(0)).toBe(width);
    expect(ihdr.readUInt32BE(4)).toBe(height);
    expect(ihdr[8]).toBe(8);
    expect(ihdr[9]).toBe(3);
    expect([ihdr[10], ihdr[11], ihdr[12]]).toEqual([0, 0, 0]);
  });

  it("writes the palette as PLTE RGB triples", () => {
    expect([...chunks[1].data]).toEqual([
      0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0xff, 0x45, 0x00, 0x00, 0xa3, 0x68, 0x36, 0x90, 0xea,
    ]);
  });

  it("has a valid CRC on every chunk", () => {
    for (const c of chunks) expect(c.crc, c.type).toBe(zlib.crc32(c.covered) >>> 0);
  });

  it("IDAT inflates to rows of filter byte 0 followed by the pixel indices", () => {
    const raw = zlib.inflateSync(chunks[2].data);
    expect(raw.length).toBe((width + 1) * height);
    for (let y = 0; y < height; y++) {
      const row = raw.subarray(y * (width + 1), (y + 1) * (width + 1));
      expect(row[0], `filter byte of row ${y}`).toBe(0);
      expect([...row.subarray(1)], `row ${y}`).toEqual([...pixels.subarray(y * width, (y + 1) * width)]);
    }
  });

  it("encodes the full board palette and a larger board", () => {
    const w = 300;
    const h = 200;
    const px = new Uint8Array(w * h);
    for (let i = 0; i < px.length; i++) px[i] = (i * 7 + (i >> 5)) % PALETTE.length;
    const big = encodeIndexedPng(w, h, px, PALETTE);
    const cs = readChunks(big);
    expect(cs[0].data.readUInt32BE(0)).toBe(w);
    expect(cs[0].data.readUInt32BE(4)).toBe(h);
    expect([...cs[1].data]).toEqual(paletteBytes(PALETTE));
    expect(cs[1].data.length).toBe(PALETTE.length * 3);
    for (const c of cs) expect(c.crc, c.type).toBe(zlib.crc32(c.covered) >>> 0);

    const raw = zlib.inflateSync(cs[2].data);
    expect(raw.length).toBe((w + 1) * h);
    const rebuilt = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) {
      expect(raw[y * (w + 1)]).toBe(0);
      rebuilt.set(raw.subarray(y * (w + 1) + 1, (y + 1) * (w + 1)), y * w);
    }
    expect(rebuilt).toEqual(px);
  });

  it("encodes a 1x1 image", () => {
    const one = readChunks(encodeIndexedPng(1, 1, Uint8Array.from([2]), SMALL_PALETTE));
    expect([...zlib.inflateSync(one[2].data)]).toEqual([0, 2]);
  });
});
