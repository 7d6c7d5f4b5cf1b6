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

/**
 * Encode row-major palette indices as an indexed-colour PNG, `scale`×`scale` image pixels per board
 * pixel (nearest neighbour: sharp pixels for sharing). CPU-bound: the server runs it in a worker.
 */
export function encodeIndexedPng(width: number, height: number, pixels: Uint8Array, palette: readonly string[], scale = 1): Buffer {
  const outW = width * scale;
  const outH = height * scale;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(outW, 0);
  ihdr.writeUInt32BE(outH, 4);
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
  const stride = outW + 1;
  const raw = Buffer.alloc(stride * outH);
  const row = Buffer.alloc(outW);
  for (let y = 0; y < height; y++) {
    const src = pixels.subarray(y * width, (y + 1) * width);
    if (scale === 1) row.set(src);
    else for (let x = 0; x < width; x++) row.fill(src[x], x * scale, (x + 1) * scale);
    // Each image row starts with its filter byte (0: none); a board row repeats `scale` times.
    for (let r = 0; r < scale; r++) row.copy(raw, (y * scale + r) * stride + 1);
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
