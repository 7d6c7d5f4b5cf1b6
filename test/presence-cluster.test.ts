// ClusterPresence against a real redis-server: several replicas (each its own RedisLink and
// ClusterPresence) in one process, crash and data loss simulated on the real server.

import { createClient } from "redis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PRESENCE_MAX_PODS, PRESENCE_WINDOW_USERS, USERS_PAGE_MAX_LIMIT } from "../lib/limits";
import type { PublicUser } from "../lib/protocol";
import { ClusterPresence, type ClusterPresenceOptions } from "../server/cluster/presence-redis";
import { RedisLink } from "../server/cluster/redis-link";
import { presenceKeys, userChannel } from "../server/cluster/redis-names";
import { Signer } from "../server/cluster/signing";
import { createLogger } from "../server/logger";
import { type PresenceWindow, sortKey } from "../server/realtime/presence";
import { RedisProcess } from "./processes";
import { waitFor } from "./wait";

const SECRET = "presence-cluster-test-secret";
/** Long enough that no heartbeat runs during a test unless it asks for short ones. */
const QUIET = { heartbeatMs: 60_000, ttlMs: 180_000 };

let redis: RedisProcess;
/** The test's own connection, for what an operator (or an attacker) could type into redis-cli. */
let raw: ReturnType<typeof createClient>;
const open: Array<{ presence: ClusterPresence; link: RedisLink }> = [];

async function cmd(...args: string[]): Promise<unknown> {
  return raw.sendCommand(args);
}

beforeAll(async () => {
  redis = await RedisProcess.start();
  raw = createClient({ url: redis.url, socket: { reconnectStrategy: 100 } });
  raw.on("error", () => {}); // the outage test kills the server under it
  await raw.connect();
});

afterAll(async () => {
  await raw?.close();
  await redis?.stop();
});

beforeEach(async () => {
  expect(await cmd("FLUSHALL")).toBe("OK");
});

afterEach(async () => {
  for (const r of open.splice(0)) {
    await r.presence.close();
    await r.link.close();
  }
});

type Timing = Partial<Pick<ClusterPresenceOptions, "heartbeatMs" | "ttlMs" | "pushIntervalMs">>;

async function replica(id: string, timing: Timing = QUIET): Promise<{ presence: ClusterPresence; link: RedisLink }> {
  const log = createLogger("silent", id);
  const link = new RedisLink({ url: redis.url, log });
  link.start();
  const presence = new ClusterPresence({ link, signer: new Signer(SECRET), instanceId: id, log, ...timing });
  presence.start();
  const r = { presence, link };
  open.push(r);
  await waitFor(() => presence.scope === "cluster", 10_000, `${id} to register`);
  return r;
}

function users(from: number, to: number, prefix = "u"): PublicUser[] {
  const out: PublicUser[] = [];
  // Names repeat and differ in case, so order depends on name, case and id together.
  for (let i = from; i < to; i++) out.push({ id: `${prefix}${i}`, name: i % 4 === 0 ? `Name${i % 37}` : `name${(i * 13) % 41}` });
  return out;
}

/** The order every replica must give: sort keys as UTF-8 bytes. */
function ordered(list: PublicUser[]): PublicUser[] {
  const byId = new Map(list.map((u) => [u.id, u]));
  return [...byId.values()].sort((a, b) => Buffer.compare(Buffer.from(sortKey(a)), Buffer.from(sortKey(b))));
}

function windowOf(list: PublicUser[], connections: number): PresenceWindow {
  const all = ordered(list);
  return { users: all.slice(0, PRESENCE_WINDOW_USERS), total: all.length, connections, scope: "cluster" };
}

async function waitWindow(p: ClusterPresence, board: string, want: PresenceWindow, what: string, timeoutMs = 5_000): Promise<void> {
  try {
    await waitFor(() => JSON.stringify(p.window(board)) === JSON.stringify(want), timeoutMs, what);
  } catch (err) {
    const got = p.window(board);
    throw new Error(`${(err as Error).message}: got total ${got.total}, connections ${got.connections}, scope ${got.scope}, first ${JSON.stringify(got.users.slice(0, 3))}`);
  }
}

async function pageAll(p: ClusterPresence, board: string, limit: number): Promise<PublicUser[]> {
  const out: PublicUser[] = [];
  let after: string | null = null;
  for (let i = 0; i < 1_000; i++) {
    const page = await p.page(board, after, limit);
    out.push(...page.users);
    after = page.next;
    if (after === null) return out;
  }
  throw new Error("paging does not end");
}

describe("ClusterPresence", () => {
  it("agrees on window, total and connections across three replicas", async () => {
    const [a, b, c] = [await replica("ra"), await replica("rb"), await replica("rc")];
    for (const r of [a, b, c]) await r.presence.follow("main");
    const ua = users(0, 60);
    const ub = users(60, 130);
    const uc = users(130, 150);
    for (const u of ua) a.presence.join("main", u);
    for (const u of ub) b.presence.join("main", u);
    for (const u of uc) c.presence.join("main", u);
    c.presence.join("main", uc[0]); // a second tab
    const want = windowOf([...ua, ...ub, ...uc], 151);
    for (const [name, r] of [["a", a], ["b", b], ["c", c]] as const) await waitWindow(r.presence, "main", want, `replica ${name}'s window`);
    expect(want.users).toHaveLength(100);
    // instances() lists the others from their records after a heartbeat; here we only check ourselves.
    expect(a.presence.instances()[0]).toEqual({ id: "ra", users: 60, connections: 60 });
  });

  it("counts a user held by two replicas once, and keeps them while either holds them", async () => {
    const [a, b] = [await replica("ra"), await replica("rb")];
    for (const r of [a, b]) await r.presence.follow("art");
    const ann = { id: "ann", name: "Ann" };
    const bob = { id: "bob", name: "Bob" };
    a.presence.join("art", ann);
    b.presence.join("art", ann);
    b.presence.join("art", bob);
    await waitWindow(a.presence, "art", windowOf([ann, bob], 3), "both on a");
    await waitWindow(b.presence, "art", windowOf([ann, bob], 3), "both on b");

    a.presence.leave("art", ann);
    // A marker joined after the leave: once b sees it, b has seen the leave's effect too (one connection, in order).
    const zed = { id: "zed", name: "Zed" };
    a.presence.join("art", zed);
    await waitWindow(b.presence, "art", windowOf([ann, bob, zed], 3), "ann kept while b holds her");
    await waitWindow(a.presence, "art", windowOf([ann, bob, zed], 3), "ann kept on a too");

    b.presence.leave("art", ann);
    await waitWindow(a.presence, "art", windowOf([bob, zed], 2), "ann gone once nobody holds her");
    await waitWindow(b.presence, "art", windowOf([bob, zed], 2), "ann gone on b");
    expect(await a.presence.activeBoards()).toEqual([{ board: "art", activeUsers: 2 }]);
  });

  it("a user renamed on one replica shows once, under the new name, across heartbeats of both", async () => {
    const timing = { heartbeatMs: 150, ttlMs: 3_000 };
    const [a, b] = [await replica("ra", timing), await replica("rb", timing)];
    for (const r of [a, b]) await r.presence.follow("main");
    a.presence.join("main", { id: "ann", name: "Ann" });
    await waitWindow(b.presence, "main", windowOf([{ id: "ann", name: "Ann" }], 1), "Ann");
    b.presence.join("main", { id: "ann", name: "Zoe" });
    const want = windowOf([{ id: "ann", name: "Zoe" }], 2);
    await waitWindow(a.presence, "main", want, "Zoe on a");
    // Two heartbeats of a later (its record's timestamp says when it beat), Ann has not come back.
    const after = Date.now();
    const beatAt = async () => (JSON.parse((await raw.get("pod:ra:users")) ?? "{}") as { timestamp?: number }).timestamp ?? 0;
    await waitFor(async () => (await beatAt()) > after + timing.heartbeatMs, 5_000, "two heartbeats of a");
    expect(await cmd("ZCARD", presenceKeys("main").lex)).toBe(1);
    expect(await cmd("ZCARD", presenceKeys("main").seen)).toBe(1);
    await waitWindow(a.presence, "main", want, "still only Zoe on a");
    await waitWindow(b.presence, "main", want, "still only Zoe on b");
  });

  it("pages through 250+ users cluster-wide in order, whichever replica answers", async () => {
    const [a, b] = [await replica("ra"), await replica("rb")];
    for (const r of [a, b]) await r.presence.follow("big");
    const ua = users(0, 140);
    const ub = users(130, 270); // ten users on both replicas
    for (const u of ua) a.presence.join("big", u);
    for (const u of ub) b.presence.join("big", u);
    const everyone = ordered([...ua, ...ub]);
    expect(everyone).toHaveLength(270);
    await waitWindow(a.presence, "big", windowOf(everyone, 280), "a's window");
    expect(await pageAll(a.presence, "big", 7)).toEqual(everyone);
    expect(await pageAll(b.presence, "big", USERS_PAGE_MAX_LIMIT)).toEqual(everyone);
    // A cursor from one replica is understood by the other.
    const first = await a.presence.page("big", null, 100);
    const second = await b.presence.page("big", first.next, 100);
    expect([...first.users, ...second.users]).toEqual(everyone.slice(0, 200));
    expect(second.total).toBe(270);
    await expect(b.presence.page("big", "not a cursor!", 10)).rejects.toMatchObject({ code: "invalid_cursor" });
    // A board this replica does not follow is read on demand.
    const other = await replica("rc");
    expect(await other.presence.read("big")).toEqual(windowOf(everyone, 280));
  });

  it("drops the users of a replica that stops heart-beating within TTL + heartbeat", async () => {
    const timing = { heartbeatMs: 200, ttlMs: 1_000 };
    const [a, c] = [await replica("ra", timing), await replica("rc", timing)];
    for (const r of [a, c]) await r.presence.follow("main");
    const mine = users(0, 5, "a");
    const theirs = users(0, 20, "c");
    const sam = { id: "sam", name: "Sam" };
    for (const u of mine) a.presence.join("main", u);
    for (const u of theirs) c.presence.join("main", u);
    a.presence.join("main", sam);
    c.presence.join("main", sam);
    await waitWindow(a.presence, "main", windowOf([...mine, ...theirs, sam], 27), "everyone");
    await waitFor(() => a.presence.instances().some((i) => i.id === "rc" && i.users === 21 && i.connections === 21), 5_000, "a to see c's record");

    // SIGKILL: c's connection drops without a word; its users stay in Redis until they expire.
    await c.link.close();
    const t0 = Date.now();
    await waitWindow(a.presence, "main", windowOf([...mine, sam], 6), "c's users to expire", 10_000);
    const gone = Date.now() - t0;
    expect(a.presence.instances().map((i) => i.id)).toEqual(["ra"]);
    // A's sam stayed: a still re-adds him. The bound below is the design's (TTL + heartbeat, plus
    // one window read and the load of a shared test machine), not a speed target.
    console.log(`presence: a crashed replica's users vanished after ${gone} ms (TTL 1000 ms, heartbeat 200 ms)`);
    expect(gone).toBeLessThan(1_000 + 200 + 2_000);
  });

  it("a leave drops a user at once when the only other holder is dead (no leaked holder)", async () => {
    const [a, c] = [await replica("ra"), await replica("rc")];
    for (const r of [a, c]) await r.presence.follow("main");
    const sam = { id: "sam", name: "Sam" };
    a.presence.join("main", sam);
    c.presence.join("main", sam);
    await waitWindow(a.presence, "main", windowOf([sam], 2), "sam on two replicas");
    await c.link.close();
    // c's last heartbeat is now older than the TTL, as if three minutes had passed.
    expect(await cmd("ZADD", "pods", "1", "rc")).toBe(0);
    a.presence.leave("main", sam);
    // The TTL is three minutes here, so only the leave itself can have removed him.
    await waitWindow(a.presence, "main", { users: [], total: 0, connections: 0, scope: "cluster" }, "sam gone");
    expect(await cmd("HLEN", presenceKeys("main").refs)).toBe(0);
  });

  it("heals from FLUSHALL within a heartbeat", async () => {
    const timing = { heartbeatMs: 300, ttlMs: 3_000 };
    const [a, b] = [await replica("ra", timing), await replica("rb", timing)];
    for (const r of [a, b]) await r.presence.follow("main");
    const ua = users(0, 30, "a");
    const ub = users(0, 30, "b");
    for (const u of ua) a.presence.join("main", u);
    for (const u of ub) b.presence.join("main", u);
    const want = windowOf([...ua, ...ub], 60);
    await waitWindow(a.presence, "main", want, "a before");
    expect(await cmd("FLUSHALL")).toBe("OK");
    const t0 = Date.now();
    // Each replica's next heartbeat puts its users back; the bound is the design's, with slack for a loaded machine.
    await waitFor(async () => (await cmd("ZCARD", presenceKeys("main").lex)) === 60, 300 + 2_000, "users back in Redis");
    console.log(`presence: Redis data loss healed after ${Date.now() - t0} ms (heartbeat 300 ms)`);
    expect(await cmd("ZCARD", presenceKeys("main").seen)).toBe(60);
    expect(await cmd("HLEN", presenceKeys("main").refs)).toBe(60);
    await waitWindow(a.presence, "main", want, "a healed");
    await waitWindow(b.presence, "main", want, "b healed");
    // A replica that was not there before reads the healed state.
    const c = await replica("rc", timing);
    expect(await c.presence.read("main")).toEqual(want);
    await waitFor(() => a.presence.instances().some((i) => i.id === "rb"), 3_000, "a to see b's record again");
  });

  it("ignores forged members, records, notices and index entries, and throws nothing", async () => {
    const [a, b] = [await replica("ra"), await replica("rb")];
    for (const r of [a, b]) await r.presence.follow("main");
    await a.presence.follow("art");
    const k = presenceKeys("main");
    const now = String(Date.now());
    const later = String(Date.now() + 60_000);
    const forged = [
      ["ZADD", k.lex, "0", "aaa-no-seen-score"], // in lex but never seen: garbage
      ["ZADD", k.lex, "0", "\0\0"],
      ["ZADD", k.seen, now, "\0\0"],
      ["ZADD", k.lex, "0", "zz\0AA\0x"], // the lowercase part disagrees with the name
      ["ZADD", k.seen, now, "zz\0AA\0x"],
      ["HSET", k.refs, "ann", "garbage"],
      ["HSET", k.refs, "bob", "x\nrb"],
      ["HSET", k.conns, "evil", "NaN"],
      ["HSET", k.conns, "bad id!", "5"],
      ["ZADD", "pods", later, "evil"],
      ["SET", "pod:evil:users", '{"users":5}'],
      ["ZADD", "pods", later, "evil2"],
      ["SET", "pod:evil2:users", "not-json"],
      ["ZADD", "pods", later, "bad id!"],
      ["ZADD", "boards:active", "999", "Not A Board!"],
      ["ZADD", "boards:active", "7", "art"],
      ["ZADD", "presence:boards", "1", "BAD!"],
    ];
    for (const c of forged) expect(await cmd(...c), c.join(" ")).toSatisfy((r) => r === "OK" || typeof r === "number");
    const ann = { id: "ann", name: "Ann" };
    const bob = { id: "bob", name: "Bob" };
    a.presence.join("main", ann);
    b.presence.join("main", bob);
    // Notices: unsigned, signed with another key, signed but naming another board or a bad replica id.
    const other = new Signer("another-secret");
    const signer = new Signer(SECRET);
    const notices = [
      '{"type":"user_update","podId":"x","board":"main"}',
      other.sign({ type: "user_update", podId: "x", board: "main" }),
      signer.sign({ type: "user_update", podId: "x", board: "art" }),
      signer.sign({ type: "user_update", podId: "bad id!", board: "main" }),
      signer.sign({ type: "user_update", podId: 5, board: "main" }),
      "not json at all",
    ];
    const pub = createClient({ url: redis.url });
    await pub.connect();
    try {
      for (const n of notices) await pub.publish(userChannel("main"), n);
      await waitFor(() => a.presence.garbage.notices >= notices.length && b.presence.garbage.notices >= notices.length, 5_000, "notices rejected");
      expect(a.link.channel("user-events").rejected).toBeGreaterThanOrEqual(notices.length);

      await waitWindow(a.presence, "main", windowOf([ann, bob], 2), "only real users on a");
      await waitWindow(b.presence, "main", windowOf([ann, bob], 2), "only real users on b");
      // The garbage the windows met was removed from Redis (by whichever replica read it first);
      // total counts real users only.
      expect(await pub.zRange(k.lex, "-", "+", { BY: "LEX" })).toEqual([sortKey(ann), sortKey(bob)]);
      expect(a.presence.garbage.members + b.presence.garbage.members).toBeGreaterThan(0);
      // boards:active forgets the garbage at the next window read.
      const active = [
        { board: "art", activeUsers: 7 },
        { board: "main", activeUsers: 2 },
      ];
      await waitFor(async () => JSON.stringify(await a.presence.activeBoards()) === JSON.stringify(active), 5_000, "boards:active without garbage");
      // Pages step over garbage too.
      await pub.zAdd(k.lex, [{ score: 0, value: "zzz-garbage" }]);
      expect(await pageAll(b.presence, "main", 1)).toEqual(ordered([ann, bob]));
      // Leaves still work on the forged refs.
      a.presence.leave("main", ann);
      b.presence.leave("main", bob);
      await waitWindow(a.presence, "main", { users: [], total: 0, connections: 0, scope: "cluster" }, "everyone gone");
    } finally {
      await pub.close();
    }
  });

  it("forged pod records are skipped by instances() and the heartbeat sweeps garbage without failing", async () => {
    const timing = { heartbeatMs: 200, ttlMs: 1_000 };
    const later = String(Date.now() + 600_000);
    for (const c of [
      ["ZADD", "pods", later, "evil"],
      ["SET", "pod:evil:users", '{"users":5}'],
      ["ZADD", "pods", later, "evil2"],
      ["SET", "pod:evil2:users", '{"instanceId":"evil2","users":-1,"connections":2}'],
      ["ZADD", "pods", later, "evil3"],
      ["SET", "pod:evil3:users", JSON.stringify({ instanceId: "evil3", users: 1, connections: 1, pad: "x".repeat(5_000) })],
      ["ZADD", "presence:boards", "1", "BAD!"],
      ["ZADD", "presence:boards", "1", "gone"],
      ["ZADD", "presence:gone:lex", "0", "old\0Old\0o1"],
      ["ZADD", "presence:gone:seen", "1", "old\0Old\0o1"],
      ["HSET", "presence:gone:refs", "o1", "old\0Old\0o1\ndead"],
      ["ZADD", "boards:active", "1", "gone"],
    ]) {
      expect(await cmd(...c), c.join(" ")).toSatisfy((r) => r === "OK" || typeof r === "number");
    }
    const [a, b] = [await replica("ra", timing), await replica("rb", timing)];
    await waitFor(() => a.presence.instances().some((i) => i.id === "rb"), 5_000, "a to see b");
    expect(a.presence.instances()).toEqual([
      { id: "ra", users: 0, connections: 0 },
      { id: "rb", users: 0, connections: 0 },
    ]);
    expect(a.presence.garbage.records).toBeGreaterThanOrEqual(3);
    // A board whose only holder died long ago is swept although nobody follows it.
    await waitFor(async () => (await cmd("EXISTS", "presence:gone:lex")) === 0, 5_000, "stale board swept");
    expect(await cmd("EXISTS", "presence:gone:seen", "presence:gone:refs")).toBe(0);
    expect(await cmd("ZSCORE", "boards:active", "gone")).toBeNull();
    expect(await cmd("ZSCORE", "presence:boards", "BAD!")).toBeNull();
    expect(await b.presence.activeBoards()).toEqual([]);
  });

  it("answers locally while Redis is down and re-registers the right users when it returns", async () => {
    const [a, b] = [await replica("ra"), await replica("rb")];
    for (const r of [a, b]) await r.presence.follow("main");
    const ua = users(0, 5, "a");
    const ub = users(0, 5, "b");
    for (const u of ua) a.presence.join("main", u);
    for (const u of ub) b.presence.join("main", u);
    await waitWindow(a.presence, "main", windowOf([...ua, ...ub], 10), "before the outage");

    const changes: string[] = [];
    a.presence.subscribe((board, c) => changes.push(`${board}:${c.users}:${c.counts}`));
    await redis.kill();
    await waitFor(() => a.presence.scope === "local" && b.presence.scope === "local", 5_000, "both local");
    expect(a.presence.window("main")).toEqual({ ...windowOf(ua, 5), scope: "local" });
    expect(changes).toContain("main:true:true");
    // Life goes on meanwhile: one leaves, one arrives.
    a.presence.leave("main", ua[0]);
    const late = { id: "late", name: "Late" };
    a.presence.join("main", late);
    expect(a.presence.window("main").total).toBe(5);
    expect(await a.presence.page("main", null, 3)).toMatchObject({ total: 5 });
    expect(a.presence.instances()).toEqual([{ id: "ra", users: 5, connections: 5 }]);

    await redis.start(); // same port, empty: the data was lost with the process
    const want = windowOf([...ua.slice(1), late, ...ub], 10);
    await waitWindow(a.presence, "main", want, "a back in cluster scope", 10_000);
    await waitWindow(b.presence, "main", want, "b back in cluster scope", 10_000);
  });

  it("a leave made while Redis was unreachable reaches it when it returns", async () => {
    const [a, b] = [await replica("ra"), await replica("rb")];
    for (const r of [a, b]) await r.presence.follow("main");
    const ann = { id: "ann", name: "Ann" };
    const bob = { id: "bob", name: "Bob" };
    a.presence.join("main", ann);
    b.presence.join("main", bob);
    await waitWindow(b.presence, "main", windowOf([ann, bob], 2), "both");
    // Only a loses Redis (a network split), so Redis keeps ann.
    a.link.pub.destroy();
    await waitFor(() => a.presence.scope === "local", 5_000, "a local");
    a.presence.leave("main", ann);
    await a.link.pub.connect();
    // The TTL is three minutes: only the remembered leave can remove ann now.
    await waitWindow(b.presence, "main", windowOf([bob], 1), "ann gone on b");
    await waitWindow(a.presence, "main", windowOf([bob], 1), "a back with b");
  });

  it("a burst of joins sends no command whose cost grows with the board's users (MONITOR)", async () => {
    const [a, b] = [await replica("ra"), await replica("rb")];
    for (const r of [a, b]) await r.presence.follow("main");
    const crowd = users(0, 3_000, "c");
    for (const u of crowd) a.presence.join("main", u);
    await waitWindow(b.presence, "main", windowOf(crowd, 3_000), "the crowd", 20_000);

    const monitor = createClient({ url: redis.url });
    await monitor.connect();
    const lines: string[] = [];
    await monitor.monitor((line) => lines.push(line));
    try {
      const burst = users(0, 200, "n");
      for (const u of burst) b.presence.join("main", u);
      for (const u of crowd.slice(0, 100)) a.presence.leave("main", u);
      await b.presence.page("main", null, USERS_PAGE_MAX_LIMIT);
      await a.presence.activeBoards();
      await waitWindow(a.presence, "main", windowOf([...crowd.slice(100), ...burst], 3_100), "after the burst", 20_000);
      await waitWindow(b.presence, "main", windowOf([...crowd.slice(100), ...burst], 3_100), "after the burst on b", 20_000);
    } finally {
      await monitor.close();
    }
    const commands = lines.map(parseMonitorLine).filter((c) => c.length > 0);
    expect(commands.length).toBeGreaterThan(300); // the monitor saw the burst (scripts' inner commands included)
    const offending = commands.filter((c) => !boundedCost(c));
    expect(offending.map((c) => c.join(" ").slice(0, 120))).toEqual([]);
    // Every lex range was limited to a window or a page.
    const ranges = commands.filter((c) => c[0] === "ZRANGE" && c[1].endsWith(":lex"));
    expect(ranges.length).toBeGreaterThan(0);
    // Commands per membership change stay small: scripts' inner commands, notices and window reads.
    console.log(`presence: ${commands.length} Redis commands for 300 joins/leaves on a board of 3,000 (${(commands.length / 300).toFixed(1)} per change)`);
  });
});

/** The arguments of one MONITOR line (`<time> [<db> <client>] "CMD" "arg"…`). */
function parseMonitorLine(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"/g;
  const start = line.indexOf("]");
  for (const m of line.slice(start + 1).matchAll(re)) out.push(m[1]);
  if (out.length > 0) out[0] = out[0].toUpperCase();
  return out;
}

/** False for a command that reads or walks a whole user set (or the whole key space). */
function boundedCost(c: string[]): boolean {
  const [cmd, key = ""] = c;
  if (["KEYS", "SCAN", "SSCAN", "HSCAN", "ZSCAN", "SMEMBERS", "HVALS", "HKEYS", "HGETALL"].includes(cmd)) {
    // A board's connection counts are one field per replica: bounded by replicas, not users.
    return key.endsWith(":conns");
  }
  if (cmd === "ZRANGE" || cmd === "ZRANGEBYLEX" || cmd === "ZRANGEBYSCORE" || cmd === "ZREVRANGE" || cmd === "ZREVRANGEBYSCORE") {
    const at = c.findIndex((a) => a.toUpperCase() === "LIMIT");
    return at > 0 && Number(c[at + 2]) <= Math.max(USERS_PAGE_MAX_LIMIT + 1, PRESENCE_MAX_PODS + 1, 1_000);
  }
  if (cmd === "MGET") return c.length - 1 <= PRESENCE_MAX_PODS;
  if (cmd === "ZREMRANGEBYLEX" || cmd === "ZREMRANGEBYRANK" || cmd === "SUNION" || cmd === "ZUNIONSTORE" || cmd === "DEL") {
    // Deleting a whole board's keys happens only when it is empty (or on the expiry of garbage).
    return cmd === "DEL";
  }
  return true;
}
