import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CLIENT_PING_INTERVAL_MS, CLIENT_RECONNECT_MIN_MS } from "../limits";
import { encodePixels, type PixelRecord, type WelcomeMessage } from "../protocol";
import { PALETTE } from "../palette";
import type { CanvasSnapshot } from "./api";
import { ABUSE_RECONNECT_MS, GAP_SYNC_MS, RECONNECT_PROBE_JITTER_MS, RECONNECT_PROBE_MS, SILENT_SOCKET_MS } from "./constants";
import { Connection, backoffDelay, type ConnectionEvent, type SocketLike } from "./connection";

const W = 8;
const H = 4;

class FakeSocket implements SocketLike {
  binaryType = "blob";
  readyState = 0;
  onopen: SocketLike["onopen"] = null;
  onmessage: SocketLike["onmessage"] = null;
  onclose: SocketLike["onclose"] = null;
  onerror: SocketLike["onerror"] = null;
  sent: Array<Record<string, unknown>> = [];
  closed = false;
  constructor(readonly url: string) {}
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.closed = true;
  }
  // ---- server side
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  text(msg: object) {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
  pixels(...records: PixelRecord[]) {
    const f = encodePixels(records);
    this.onmessage?.({ data: f.buffer.slice(f.byteOffset, f.byteOffset + f.byteLength) });
  }
  drop(code: number) {
    this.readyState = 3;
    this.onclose?.({ code, reason: "" });
  }
  ofType(type: string) {
    return this.sent.filter((m) => m.type === type);
  }
}

function welcome(seq: number, extra: Partial<WelcomeMessage> = {}): WelcomeMessage {
  return {
    type: "welcome",
    protocol: 2,
    instanceId: "i1",
    user: { id: "u1", name: "alice" },
    board: { id: "main", title: "main", width: W, height: H, palette: [...PALETTE], cooldownMs: 5000, visibility: "public", state: "open", createdAt: "2026-01-01T00:00:00.000Z", createdBy: null, seq, activeUsers: 1 },
    seq,
    width: W,
    height: H,
    palette: [...PALETTE],
    cooldownMs: 5000,
    cooldownUntil: 0,
    redis: "disabled",
    ...extra,
  };
}

const rec = (seq: number, x: number, y: number, color: number): PixelRecord => ({ seq, x, y, color });

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function setup(opts: { session?: boolean; probe?: () => Promise<boolean> } = {}) {
  const sockets: FakeSocket[] = [];
  const loads: Array<ReturnType<typeof deferred<CanvasSnapshot>>> = [];
  const events: ConnectionEvent[] = [];
  const pixels: number[] = [];
  const conn = new Connection(
    {
      wsUrl: "ws://test/ws",
      createSocket: (url) => {
        const s = new FakeSocket(url);
        sockets.push(s);
        return s;
      },
      loadCanvas: () => {
        const d = deferred<CanvasSnapshot>();
        loads.push(d);
        return d.promise;
      },
      checkSession: async () => opts.session ?? true,
      probe: opts.probe,
      random: () => 0.5,
    },
    { event: (e) => events.push(e), pixel: (i) => pixels.push(i) },
  );
  const snapshot = (seq: number, fill = 0): CanvasSnapshot => ({
    bytes: new Uint8Array(W * H).fill(fill),
    seq,
    width: W,
    height: H,
  });
  const last = () => sockets[sockets.length - 1];
  const ofType = <T extends ConnectionEvent["type"]>(t: T) =>
    events.filter((e): e is Extract<ConnectionEvent, { type: T }> => e.type === t);
  return { conn, sockets, loads, events, pixels, snapshot, last, ofType };
}

const flush = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_000_000);
});
afterEach(() => {
  vi.useRealTimers();
});

describe("Connection start-up", () => {
  it("loads the snapshot and opens the socket in parallel, then syncs the hole", async () => {
    const t = setup();
    t.conn.start();
    expect(t.loads).toHaveLength(1);
    expect(t.sockets).toHaveLength(1);
    expect(t.last().binaryType).toBe("arraybuffer");
    const s = t.last();
    s.open();
    s.text(welcome(12));
    s.pixels(rec(13, 1, 0, 5)); // arrives before the snapshot: buffered
    expect(s.ofType("sync")).toEqual([]);
    t.loads[0].resolve(t.snapshot(10));
    await flush();
    expect(t.ofType("board")).toHaveLength(1);
    expect(s.ofType("sync")).toEqual([{ type: "sync", since: 10 }]);
    s.pixels(rec(11, 0, 0, 3), rec(12, 2, 0, 4));
    expect(t.conn.board!.seq).toBe(13);
    expect(t.conn.board!.get(1, 0)).toBe(5);
    expect(t.pixels).toEqual([0, 2]);
    expect(t.conn.connected).toBe(true);
    expect(t.ofType("link").at(-1)?.state).toBe("live");
  });

  it("sends no sync when the snapshot already covers the welcome", async () => {
    const t = setup();
    t.conn.start();
    t.loads[0].resolve(t.snapshot(20));
    await flush();
    t.last().open();
    t.last().text(welcome(15));
    expect(t.last().ofType("sync")).toEqual([]);
  });

  it("retries a failed snapshot load", async () => {
    const t = setup();
    t.conn.start();
    t.loads[0].reject(new Error("503"));
    await flush();
    expect(t.loads).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(backoffDelay(0, 0.5));
    expect(t.loads).toHaveLength(2);
    t.loads[1].resolve(t.snapshot(0));
    await flush();
    expect(t.conn.board).not.toBeNull();
  });
});

/** A started connection with its board loaded and its socket welcomed at seq 5. */
async function live() {
  const t = setup();
  t.conn.start();
  t.loads[0].resolve(t.snapshot(5));
  await flush();
  t.last().open();
  t.last().text(welcome(5));
  return t;
}

describe("placing", () => {
  it("draws optimistically, settles on ack and starts the cooldown", async () => {
    const t = await live();
    const r = t.conn.place(3, 1, 7);
    expect(r.ok).toBe(true);
    const sent = t.last().ofType("place");
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ x: 3, y: 1, color: 7 });
    const ref = sent[0].ref as string;
    const index = 1 * W + 3;
    expect(t.pixels).toEqual([index]);
    expect(t.conn.colorAt(index)).toBe(7);
    expect(t.conn.place(4, 1, 7)).toEqual({ ok: false, reason: "busy" });

    t.last().text({ type: "ack", ref, seq: 6, cooldownUntil: Date.now() + 5000 });
    expect(t.ofType("cooldown").at(-1)?.until).toBe(Date.now() + 5000);
    expect(t.conn.colorAt(index)).toBe(7);
    const out = t.conn.place(4, 1, 7);
    expect(out).toMatchObject({ ok: false, reason: "cooldown" });
    expect(t.last().ofType("place")).toHaveLength(1); // not sent

    t.last().pixels(rec(6, 3, 1, 7));
    expect(t.conn.pending.size).toBe(0);
    expect(t.conn.board!.get(3, 1)).toBe(7);
  });

  it("rolls back on reject and takes the server's retry time", async () => {
    const t = await live();
    t.conn.place(0, 0, 9);
    const ref = t.last().ofType("place")[0].ref as string;
    t.last().text({ type: "reject", ref, code: "cooldown", message: "wait", retryAfterMs: 1500 });
    expect(t.conn.colorAt(0)).toBe(0);
    expect(t.pixels).toEqual([0, 0]);
    expect(t.ofType("rejected")[0]).toMatchObject({ code: "cooldown", retryAfterMs: 1500 });
    expect(t.ofType("cooldown").at(-1)?.until).toBe(Date.now() + 1500);
  });

  it("holds a placement made while connecting until the welcome", async () => {
    const t = setup();
    t.conn.start();
    t.loads[0].resolve(t.snapshot(0));
    await flush();
    expect(t.conn.place(0, 0, 1).ok).toBe(true);
    expect(t.conn.colorAt(0)).toBe(1);
    t.last().open();
    expect(t.last().sent).toEqual([]);
    t.last().text(welcome(0));
    expect(t.last().ofType("place")).toHaveLength(1);
    expect(t.conn.place(W, 0, 1)).toEqual({ ok: false, reason: "invalid" });
  });

  it("refuses while waiting to reconnect", async () => {
    const t = await live();
    t.last().drop(1006);
    expect(t.conn.place(0, 0, 1)).toEqual({ ok: false, reason: "offline" });
  });

  it("rolls back an unanswered placement when the socket drops", async () => {
    const t = await live();
    t.conn.place(1, 1, 2);
    t.last().drop(1006);
    expect(t.conn.pending.size).toBe(0);
    expect(t.ofType("lost")).toEqual([{ type: "lost", count: 1 }]);
  });

  it("honours the cooldown announced in welcome", async () => {
    const t = setup();
    t.conn.start();
    t.loads[0].resolve(t.snapshot(0));
    await flush();
    t.last().open();
    t.last().text(welcome(0, { cooldownUntil: Date.now() + 2000 }));
    expect(t.conn.place(0, 0, 1)).toMatchObject({ reason: "cooldown", remainingMs: 2000 });
  });
});

describe("reconnecting", () => {
  async function live(seq = 5) {
    const t = setup();
    t.conn.start();
    t.loads[0].resolve(t.snapshot(seq));
    await flush();
    t.last().open();
    t.last().text(welcome(seq));
    return t;
  }

  it("keeps the board and syncs from board.seq after backoff", async () => {
    const t = await live();
    t.last().pixels(rec(6, 0, 0, 1));
    t.last().drop(1006);
    expect(t.ofType("link").at(-1)?.state).toBe("reconnecting");
    const delay = backoffDelay(0, 0.5);
    expect(delay).toBeGreaterThanOrEqual(CLIENT_RECONNECT_MIN_MS / 2);
    await vi.advanceTimersByTimeAsync(delay - 1);
    expect(t.sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.sockets).toHaveLength(2);
    t.last().open();
    t.last().text(welcome(30));
    expect(t.last().ofType("sync")).toEqual([{ type: "sync", since: 6 }]);
    expect(t.loads).toHaveLength(1); // no refetch
    expect(t.conn.board!.get(0, 0)).toBe(1);
  });

  it("reconnect() swaps the socket at once (new session) and syncs from the kept board", async () => {
    const t = await live();
    t.last().pixels(rec(6, 0, 0, 1));
    const old = t.last();
    t.conn.reconnect();
    expect(old.closed).toBe(true);
    expect(t.sockets).toHaveLength(2); // no backoff wait
    t.last().open();
    t.last().text(welcome(9, { user: { id: "u2", name: "bob" } }));
    expect(t.conn.user).toEqual({ id: "u2", name: "bob" });
    expect(t.last().ofType("sync")).toEqual([{ type: "sync", since: 6 }]);
    expect(t.loads).toHaveLength(1);
    expect(t.ofType("link").at(-1)?.state).toBe("live");
    // The old socket's late close changes nothing.
    old.drop(1000);
    expect(t.conn.connected).toBe(true);
  });

  it("backs off exponentially up to the maximum", () => {
    expect(backoffDelay(1, 1)).toBe(backoffDelay(0, 1) * 2);
    expect(backoffDelay(50, 1)).toBe(backoffDelay(60, 1));
    expect(backoffDelay(3, 0)).toBe(backoffDelay(3, 1) / 2);
  });

  it("comes back quickly after 1001 and slowly after 1008", async () => {
    const t = await live();
    t.last().drop(1001);
    await vi.advanceTimersByTimeAsync(CLIENT_RECONNECT_MIN_MS);
    expect(t.sockets).toHaveLength(2);
    t.last().open();
    t.last().text(welcome(5));
    t.last().drop(1008);
    await vi.advanceTimersByTimeAsync(ABUSE_RECONNECT_MS - 1);
    expect(t.sockets).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(ABUSE_RECONNECT_MS);
    expect(t.sockets).toHaveLength(3);
  });

  it("shows the name form when the upgrade fails for lack of a session", async () => {
    const t = setup({ session: false });
    t.conn.start();
    t.last().drop(1006); // never opened: like an HTTP 401 on the upgrade
    await flush();
    expect(t.ofType("unauthorized")).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.sockets).toHaveLength(1);
  });

  it("refetches the board on resync and continues", async () => {
    const t = await live();
    t.last().text({ type: "resync", seq: 500 });
    expect(t.loads).toHaveLength(2);
    t.last().pixels(rec(501, 1, 1, 3)); // buffered during the reload
    t.loads[1].resolve(t.snapshot(500, 2));
    await flush();
    expect(t.ofType("redraw")).toHaveLength(1);
    expect(t.conn.board!.seq).toBe(501);
    expect(t.conn.board!.get(1, 1)).toBe(3);
    expect(t.conn.board!.get(0, 0)).toBe(2);
    expect(t.last().ofType("sync")).toEqual([]);
  });

  it("pings, and drops a silent socket", async () => {
    const t = await live();
    await vi.advanceTimersByTimeAsync(CLIENT_PING_INTERVAL_MS);
    expect(t.last().ofType("ping")).toHaveLength(1);
    t.last().text({ type: "pong" });
    await vi.advanceTimersByTimeAsync(SILENT_SOCKET_MS + CLIENT_PING_INTERVAL_MS);
    expect(t.sockets[0].closed).toBe(true);
    expect(t.conn.connected).toBe(false);
  });

  it("asks for a hole that stays open", async () => {
    const t = await live();
    t.last().pixels(rec(7, 0, 0, 1)); // 6 is missing
    await vi.advanceTimersByTimeAsync(GAP_SYNC_MS + 1000);
    expect(t.last().ofType("sync")).toEqual([{ type: "sync", since: 5 }]);
  });

  it("goes offline with the browser and back when it returns", async () => {
    const t = await live();
    t.conn.setBrowserOnline(false);
    expect(t.ofType("link").at(-1)).toMatchObject({ state: "live", browserOffline: true });
    t.last().drop(1006);
    expect(t.ofType("link").at(-1)?.state).toBe("offline");
    await vi.advanceTimersByTimeAsync(30_000);
    expect(t.sockets).toHaveLength(1);
    t.conn.setBrowserOnline(true);
    expect(t.sockets).toHaveLength(2);
  });

  it("stops cleanly", async () => {
    const t = await live();
    t.conn.stop();
    expect(t.sockets[0].closed).toBe(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.sockets).toHaveLength(1);
    expect(t.ofType("link").at(-1)?.state).toBe("stopped");
  });
});

describe("probing the server while disconnected", () => {
  const PROBE_EVERY = RECONNECT_PROBE_MS + Math.round(0.5 * RECONNECT_PROBE_JITTER_MS);

  /** A live connection whose server then goes away for `failedAttempts` reconnect attempts. */
  async function outage(failedAttempts: number, probe: () => Promise<boolean>) {
    const t = setup({ probe });
    t.conn.start();
    t.loads[0].resolve(t.snapshot(5));
    await flush();
    t.last().open();
    t.last().text(welcome(5));
    t.last().drop(1006);
    for (let i = 0; i < failedAttempts; i++) {
      const before = t.sockets.length;
      await vi.advanceTimersByTimeAsync(backoffDelay(i, 0.5));
      expect(t.sockets.length).toBe(before + 1);
      t.last().drop(1006); // the upgrade fails: never opened
      await flush();
    }
    return t;
  }

  it("reconnects as soon as the server answers again, long before the backoff would", async () => {
    let up = false;
    let probes = 0;
    const t = await outage(5, async () => {
      probes++;
      return up;
    });
    expect(probes).toBeGreaterThan(0);
    const retryAt = t.ofType("link").at(-1)!.retryAt!;
    // The next attempt is scheduled seconds away (exponential backoff after five failures)…
    expect(retryAt - Date.now()).toBeGreaterThan(4 * PROBE_EVERY);
    const sockets = t.sockets.length;
    up = true;
    // …but the next probe sees the server and reconnects at once.
    await vi.advanceTimersByTimeAsync(PROBE_EVERY);
    expect(t.sockets.length).toBe(sockets + 1);
    expect(t.conn.probeReconnects).toBe(1);
    t.last().open();
    t.last().text(welcome(5));
    expect(t.conn.connected).toBe(true);
    // Connected: no more probes.
    const n = probes;
    await vi.advanceTimersByTimeAsync(10 * PROBE_EVERY);
    expect(probes).toBe(n);
  });

  it("a server that answers HTTP but refuses the socket does not cause a reconnect loop", async () => {
    const t = await outage(5, async () => true);
    const sockets = t.sockets.length;
    // Probes keep succeeding, but the server was never seen down: only the backoff reconnects.
    await vi.advanceTimersByTimeAsync(3 * PROBE_EVERY);
    expect(t.sockets.length).toBe(sockets);
    expect(t.conn.probeReconnects).toBe(0);
  });

  it("counts a probe that throws as the server being down", async () => {
    let up = false;
    const t = await outage(4, () => (up ? Promise.resolve(true) : Promise.reject(new Error("refused"))));
    up = true;
    const sockets = t.sockets.length;
    await vi.advanceTimersByTimeAsync(PROBE_EVERY);
    expect(t.sockets.length).toBe(sockets + 1);
  });

  it("does not probe while the browser is offline, nor after stop()", async () => {
    let probes = 0;
    const t = await outage(1, async () => {
      probes++;
      return false;
    });
    t.conn.setBrowserOnline(false);
    const n = probes;
    await vi.advanceTimersByTimeAsync(5 * PROBE_EVERY);
    expect(probes).toBe(n);
    t.conn.stop();
    await vi.advanceTimersByTimeAsync(5 * PROBE_EVERY);
    expect(probes).toBe(n);
  });
});

describe("protocol 2: people, cursors and per-user events", () => {
  it("passes user_list on with ids and the total", async () => {
    const t = await live();
    t.last().text({ type: "user_list", users: [{ id: "u1", name: "alice" }, { id: "u2", name: "alice" }, { name: "no id" }], total: 250, timestamp: Date.now() });
    expect(t.ofType("users").at(-1)).toEqual({ type: "users", users: [{ id: "u1", name: "alice" }, { id: "u2", name: "alice" }], total: 250 });
  });

  it("passes cursors on, and sends view and cursor only on a welcomed socket", async () => {
    const t = setup();
    t.conn.start();
    expect(t.conn.sendVolatile({ type: "view", x0: 0, y0: 0, x1: 7, y1: 3 })).toBe(false);
    t.last().open();
    t.last().text(welcome(0));
    expect(t.conn.sendVolatile({ type: "view", x0: 0, y0: 0, x1: 7, y1: 3 })).toBe(true);
    expect(t.conn.sendVolatile({ type: "cursor", x: null, y: null })).toBe(true);
    expect(t.last().sent.filter((m) => m.type === "view" || m.type === "cursor")).toEqual([
      { type: "view", x0: 0, y0: 0, x1: 7, y1: 3 },
      { type: "cursor", x: null, y: null },
    ]);
    t.last().text({ type: "cursors", cursors: [{ id: "u2", name: "bob", x: 1, y: 2 }], gone: ["u3", 4] });
    expect(t.ofType("cursors").at(-1)).toEqual({ type: "cursors", cursors: [{ id: "u2", name: "bob", x: 1, y: 2 }], gone: ["u3"] });
  });

  it("counts down at once when another tab of ours placed, on the server's clock", async () => {
    const t = await live();
    // The server's clock is 3 s ahead of ours (stamped presence frames say so).
    t.last().text({ type: "stats", activeUsers: 1, connections: 1, scope: "local", timestamp: Date.now() + 3000 });
    t.last().text({ type: "cooldown", board: "main", cooldownUntil: Date.now() + 3000 + 4000 });
    expect(t.ofType("cooldown").at(-1)?.until).toBe(Date.now() + 4000);
    expect(t.conn.place(1, 1, 3)).toMatchObject({ ok: false, reason: "cooldown" });
    // Never more than one cooldown, whatever the clocks say.
    t.last().text({ type: "cooldown", board: "main", cooldownUntil: Date.now() + 60_000 });
    expect(t.ofType("cooldown").at(-1)?.until).toBe(Date.now() + 5000);
  });

  it("a ban (close 4003) stops the link for good: no reconnect, no probe", async () => {
    const probe = vi.fn(async () => true);
    const t = setup({ probe });
    t.conn.start();
    t.last().open();
    t.last().text(welcome(0));
    t.last().drop(4003);
    expect(t.ofType("banned")).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(t.sockets).toHaveLength(1);
    expect(probe).not.toHaveBeenCalled();
    expect(t.conn.state).toBe("stopped");
  });

  it("a welcome of another protocol stops the link and says so", async () => {
    const t = setup();
    t.conn.start();
    t.last().open();
    t.last().text(welcome(0, { protocol: 3 }));
    expect(t.ofType("protocol_mismatch")).toEqual([{ type: "protocol_mismatch", protocol: 3 }]);
    expect(t.last().closed).toBe(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.sockets).toHaveLength(1);
  });
});
