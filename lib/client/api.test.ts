import { afterEach, describe, expect, it, vi } from "vitest";
import { SESSION_PATH, canvasWatchSource, getCanvas, getPixel, getSession, takePrefetched } from "./api";
import { Board } from "../canvas";

type G = { __tesseraPrefetch?: Record<string, { at: number; res: Promise<Response> } | undefined> };

function canvasResponse(bytes: number[], seq = 3): Response {
  return new Response(new Uint8Array(bytes), {
    status: 200,
    headers: { "X-Canvas-Seq": String(seq), "X-Canvas-Width": "2", "X-Canvas-Height": "2" },
  });
}

afterEach(() => {
  delete (globalThis as G).__tesseraPrefetch;
  vi.unstubAllGlobals();
});

describe("prefetched requests", () => {
  it("are taken once, and only while fresh", () => {
    const res = Promise.resolve(new Response("x"));
    (globalThis as G).__tesseraPrefetch = {
      "/api/canvas": { at: Date.now(), res },
      [SESSION_PATH]: { at: Date.now() - 60_000, res },
    };
    expect(takePrefetched("/api/canvas", 15_000)).toBe(res);
    expect(takePrefetched("/api/canvas", 15_000)).toBeNull();
    expect(takePrefetched(SESSION_PATH, 15_000)).toBeNull(); // too old
    expect(takePrefetched(SESSION_PATH, 15_000)).toBeNull();
  });

  it("getCanvas uses a good prefetched response without asking again", async () => {
    const fetchMock = vi.fn();
    vi.stubGlobal("fetch", fetchMock);
    const snap = await getCanvas(Promise.resolve(canvasResponse([1, 2, 3, 4])));
    expect(snap).toEqual({ bytes: new Uint8Array([1, 2, 3, 4]), seq: 3, width: 2, height: 2 });
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("getCanvas asks again when the prefetch failed or was an error", async () => {
    const fetchMock = vi.fn(async () => canvasResponse([0, 0, 0, 9], 7));
    vi.stubGlobal("fetch", fetchMock);
    expect((await getCanvas(Promise.reject(new Error("offline")))).seq).toBe(7);
    expect((await getCanvas(Promise.resolve(new Response("no", { status: 503 })))).seq).toBe(7);
    expect(fetchMock).toHaveBeenCalledTimes(2);
  });

  it("getSession takes a prefetched 401 as 'no session'", async () => {
    const fetchMock = vi.fn();
    vi.stubGlobal("fetch", fetchMock);
    const body = JSON.stringify({ error: { code: "no_session", message: "no" } });
    expect(await getSession(Promise.resolve(new Response(body, { status: 401 })))).toBeNull();
    const user = { id: "u1", name: "Ann" };
    expect(await getSession(Promise.resolve(new Response(JSON.stringify({ user }), { status: 200 })))).toEqual(user);
    expect(fetchMock).not.toHaveBeenCalled();
  });
});

describe("expected answers that are not errors", () => {
  it("getSession asks with optional=1 and takes 200 {user:null} as 'no session'", async () => {
    const fetchMock = vi.fn(async (_url: string) => new Response(JSON.stringify({ user: null }), { status: 200 }));
    vi.stubGlobal("fetch", fetchMock);
    expect(await getSession()).toBeNull();
    expect(fetchMock.mock.calls[0][0]).toBe("/api/session?optional=1");
  });

  it("getPixel asks with optional=1 and takes 200 {user:null} or 404 as 'never placed'", async () => {
    const never = JSON.stringify({ x: 1, y: 2, color: 0, seq: null, user: null, placedAt: null });
    const placed = { x: 1, y: 2, color: 5, seq: 9, user: { id: "u", name: "Ann" }, placedAt: "2025-01-01T00:00:00.000Z" };
    const answers = [new Response(never, { status: 200 }), new Response("{}", { status: 404 }), new Response(JSON.stringify(placed), { status: 200 })];
    const fetchMock = vi.fn(async (_url: string) => answers.shift()!);
    vi.stubGlobal("fetch", fetchMock);
    expect(await getPixel(1, 2)).toBeNull();
    expect(await getPixel(1, 2)).toBeNull();
    expect(await getPixel(1, 2)).toEqual(placed);
    expect(String(fetchMock.mock.calls[0][0])).toBe("/api/pixel?x=1&y=2&optional=1");
  });
});

describe("canvasWatchSource", () => {
  it("sends If-None-Match once it has a board and takes 304 as 'same'", async () => {
    const calls: Array<Record<string, string>> = [];
    const answers = [
      new Response(new Uint8Array([1, 2, 3, 4]), {
        status: 200,
        headers: { "X-Canvas-Seq": "3", "X-Canvas-Width": "2", "X-Canvas-Height": "2", ETag: '"2x2-3-3"' },
      }),
      new Response(null, { status: 304 }),
    ];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (_url: string, init?: { headers?: Record<string, string> }) => {
        calls.push(init?.headers ?? {});
        return answers.shift()!;
      }),
    );
    const src = canvasWatchSource();
    const first = await src.next(null);
    expect(first).toEqual({ kind: "snapshot", bytes: new Uint8Array([1, 2, 3, 4]), seq: 3, width: 2, height: 2 });
    expect(calls[0]["If-None-Match"]).toBeUndefined();
    const board = new Board(2, 2);
    expect(await src.next(board)).toEqual({ kind: "same" });
    expect(calls[1]["If-None-Match"]).toBe('"2x2-3-3"');
  });

  it("takes the head script's prefetch for its first answer", async () => {
    const fetchMock = vi.fn();
    vi.stubGlobal("fetch", fetchMock);
    const src = canvasWatchSource(() => Promise.resolve(canvasResponse([0, 1, 0, 1], 2)));
    expect(await src.next(null)).toMatchObject({ kind: "snapshot", seq: 2 });
    expect(fetchMock).not.toHaveBeenCalled();
  });
});
