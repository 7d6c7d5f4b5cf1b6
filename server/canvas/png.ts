// A minimal PNG encoder for the board: 8-bit indexed colour, the palette as PLTE, one IDAT.

import zlib from "node:zlib";

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "ascii");
  data.copy(out, 8);
  out.writeUInt32BE(zlib.crc32(out.subarray(4, 8 + data.length)) >>> 0, 8 + data.length);
  return out;
}

/** Encode row-major palette indices as an indexed-colour PNG, one image pixel per board pixel. */
export function encodeIndexedPng(width: number, height: number, pixels: Uint8Array, palette: readonly string[]): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 3; // colour type: indexed
  // compression, filter, interlace: 0
  const plte = Buffer.alloc(palette.length * 3);
  palette.forEach((hex, i) => {
    const v = parseInt(hex.slice(1), 16);
    plte[i * 3] = (v >> 16) & 0xff;
    plte[i * 3 + 1] = (v >> 8) & 0xff;
    plte[i * 3 + 2] = v & 0xff;
  });
  const raw = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = 0; // filter: none
    raw.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  }
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    chunk("IHDR", ihdr),
    chunk("PLTE", plte),
    chunk("IDAT", zlib.deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
