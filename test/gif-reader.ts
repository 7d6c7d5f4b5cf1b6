// A small GIF reader for tests: the logical screen, the global colour table, and every frame
// decoded (LZW) and composited the way a viewer shows it (transparency over the previous frame,
// disposal 0/1 "leave in place"; other disposals are not used by Tessera and are refused).

export interface GifFrames {
  width: number;
  height: number;
  /** Global colour table as [r, g, b] entries. */
  colors: Array<[number, number, number]>;
  /** Loop count from the NETSCAPE2.0 extension (0 = forever), or null. */
  loop: number | null;
  /** What a viewer shows after each frame: width × height colour indexes. */
  frames: Uint8Array[];
  /** Each frame's delay in ms. */
  delaysMs: number[];
}

export function readGif(bytes: Uint8Array): GifFrames {
  let p = 0;
  const u8 = () => bytes[p++];
  const u16 = () => {
    const v = bytes[p] | (bytes[p + 1] << 8);
    p += 2;
    return v;
  };
  const header = String.fromCharCode(...bytes.subarray(0, 6));
  if (header !== "GIF89a" && header !== "GIF87a") throw new Error(`not a GIF: ${JSON.stringify(header)}`);
  p = 6;
  const width = u16();
  const height = u16();
  const fields = u8();
  p += 2; // background colour, aspect ratio
  const colors: Array<[number, number, number]> = [];
  if (fields & 0x80) {
    const n = 1 << ((fields & 7) + 1);
    for (let i = 0; i < n; i++) colors.push([u8(), u8(), u8()]);
  }
  const subBlocks = (): Uint8Array => {
    const parts: number[] = [];
    for (let len = u8(); len !== 0; len = u8()) {
      if (p + len > bytes.length) throw new Error("truncated sub-block");
      for (let i = 0; i < len; i++) parts.push(bytes[p + i]);
      p += len;
    }
    return Uint8Array.from(parts);
  };
  const screen = new Uint8Array(width * height);
  const frames: Uint8Array[] = [];
  const delaysMs: number[] = [];
  let loop: number | null = null;
  let transparent: number | null = null;
  let delay = 0;
  for (;;) {
    if (p >= bytes.length) throw new Error("no trailer");
    const tag = u8();
    if (tag === 0x3b) break;
    if (tag === 0x21) {
      const label = u8();
      const data = subBlocks();
      if (label === 0xf9) {
        const disposal = (data[0] >> 2) & 7;
        if (disposal > 1) throw new Error(`disposal ${disposal} not supported here`);
        delay = (data[1] | (data[2] << 8)) * 10;
        transparent = data[0] & 1 ? data[3] : null;
      } else if (label === 0xff && data.length >= 14 && String.fromCharCode(...data.subarray(0, 11)) === "NETSCAPE2.0") {
        loop = data[12] | (data[13] << 8);
      }
      continue;
    }
    if (tag !== 0x2c) throw new Error(`unexpected block 0x${tag.toString(16)} at ${p - 1}`);
    const left = u16();
    const top = u16();
    const w = u16();
    const h = u16();
    const f = u8();
    if (f & 0x80) p += 3 * (1 << ((f & 7) + 1)); // a local table: indexes are still what we compare
    if (f & 0x40) throw new Error("interlaced frames not supported here");
    const minCode = u8();
    const indexes = lzwDecode(subBlocks(), minCode, w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const v = indexes[y * w + x];
        if (v !== transparent) screen[(top + y) * width + left + x] = v;
      }
    }
    frames.push(screen.slice());
    delaysMs.push(delay);
    transparent = null;
    delay = 0;
  }
  return { width, height, colors, loop, frames, delaysMs };
}

function lzwDecode(data: Uint8Array, minCodeSize: number, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels);
  const clear = 1 << minCodeSize;
  const end = clear + 1;
  // Each table entry: its prefix code and last byte; strings are rebuilt backwards.
  const prefix = new Int32Array(4096);
  const suffix = new Uint8Array(4096);
  const lengths = new Int32Array(4096);
  let size = minCodeSize + 1;
  let next = end + 1;
  let prev = -1;
  let bitPos = 0;
  let o = 0;
  for (let i = 0; i < clear; i++) {
    suffix[i] = i;
    lengths[i] = 1;
    prefix[i] = -1;
  }
  const firstByte = (code: number) => {
    while (prefix[code] !== -1) code = prefix[code];
    return suffix[code];
  };
  const emit = (code: number) => {
    const len = lengths[code];
    if (o + len > pixels) throw new Error("frame data longer than the frame");
    let c = code;
    for (let i = len - 1; i >= 0; i--) {
      out[o + i] = suffix[c];
      c = prefix[c];
    }
    o += len;
  };
  for (;;) {
    if (bitPos + size > data.length * 8) throw new Error("LZW data ended without an end code");
    let code = 0;
    for (let i = 0; i < size; i++, bitPos++) if (data[bitPos >> 3] & (1 << (bitPos & 7))) code |= 1 << i;
    if (code === clear) {
      size = minCodeSize + 1;
      next = end + 1;
      prev = -1;
      continue;
    }
    if (code === end) break;
    if (prev === -1) {
      emit(code);
      prev = code;
      continue;
    }
    if (code < next) {
      emit(code);
      if (next < 4096) {
        prefix[next] = prev;
        suffix[next] = firstByte(code);
        lengths[next] = lengths[prev] + 1;
        next++;
      }
    } else if (code === next) {
      prefix[next] = prev;
      suffix[next] = firstByte(prev);
      lengths[next] = lengths[prev] + 1;
      next++;
      emit(code);
    } else {
      throw new Error(`bad LZW code ${code} (next ${next})`);
    }
    prev = code;
    if (next === 1 << size && size < 12) size++;
  }
  if (o !== pixels) throw new Error(`frame has ${o} of ${pixels} pixels`);
  return out;
}
