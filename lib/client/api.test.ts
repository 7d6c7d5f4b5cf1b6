import { afterEach, describe, expect, it, vi } from "vitest";
import { getCanvas, getSession, takePrefetched } from "./api";

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
      "/api/session": { at: Date.now() - 60_000, res },
    };
    expect(takePrefetched("/api/canvas", 15_000)).toBe(res);
    expect(takePrefetched("/api/canvas", 15_000)).toBeNull();
    expect(takePrefetched("/api/session", 15_000)).toBeNull(); // too old
    expect(takePrefetched("/api/session", 15_000)).toBeNull();
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
