import { describe, expect, it } from "vitest";
import {
  cleanName,
  decodePixels,
  decodePixelsToArray,
  encodePixels,
  ErrorCodes,
  parseClientMessage,
  PIXEL_RECORD_BYTES,
  PIXELS_FRAME,
  type PixelRecord,
} from "./protocol";
import { prng } from "../test/prng";


const parse = (v: unknown) => parseClientMessage(typeof v === "string" ? v : JSON.stringify(v));

function expectError(v: unknown, code: string) {
  const r = parse(v);
  expect(r.ok).toBe(false);
  if (!r.ok) {
    expect(r.code).toBe(code);
    expect(typeof r.message).toBe("string");
    expect(r.message.length).toBeGreaterThan(0);
  }
}

describe("parseClientMessage: valid messages", () => {
  it("parses place without ref", () => {
    expect(parse({ type: "place", x: 1, y: 2, color: 3 })).toEqual({
      ok: true,
      value: { type: "place", x: 1, y: 2, color: 3, ref: undefined },
    });
  });

  it("parses place with ref, including one of exactly 64 characters", () => {
    expect(parse({ type: "place", x: 0, y: 0, color: 0, ref: "r1" })).toEqual({
      ok: true,
      value: { type: "place", x: 0, y: 0, color: 0, ref: "r1" },
    });
    const ref = "a".repeat(64);
    const r = parse({ type: "place", x: 0, y: 0, color: 0, ref });
    expect(r.ok && r.value.type === "place" && r.value.ref).toBe(ref);
  });

  it("leaves range checks of x, y and color to the canvas service", () => {
    expect(parse({ type: "place", x: -5, y: 1e6, color: 1.5 })).toEqual({
      ok: true,
      value: { type: "place", x: -5, y: 1e6, color: 1.5, ref: undefined },
    });
  });

  it("parses sync, including since 0 and the largest safe integer", () => {
    expect(parse({ type: "sync", since: 42 })).toEqual({ ok: true, value: { type: "sync", since: 42 } });
    expect(parse({ type: "sync", since: 0 })).toEqual({ ok: true, value: { type: "sync", since: 0 } });
    expect(parse({ type: "sync", since: Number.MAX_SAFE_INTEGER })).toEqual({
      ok: true,
      value: { type: "sync", since: Number.MAX_SAFE_INTEGER },
    });
  });

  it("parses ping", () => {
    expect(parse({ type: "ping" })).toEqual({ ok: true, value: { type: "ping" } });
  });

  it("ignores unknown fields and does not copy them into the value", () => {
    expect(parse({ type: "ping", extra: 1, nested: { a: [1] } })).toEqual({ ok: true, value: { type: "ping" } });
    expect(parse({ type: "sync", since: 3, foo: "bar" })).toEqual({ ok: true, value: { type: "sync", since: 3 } });
    expect(parse({ type: "place", x: 1, y: 2, color: 3, admin: true })).toEqual({
      ok: true,
      value: { type: "place", x: 1, y: 2, color: 3, ref: undefined },
    });
  });
});

describe("parseClientMessage: errors", () => {
  it.each(["", "{", "not json", "{'type':'ping'}", '{"type":"ping",}', "undefined", "NaN"])(
    "bad JSON %j → bad_json",
    (text) => expectError(text, ErrorCodes.badJson),
  );

  it.each(["[]", '[{"type":"ping"}]', "null", "0", "42", "-1.5", '"ping"', '""', "true", "false"])(
    "non-object %s → bad_message",
    (text) => expectError(text, ErrorCodes.badMessage),
  );

  it.each([{}, { type: 1 }, { type: null }, { type: ["ping"] }, { type: { x: 1 } }, { Type: "ping" }])(
    "missing or non-string type %j → bad_message",
    (msg) => expectError(msg, ErrorCodes.badMessage),
  );

  it.each([
    { type: "place", y: 1, color: 1 },
    { type: "place", x: 1, color: 1 },
    { type: "place", x: 1, y: 1 },
    { type: "place", x: "1", y: 1, color: 1 },
    { type: "place", x: 1, y: null, color: 1 },
    { type: "place", x: 1, y: 1, color: "red" },
    { type: "place", x: 1, y: 1, color: true },
    { type: "place", x: [1], y: 1, color: 1 },
  ])("place with missing or wrong-typed coordinates %j → bad_message", (msg) =>
    expectError(msg, ErrorCodes.badMessage),
  );

  it.each([
    { type: "place", x: 1, y: 1, color: 1, ref: "a".repeat(65) },
    { type: "place", x: 1, y: 1, color: 1, ref: 5 },
    { type: "place", x: 1, y: 1, color: 1, ref: null },
    { type: "place", x: 1, y: 1, color: 1, ref: { id: "a" } },
  ])("place with a bad ref → bad_message (#%#)", (msg) => expectError(msg, ErrorCodes.badMessage));

  it.each([
    { type: "sync" },
    { type: "sync", since: -1 },
    { type: "sync", since: 1.5 },
    { type: "sync", since: "3" },
    { type: "sync", since: null },
    { type: "sync", since: Number.MAX_SAFE_INTEGER + 1 },
  ])("sync with a bad since %j → bad_message", (msg) => expectError(msg, ErrorCodes.badMessage));

  it("sync with since 1e400 (Infinity after JSON.parse) → bad_message", () => {
    expectError('{"type":"sync","since":1e400}', ErrorCodes.badMessage);
  });

  it.each(["pong", "PING", "Place", "", "welcome", "__proto__"])("unknown type %j → unknown_type", (type) =>
    expectError({ type }, ErrorCodes.unknownType),
  );

  it("truncates a long unknown type in the message", () => {
    const r = parse({ type: "x".repeat(1000) });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message.length).toBeLessThan(100);
  });
});

describe("parseClientMessage: fuzz", () => {
  const ALPHABET = ['{', '}', '[', ']', '"', ':', ',', '\\', ' ', 'a', 'e', '0', '1', '-', '.', 'E', 'n', 'u', 'l', 't', 'y', 'p', '\u0000', 'é', '😀'];

  function randomJson(rand: () => number, depth: number): unknown {
    const k = Math.floor(rand() * (depth > 3 ? 6 : 8));
    switch (k) {
      case 0:
        return null;
      case 1:
        return rand() < 0.5;
      case 2:
        return [0, -1, 1.5, 1e308, -0, 2 ** 53, 65535, 4294967295][Math.floor(rand() * 8)];
      case 3:
        return ["", "place", "sync", "ping", "type", "x".repeat(70), "\u0000", "😀"][Math.floor(rand() * 8)];
      case 4:
        return Math.floor(rand() * 1000) - 500;
      case 5:
        return rand().toString(36);
      case 6:
        return Array.from({ length: Math.floor(rand() * 4) }, () => randomJson(rand, depth + 1));
      default: {
        const keys = ["type", "x", "y", "color", "ref", "since", "__proto__", "constructor", "extra"];
        const obj: Record<string, unknown> = {};
        const n = Math.floor(rand() * 6);
        for (let i = 0; i < n; i++) obj[keys[Math.floor(rand() * keys.length)]] = randomJson(rand, depth + 1);
        if (rand() < 0.6) obj.type = ["place", "sync", "ping", "nope"][Math.floor(rand() * 4)];
        return obj;
      }
    }
  }

  function randomText(rand: () => number): string {
    const len = Math.floor(rand() * 40);
    let s = "";
    for (let i = 0; i < len; i++) s += ALPHABET[Math.floor(rand() * ALPHABET.length)];
    return s;
  }

  /** A message close to a valid one: right type, each field randomly kept, dropped or replaced. */
  function nearlyValid(rand: () => number): unknown {
    const base: Record<string, unknown>[] = [
      { type: "place", x: 1, y: 2, color: 3, ref: "r" },
      { type: "sync", since: 10 },
      { type: "ping" },
    ];
    const msg = { ...base[Math.floor(rand() * base.length)] };
    for (const key of Object.keys(msg)) {
      if (key === "type") continue;
      const roll = rand();
      if (roll < 0.15) delete msg[key];
      else if (roll < 0.3) msg[key] = randomJson(rand, 3);
    }
    return msg;
  }

  it("2,000 random strings and JSON values never throw and always give a well-formed result", () => {
    const rand = prng(20240601);
    const codes = new Set<string>(Object.values(ErrorCodes));
    const seen = { ok: 0, fail: 0 };
    for (let i = 0; i < 2000; i++) {
      const kind = i % 3;
      const text =
        kind === 0 ? randomText(rand) : JSON.stringify(kind === 1 ? randomJson(rand, 0) : nearlyValid(rand)) ?? "";
      let r: ReturnType<typeof parseClientMessage> | undefined;
      expect(() => {
        r = parseClientMessage(text);
      }, `input ${JSON.stringify(text)}`).not.toThrow();
      if (r!.ok) {
        seen.ok++;
        expect(["place", "sync", "ping"]).toContain(r!.value.type);
      } else {
        seen.fail++;
        expect(codes.has(r!.code), `code ${r!.code}`).toBe(true);
        expect(r!.code).not.toBe(ErrorCodes.binaryNotAccepted);
      }
    }
    // The generator must exercise both paths to be meaningful.
    expect(seen.ok).toBeGreaterThan(200);
    expect(seen.fail).toBeGreaterThan(200);
  });
});

describe("PIXELS codec", () => {
  it("encodes a header byte and 9 little-endian bytes per record", () => {
    const frame = encodePixels([{ seq: 0x04030201, x: 0x0605, y: 0x0807, color: 0x09 }]);
    expect([...frame]).toEqual([PIXELS_FRAME, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(PIXEL_RECORD_BYTES).toBe(9);
  });

  it("round-trips records, including maximum field values", () => {
    const records: PixelRecord[] = [
      { seq: 1, x: 0, y: 0, color: 0 },
      { seq: 2 ** 32 - 1, x: 65535, y: 65535, color: 255 },
      { seq: 123456, x: 999, y: 4095, color: 31 },
    ];
    const frame = encodePixels(records);
    expect(frame.length).toBe(1 + 9 * records.length);
    expect(decodePixelsToArray(frame)).toEqual(records);

    const seen: PixelRecord[] = [];
    expect(decodePixels(frame, (seq, x, y, color) => seen.push({ seq, x, y, color }))).toBe(3);
    expect(seen).toEqual(records);
  });

  it("decodes a frame that is a view into a larger buffer", () => {
    const inner = encodePixels([{ seq: 7, x: 8, y: 9, color: 10 }]);
    const big = new Uint8Array(inner.length + 5);
    big.set(inner, 3);
    expect(decodePixelsToArray(big.subarray(3, 3 + inner.length))).toEqual([{ seq: 7, x: 8, y: 9, color: 10 }]);
  });

  it("round-trips a large random batch", () => {
    const rand = prng(7);
    const records: PixelRecord[] = Array.from({ length: 1024 }, () => ({
      seq: Math.floor(rand() * 2 ** 32),
      x: Math.floor(rand() * 65536),
      y: Math.floor(rand() * 65536),
      color: Math.floor(rand() * 256),
    }));
    expect(decodePixelsToArray(encodePixels(records))).toEqual(records);
  });

  it("returns -1 for an empty frame", () => {
    let calls = 0;
    expect(decodePixels(new Uint8Array(0), () => calls++)).toBe(-1);
    expect(calls).toBe(0);
  });

  it("returns -1 when the first byte is not the PIXELS marker", () => {
    const frame = encodePixels([{ seq: 1, x: 2, y: 3, color: 4 }]);
    frame[0] = 0x02;
    expect(decodePixels(frame, () => {})).toBe(-1);
    frame[0] = 0x00;
    expect(decodePixels(frame, () => {})).toBe(-1);
    expect(decodePixelsToArray(frame)).toBeNull();
  });

  it.each([2, 9, 11, 18, 20])("returns -1 for a length of %i (not 1 + 9k)", (len) => {
    const frame = new Uint8Array(len);
    frame[0] = PIXELS_FRAME;
    let calls = 0;
    expect(decodePixels(frame, () => calls++)).toBe(-1);
    expect(calls).toBe(0);
  });

  it("accepts lengths 10 and 19", () => {
    for (const [len, n] of [
      [10, 1],
      [19, 2],
    ]) {
      const frame = new Uint8Array(len);
      frame[0] = PIXELS_FRAME;
      expect(decodePixels(frame, () => {})).toBe(n);
    }
  });
});

describe("cleanName", () => {
  it("trims surrounding whitespace", () => {
    expect(cleanName("  ada  ")).toBe("ada");
    expect(cleanName("\t\nGrace Hopper\n")).toBe("Grace Hopper");
  });

  it("allows letters, digits, inner spaces, underscore and hyphen", () => {
    expect(cleanName("pixel_fan-42")).toBe("pixel_fan-42");
    expect(cleanName("a b  c")).toBe("a b  c");
    expect(cleanName("7")).toBe("7");
  });

  it("allows letters of other scripts", () => {
    expect(cleanName("Zoë")).toBe("Zoë");
    expect(cleanName("Ольга")).toBe("Ольга");
    expect(cleanName("山田太郎")).toBe("山田太郎");
    expect(cleanName("Σωκράτης")).toBe("Σωκράτης");
    expect(cleanName("محمد")).toBe("محمد");
  });

  it("allows names whose script needs combining marks (Devanagari vowel signs, decomposed accents)", () => {
    // "हिन्दी" is letters plus vowel signs / virama (Unicode category M): a name in Hindi.
    expect(cleanName("हिन्दी")).toBe("हिन्दी");
    // "José" typed with a combining acute accent (NFD), as some keyboards/OSes produce it.
    // Normalised to NFC, so one name has one spelling whatever the keyboard produced.
    expect(cleanName("Jose\u0301")).toBe("Jos\u00e9");
  });

  it("counts code points: 24 allowed, 25 rejected, astral letters count once", () => {
    expect(cleanName("a".repeat(24))).toBe("a".repeat(24));
    expect(cleanName("a".repeat(25))).toBeNull();
    expect(cleanName("字".repeat(24))).toBe("字".repeat(24));
    // U+20000 (CJK Ext. B) is one code point but two UTF-16 units.
    const astral = "\u{20000}".repeat(24);
    expect(astral.length).toBe(48);
    expect(cleanName(astral)).toBe(astral);
    expect(cleanName("\u{20000}".repeat(25))).toBeNull();
  });

  it("measures length after trimming", () => {
    expect(cleanName("   " + "a".repeat(24) + "   ")).toBe("a".repeat(24));
  });

  it.each(["", "   ", "\t\n"])("rejects empty or blank %j", (s) => {
    expect(cleanName(s)).toBeNull();
  });

  it.each(["a.b", "hi!", "<script>", "a@b", "o'neil", "a/b", "semi;colon", "quote\"", "a+b"])(
    "rejects punctuation %j",
    (s) => expect(cleanName(s)).toBeNull(),
  );

  it.each(["a\u0000b", "a\tb", "a\nb", "a\u007fb", "a\u200bb", "a\u202eb"])(
    "rejects control and invisible characters %j",
    (s) => expect(cleanName(s)).toBeNull(),
  );

  it.each(["😀", "ada😀", "👍🏽", "❤", "🇫🇷"])("rejects emoji %j", (s) => {
    expect(cleanName(s)).toBeNull();
  });

  it.each([undefined, null, 42, true, ["ada"], { name: "ada" }])("rejects non-string %j", (v) => {
    expect(cleanName(v)).toBeNull();
  });
});
