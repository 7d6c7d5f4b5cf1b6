// History over HTTP on a real replica (SPEC §13): `canvas?seq=N` equals a replay of the
// placements API to N for random N (seeded), the placements API pages through everything as PIXELS
// and as JSON, and timelapse GIFs decode frame by frame to the board at each frame's seq.
// (test/history.test.ts covers the same reads at the storage level.)

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodePixelsToArray } from "../lib/protocol";
import { TIMELAPSE_MAX_FRAMES } from "../lib/limits";
import { readGif } from "./gif-reader";
import { createBoard, newSession, startTestServer, TestClient } from "./helpers";
import { prng } from "./prng";

type Running = Awaited<ReturnType<typeof startTestServer>>;
interface P {
  seq: number;
  x: number;
  y: number;
  color: number;
  userId: string;
  placedAt: string;
}

const SEED = Number(process.env.TEST_SEED ?? 20_261_202);
const W = 40;
const H = 30;
const PLACEMENTS = 700;
/** Small, so history reads cross several snapshots. */
const SNAPSHOT_EVERY = 64;

function replay(all: Array<Pick<P, "seq" | "x" | "y" | "color">>, through: number, w = W, h = H): Uint8Array {
  const b = new Uint8Array(w * h);
  for (const p of all) if (p.seq <= through) b[p.y * w + p.x] = p.color;
  return b;
}

describe("history over HTTP", () => {
  let srv: Running;
  let all: P[] = [];
  const clients: TestClient[] = [];

  beforeAll(async () => {
    console.log(`history-http seed ${SEED} (TEST_SEED to repeat)`);
    srv = await startTestServer({ snapshotEvery: SNAPSHOT_EVERY, env: { BOARDS_PER_USER_PER_DAY: "100" } });
    const owner = await newSession(srv.url, "owner");
    expect((await createBoard(srv.url, owner.cookie, { id: "hist", title: "History", width: W, height: H, cooldownMs: 0 })).status).toBe(201);
    const rand = prng(SEED);
    for (let i = 0; i < 4; i++) clients.push(await TestClient.connect(srv.url, (await newSession(srv.url, `painter${i}`)).cookie, {}, "hist"));
    const per = PLACEMENTS / clients.length;
    // Random pixels, with a few hot spots so many pixels are painted over several times.
    const moves = clients.map(() => Array.from({ length: per }, () => [Math.floor(rand() * W), Math.floor(rand() * (rand() < 0.5 ? 5 : H)), Math.floor(rand() * 32)]));
    await Promise.all(
      clients.map(async (c, i) => {
        for (const [x, y, color] of moves[i]) expect((await c.place(x, y, color)).type).toBe("ack");
      }),
    );
    await srv.snapshots.idle();
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await srv?.close();
  });

  it("pages through every placement as JSON and as PIXELS, alike", async () => {
    const json: P[] = [];
    let after: number | null = 0;
    let pages = 0;
    while (after !== null) {
      const res = await fetch(`${srv.url}/api/boards/hist/placements?after=${after}&limit=97`, { headers: { accept: "application/json" } });
      expect(res.status).toBe(200);
      const page = (await res.json()) as { placements: P[]; next: number | null };
      json.push(...page.placements);
      after = page.next;
      pages++;
    }
    expect(pages).toBe(Math.ceil(PLACEMENTS / 97));
    expect(json.map((p) => p.seq)).toEqual(Array.from({ length: PLACEMENTS }, (_, i) => i + 1));
    expect(new Set(json.map((p) => p.userId)).size).toBe(4);
    expect(json.every((p) => !Number.isNaN(Date.parse(p.placedAt)))).toBe(true);

    const binary: Array<{ seq: number; x: number; y: number; color: number }> = [];
    let cursor = "0";
    while (cursor !== "") {
      const res = await fetch(`${srv.url}/api/boards/hist/placements?after=${cursor}&limit=150`);
      expect(res.headers.get("content-type")).toBe("application/octet-stream");
      const records = decodePixelsToArray(new Uint8Array(await res.arrayBuffer()));
      expect(records).not.toBeNull();
      binary.push(...records!);
      cursor = res.headers.get("x-next-after")!;
    }
    expect(binary).toEqual(json.map(({ seq, x, y, color }) => ({ seq, x, y, color })));
    // What the painters were told matches what history says.
    const acked = new Map(clients.flatMap((c) => c.messages.filter((m) => m.type === "ack").map((m) => [(m as { seq: number }).seq, c.welcome.user.id])));
    for (const p of json) expect(acked.get(p.seq)).toBe(p.userId);
    all = json;
  });

  it("gives canvas?seq=N equal to a replay to N, for random N", async () => {
    expect(all).toHaveLength(PLACEMENTS);
    const rand = prng(SEED + 1);
    const ns = [0, 1, SNAPSHOT_EVERY - 1, SNAPSHOT_EVERY, SNAPSHOT_EVERY + 1, PLACEMENTS, ...Array.from({ length: 30 }, () => Math.floor(rand() * (PLACEMENTS + 1)))];
    for (const n of ns) {
      const res = await fetch(`${srv.url}/api/boards/hist/canvas?seq=${n}`);
      expect(res.status, `seq ${n}`).toBe(200);
      expect(res.headers.get("x-canvas-seq")).toBe(String(n));
      expect(new Uint8Array(await res.arrayBuffer()), `board at seq ${n}`).toEqual(replay(all, n));
    }
    expect((await fetch(`${srv.url}/api/boards/hist/canvas?seq=${PLACEMENTS + 1}`)).status).toBe(400);
    // The live board is the replay of everything.
    expect(new Uint8Array(await (await fetch(`${srv.url}/api/boards/hist/canvas`)).arrayBuffer())).toEqual(replay(all, PLACEMENTS));
  });

  it("renders a timelapse whose every frame is the board at its seq, the last at `to`", async () => {
    const from = 37;
    const to = 611;
    const frames = 25;
    const res = await fetch(`${srv.url}/api/boards/hist/timelapse.gif?from=${from}&to=${to}&frames=${frames}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/gif");
    expect(res.headers.get("x-timelapse-frames")).toBe(String(frames));
    expect(res.headers.get("x-timelapse-scale")).toBe("1");
    expect(res.headers.get("cache-control")).toContain("immutable");
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(String.fromCharCode(...bytes.subarray(0, 6))).toBe("GIF89a");
    const gif = readGif(bytes);
    expect([gif.width, gif.height]).toEqual([W, H]);
    expect(gif.frames).toHaveLength(frames);
    const seqs = Array.from({ length: frames }, (_, i) => from + Math.round(((to - from) * i) / (frames - 1)));
    seqs.forEach((s, i) => expect(gif.frames[i], `frame ${i} (seq ${s})`).toEqual(replay(all, s)));
    const atTo = new Uint8Array(await (await fetch(`${srv.url}/api/boards/hist/canvas?seq=${to}`)).arrayBuffer());
    expect(gif.frames.at(-1)).toEqual(atTo);

    // The same request again: the cached GIF, byte for byte; with its ETag, 304.
    const again = await fetch(`${srv.url}/api/boards/hist/timelapse.gif?from=${from}&to=${to}&frames=${frames}`);
    expect(new Uint8Array(await again.arrayBuffer())).toEqual(bytes);
    const etag = again.headers.get("etag")!;
    expect((await fetch(`${srv.url}/api/boards/hist/timelapse.gif?from=${from}&to=${to}&frames=${frames}`, { headers: { "if-none-match": etag } })).status).toBe(304);
  });

  it("defaults to the whole history, and never makes more frames than seqs", async () => {
    const whole = await fetch(`${srv.url}/api/boards/hist/timelapse.gif`);
    expect(whole.status).toBe(200);
    expect(whole.headers.get("x-timelapse-from")).toBe("0");
    expect(whole.headers.get("x-timelapse-to")).toBe(String(PLACEMENTS));
    expect(whole.headers.get("cache-control")).toBe("no-cache");
    const gif = readGif(new Uint8Array(await whole.arrayBuffer()));
    expect(gif.frames).toHaveLength(Number(whole.headers.get("x-timelapse-frames")));
    expect(gif.frames[0]).toEqual(new Uint8Array(W * H));
    expect(gif.frames.at(-1)).toEqual(replay(all, PLACEMENTS));

    const short = await fetch(`${srv.url}/api/boards/hist/timelapse.gif?from=10&to=14&frames=600`);
    expect(short.headers.get("x-timelapse-frames")).toBe("5");
    const g = readGif(new Uint8Array(await short.arrayBuffer()));
    expect(g.frames).toEqual([10, 11, 12, 13, 14].map((s) => replay(all, s)));
  });

  it("refuses bad ranges and frame counts with a clear error", async () => {
    for (const [q, code] of [
      [`from=5&to=${PLACEMENTS + 1}`, "invalid_range"],
      ["from=9&to=8", "invalid_range"],
      ["from=-1", "invalid_range"],
      [`frames=${TIMELAPSE_MAX_FRAMES + 1}`, "invalid_frames"],
      ["frames=0", "invalid_frames"],
      ["frames=abc", "invalid_frames"],
    ]) {
      const res = await fetch(`${srv.url}/api/boards/hist/timelapse.gif?${q}`);
      expect(res.status, q).toBe(400);
      expect((await res.json()).error.code, q).toBe(code);
    }
    expect((await fetch(`${srv.url}/api/boards/nope/timelapse.gif`)).status).toBe(404);
  });

  it("scales boards wider than 512 px down by an integer factor and says so", async () => {
    const owner = await newSession(srv.url, "wide-owner");
    expect((await createBoard(srv.url, owner.cookie, { id: "wide", title: "Wide", width: 1024, height: 300, cooldownMs: 0 })).status).toBe(201);
    const c = await TestClient.connect(srv.url, owner.cookie, {}, "wide");
    clients.push(c);
    const placed: Array<{ seq: number; x: number; y: number; color: number }> = [];
    for (const [x, y, color] of [[0, 0, 5], [1, 0, 6], [2, 2, 7], [1023, 299, 8], [1022, 298, 9], [500, 101, 10], [500, 100, 11]]) {
      const r = await c.place(x, y, color);
      if (r.type !== "ack") throw new Error(`placement refused: ${JSON.stringify(r)}`);
      placed.push({ seq: r.seq, x, y, color });
    }
    const res = await fetch(`${srv.url}/api/boards/wide/timelapse.gif?frames=3`);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-timelapse-scale")).toBe("2");
    expect([res.headers.get("x-timelapse-width"), res.headers.get("x-timelapse-height")]).toEqual(["512", "150"]);
    const gif = readGif(new Uint8Array(await res.arrayBuffer()));
    expect([gif.width, gif.height]).toEqual([512, 150]);
    const full = new Uint8Array(await (await fetch(`${srv.url}/api/boards/wide/canvas`)).arrayBuffer());
    const sampled = new Uint8Array(512 * 150);
    for (let y = 0; y < 150; y++) for (let x = 0; x < 512; x++) sampled[y * 512 + x] = full[y * 2 * 1024 + x * 2];
    expect(gif.frames.at(-1)).toEqual(sampled);
    expect(sampled.filter((v) => v !== 0).length).toBe(4); // (0,0), (2,2), (1022,298) and (500,100) fall on the grid
  });

  it("answers 503 busy when more timelapses are asked for than it renders at once, and serves them later", async () => {
    const urls = Array.from({ length: 6 }, (_, i) => `${srv.url}/api/boards/hist/timelapse.gif?from=${i}&to=${PLACEMENTS}&frames=${TIMELAPSE_MAX_FRAMES}`);
    const first = await Promise.all(urls.map((u) => fetch(u)));
    const statuses = first.map((r) => r.status);
    console.log(`concurrent timelapse statuses: ${statuses.join(" ")}`);
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    for (const r of first) {
      if (r.status === 503) {
        expect(r.headers.get("retry-after")).toBeTruthy();
        expect((await r.json()).error.code).toBe("busy");
      } else await r.arrayBuffer();
    }
    for (const u of urls) {
      const r = await fetch(u);
      expect(r.status).toBe(200);
      expect(readGif(new Uint8Array(await r.arrayBuffer())).frames.at(-1)).toEqual(replay(all, PLACEMENTS));
    }
  });
});
