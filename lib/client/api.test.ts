import { afterEach, describe, expect, it, vi } from "vitest";
import { SESSION_PATH, boardPath, getCanvas, getPixel, getSession, getSessionInfo, getUsersPage, placementsWatchSource, socketUrl, takePrefetched } from "./api";
import { encodePixels } from "../protocol";
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
    const snap = await getCanvas("main", Promise.resolve(canvasResponse([1, 2, 3, 4])));
    expect(snap).toEqual({ bytes: new Uint8Array([1, 2, 3, 4]), seq: 3, width: 2, height: 2 });
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("getCanvas asks again when the prefetch failed or was an error", async () => {
    const fetchMock = vi.fn(async () => canvasResponse([0, 0, 0, 9], 7));
    vi.stubGlobal("fetch", fetchMock);
    expect((await getCanvas("club", Promise.reject(new Error("offline")))).seq).toBe(7);
    expect((await getCanvas("club", Promise.resolve(new Response("no", { status: 503 })))).seq).toBe(7);
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(fetchMock.mock.calls[0]).toEqual(["/api/boards/club/canvas", expect.anything()]);
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
    expect(await getPixel("main", 1, 2)).toBeNull();
    expect(await getPixel("main", 1, 2)).toBeNull();
    expect(await getPixel("main", 1, 2)).toEqual(placed);
    expect(String(fetchMock.mock.calls[0][0])).toBe("/api/boards/main/pixel?x=1&y=2&optional=1");
  });
});

describe("board paths", () => {
  it("name the board in every API path and in the socket URL", () => {
    expect(boardPath("club", "/canvas")).toBe("/api/boards/club/canvas");
    expect(boardPath("main")).toBe("/api/boards/main");
    expect(socketUrl({ protocol: "https:", host: "x.example" }, "club")).toBe("wss://x.example/ws?board=club");
    expect(socketUrl({ protocol: "http:", host: "localhost:3000" }, "main")).toBe("ws://localhost:3000/ws?board=main");
  });

  it("getSessionInfo says whether the session may moderate", async () => {
    const body = JSON.stringify({ user: { id: "u1", name: "Mo" }, moderator: true });
    expect(await getSessionInfo(Promise.resolve(new Response(body, { status: 200 })))).toEqual({ user: { id: "u1", name: "Mo" }, moderator: true });
  });

  it("getUsersPage pages with after and limit, and reads the last page's next as null", async () => {
    const fetchMock = vi.fn(async (_url: string) => new Response(JSON.stringify({ users: [{ id: "a", name: "A" }, { bad: 1 }], total: 9, next: null }), { status: 200 }));
    vi.stubGlobal("fetch", fetchMock);
    expect(await getUsersPage("club", "cur", 200)).toEqual({ users: [{ id: "a", name: "A" }], total: 9, next: null });
    expect(fetchMock.mock.calls[0][0]).toBe("/api/boards/club/users?limit=200&after=cur");
  });
});

describe("placementsWatchSource", () => {
  const placements = (records: Array<{ seq: number; x: number; y: number; color: number }>, next = "") =>
    new Response((records.length ? encodePixels(records) : new Uint8Array(0)) as BodyInit, { status: 200, headers: { "X-Next-After": next } });

  it("loads the board once, then asks for the placements after its seq", async () => {
    const urls: string[] = [];
    const answers = [canvasResponse([0, 0, 0, 0], 3), placements([{ seq: 4, x: 1, y: 0, color: 7 }]), placements([])];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: string) => {
        urls.push(url);
        return answers.shift()!;
      }),
    );
    const src = placementsWatchSource("club", 500);
    expect(await src.next(null)).toMatchObject({ kind: "snapshot", seq: 3, width: 2 });
    const board = new Board(2, 2);
    board.load(new Uint8Array(4), 3);
    expect(await src.next(board)).toEqual({ kind: "records", records: [{ seq: 4, x: 1, y: 0, color: 7 }] });
    expect(await src.next(board)).toEqual({ kind: "same" });
    expect(urls).toEqual(["/api/boards/club/canvas", "/api/boards/club/placements?after=3&limit=500", "/api/boards/club/placements?after=3&limit=500"]);
  });

  it("loads the whole board again when it is further behind than one page", async () => {
    const urls: string[] = [];
    const answers = [placements([{ seq: 4, x: 1, y: 0, color: 7 }], "4"), canvasResponse([1, 1, 1, 1], 90)];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: string) => {
        urls.push(url);
        return answers.shift()!;
      }),
    );
    const src = placementsWatchSource("club", 1);
    const board = new Board(2, 2);
    board.load(new Uint8Array(4), 3);
    expect(await src.next(board)).toMatchObject({ kind: "snapshot", seq: 90 });
    expect(urls[1]).toBe("/api/boards/club/canvas");
  });

  it("takes the head script's prefetch for its first answer", async () => {
    const fetchMock = vi.fn();
    vi.stubGlobal("fetch", fetchMock);
    const src = placementsWatchSource("main", 10, () => Promise.resolve(canvasResponse([0, 1, 0, 1], 2)));
    expect(await src.next(null)).toMatchObject({ kind: "snapshot", seq: 2 });
    expect(fetchMock).not.toHaveBeenCalled();
  });
});
