// Property-based tests (fast-check): whatever bytes or JSON arrive, the decoders and validators
// never throw, and a live gateway fed random frames answers each one, stays up, and leaves the
// board exactly as it was. Every fast-check run uses the run's seed (printed; TESSERA_SEED replays it).

import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Board } from "../lib/canvas";
import { cleanName, decodePixels, encodePixels, parseClientMessage, PIXEL_RECORD_BYTES } from "../lib/protocol";
import { readPixelMessage } from "../server/cluster/pixel-channel";
import { Signer } from "../server/cluster/signing";
import { fetchBoard, newSession, startTestServer, TestClient, waitFor } from "./helpers";
import { testSeed } from "./prng";

const seed = testSeed();
fc.configureGlobal({ seed });

/** JSON values shaped like client messages, most of them subtly wrong. */
const messageLike = fc.record(
  {
    type: fc.oneof(fc.constantFrom("place", "sync", "ping", "PLACE", "", "__proto__"), fc.string(), fc.integer()),
    x: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null)),
    y: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.boolean()),
    color: fc.oneof(fc.integer(), fc.double({ noNaN: false }), fc.string()),
    since: fc.oneof(fc.integer(), fc.double(), fc.string()),
    ref: fc.oneof(fc.string({ maxLength: 80 }), fc.integer(), fc.constant(undefined)),
  },
  { requiredKeys: [] },
);

describe("decoders and validators never throw", () => {
  it("parseClientMessage on any string or JSON value", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), messageLike.map((m) => JSON.stringify(m))), (text) => {
        const r = parseClientMessage(text);
        if (r.ok) expect(["place", "sync", "ping", "view", "cursor"]).toContain(r.value.type);
        else expect(typeof r.message).toBe("string");
      }),
      { numRuns: 3_000 },
    );
  });

  it("decodePixels on any bytes: -1 or the exact record count", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const n = decodePixels(bytes, () => {});
        const wellFormed = bytes.length >= 1 + PIXEL_RECORD_BYTES && bytes[0] === 1 && (bytes.length - 1) % PIXEL_RECORD_BYTES === 0;
        expect(n).toBe(wellFormed ? (bytes.length - 1) / PIXEL_RECORD_BYTES : -1);
      }),
      { numRuns: 3_000 },
    );
  });

  it("encode/decode round-trips any records", () => {
    const record = fc.record({ seq: fc.nat(0xffffffff), x: fc.nat(0xffff), y: fc.nat(0xffff), color: fc.nat(0xff) });
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 50 }), (records) => {
        const out: typeof records = [];
        decodePixels(encodePixels(records), (seq, x, y, color) => out.push({ seq, x, y, color }));
        expect(out).toEqual(records);
      }),
    );
  });

  it("cleanName accepts only 1-24 letters, marks, digits, spaces, '_' and '-', and no control characters", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), fc.anything()), (input) => {
        const name = cleanName(input);
        if (name === null) return;
        expect(name).toBe(name.trim());
        expect([...name].length).toBeGreaterThanOrEqual(1);
        expect([...name].length).toBeLessThanOrEqual(24);
        expect(name).not.toMatch(/[\p{Cc}\p{Cf}<>&"'`]/u);
      }),
      { numRuns: 3_000 },
    );
  });

  it("a pixel-updates message from anyone on the Redis channel decodes or is rejected, never throws", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        // Unsigned text is refused outright; signed text (as if a replica had sent it) is bounded.
        const signer = new Signer("property-test-secret");
        expect(signer.verify(text)).toBeNull();
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          return;
        }
        const verified = signer.verify(typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length > 0 ? signer.sign(value) : "");
        if (!verified) return;
        const r = readPixelMessage(verified, "main", { width: 8, height: 8 });
        if (r) for (const rec of r.records) expect(rec.seq >= 1 && rec.x < 8 && rec.y < 8 && rec.color < 32).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it("Board.apply of random records in random order matches the in-order board", () => {
    const rec = fc.record({ x: fc.nat(7), y: fc.nat(5), color: fc.nat(31) });
    fc.assert(
      fc.property(fc.array(rec, { maxLength: 60 }).chain((rs) => fc.tuple(fc.constant(rs), fc.shuffledSubarray(rs.map((_, i) => i), { minLength: rs.length }))), ([rs, order]) => {
        const inOrder = new Board(8, 6);
        rs.forEach((r, i) => inOrder.apply(i + 1, r.x, r.y, r.color));
        const shuffled = new Board(8, 6);
        for (const i of order) shuffled.apply(i + 1, rs[i].x, rs[i].y, rs[i].color);
        expect(shuffled.pixels).toEqual(inOrder.pixels);
        expect(shuffled.seq).toBe(rs.length);
      }),
    );
  });
});

describe("a live gateway under random frames", () => {
  let srv: Awaited<ReturnType<typeof startTestServer>>;
  beforeAll(async () => {
    // A long cooldown, already running for this user: no frame, however well-formed, may change the board.
    srv = await startTestServer({ env: { COOLDOWN_MS: "3600000", CANVAS_WIDTH: "50", CANVAS_HEIGHT: "50", PLACEMENTS_PER_CONNECTION_PER_S: "0" } });
  });
  afterAll(() => srv.close());

  it("answers every random frame, stays connected, and leaves the board unchanged", async () => {
    const { cookie } = await newSession(srv.url, "fuzzer");
    const c = await TestClient.connect(srv.url, cookie);
    expect((await c.place(1, 1, 1)).type).toBe("ack");
    const before = await fetchBoard(srv.url);
    const frames = fc.sample(
      fc.oneof(
        fc.string({ maxLength: 300 }),
        fc.json({ maxDepth: 3 }).filter((j) => j.length <= 1000),
        messageLike.map((m) => JSON.stringify(m)),
        fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
      ),
      { numRuns: 400, seed },
    );
    for (const f of frames) c.ws.send(f);
    // Every frame is answered (error, reject, pong, or replayed records for a valid sync); then a ping.
    const from = c.messages.length;
    c.send({ type: "ping" });
    await c.next("pong", () => true, from, 10_000);
    expect(c.closeCode).toBeNull();
    const after = await fetchBoard(srv.url);
    expect(after.seq).toBe(before.seq);
    expect(Buffer.compare(Buffer.from(after.bytes), Buffer.from(before.bytes))).toBe(0);
    await waitFor(() => c.messages.length > frames.length / 2, 5_000, "answers to the random frames");
    c.close();
  });
});
