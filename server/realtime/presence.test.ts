import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PRESENCE_WINDOW_USERS, USERS_PAGE_MAX_LIMIT } from "../../lib/limits";
import type { PublicUser } from "../../lib/protocol";
import {
  compareKeys,
  decodeCursor,
  encodeCursor,
  LocalPresence,
  parseSortKey,
  type PresenceChange,
  PresenceCursorError,
  SortedKeys,
  sortKey,
} from "./presence";

/** The order Redis BYLEX gives: the sort keys' UTF-8 bytes (an oracle independent of compareKeys). */
function byteOrder(users: PublicUser[]): PublicUser[] {
  return [...users].sort((a, b) => Buffer.compare(Buffer.from(sortKey(a)), Buffer.from(sortKey(b))));
}

function user(i: number, name = `user${String(i).padStart(4, "0")}`): PublicUser {
  return { id: `id-${i}`, name };
}

async function pageAll(p: LocalPresence, board: string, limit: number): Promise<{ users: PublicUser[]; pages: number }> {
  const users: PublicUser[] = [];
  let after: string | null = null;
  let pages = 0;
  do {
    const page = await p.page(board, after, limit);
    expect(page.users.length).toBeLessThanOrEqual(limit);
    users.push(...page.users);
    after = page.next;
    pages++;
    if (pages > 10_000) throw new Error("paging does not end");
  } while (after !== null);
  return { users, pages };
}

/** Text weighted towards where UTF-16 and UTF-8 orders can disagree: high BMP and astral code points. */
const codePoint = fc.oneof(fc.integer({ min: 0, max: 0x7f }), fc.integer({ min: 0xd000, max: 0xd7ff }), fc.integer({ min: 0xe000, max: 0xffff }), fc.integer({ min: 0x10000, max: 0x10ffff }));
const keyText = fc.string({ unit: codePoint.map((c) => String.fromCodePoint(c)), maxLength: 6 });

describe("sort keys", () => {
  it("orders case-insensitively first, then by exact name, then by id", () => {
    const p = new LocalPresence("r1");
    const users = [
      { id: "2", name: "bob" },
      { id: "1", name: "Bob" },
      { id: "3", name: "alice" },
      { id: "b", name: "Carol" },
      { id: "a", name: "Carol" },
      { id: "4", name: "ALICE" },
    ];
    for (const u of users) p.join("main", u);
    expect(p.window("main").users).toEqual([
      { id: "4", name: "ALICE" },
      { id: "3", name: "alice" },
      { id: "1", name: "Bob" },
      { id: "2", name: "bob" },
      { id: "a", name: "Carol" },
      { id: "b", name: "Carol" },
    ]);
  });

  it("orders non-ASCII names by UTF-8 bytes, as Redis BYLEX does (astral characters after U+FFFD)", () => {
    const names = ["Émile", "emile", "Zoë", "zoe", "李", "😀smile", "\uFFFDx", "\uE000private", "Ωmega", "ßig", "İstanbul", "a"];
    const users = names.map((name, i) => ({ id: `u${i}`, name }));
    const p = new LocalPresence("r1");
    for (const u of users) p.join("main", u);
    const shown = p.window("main").users;
    expect(shown).toEqual(byteOrder(users));
    // UTF-16 comparison would put the emoji (a surrogate pair) before U+FFFD and U+E000; bytes do not.
    const names2 = shown.map((u) => u.name);
    expect(names2.indexOf("😀smile")).toBeGreaterThan(names2.indexOf("\uFFFDx"));
    expect(names2.indexOf("\uE000private")).toBeLessThan(names2.indexOf("😀smile"));
  });

  it("compareKeys agrees with UTF-8 byte order on arbitrary strings", () => {
    fc.assert(
      fc.property(keyText, keyText, (a, b) => Math.sign(compareKeys(a, b)) === Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)))),
      { numRuns: 500 },
    );
  });

  it("parses only keys it could have made", () => {
    expect(parseSortKey(sortKey({ id: "x1", name: "Zoë" }))).toEqual({ id: "x1", name: "Zoë" });
    expect(parseSortKey("zoë\0Zoë")).toBeNull();
    expect(parseSortKey("zoe\0Zoë\0x1")).toBeNull(); // the lowercase part disagrees with the name
    expect(parseSortKey("a\0a\0b\0c")).toBeNull();
    expect(parseSortKey(`a\0a\0${"x".repeat(65)}`)).toBeNull();
    expect(parseSortKey("\0\0")).toBeNull();
  });
});

describe("SortedKeys", () => {
  it("agrees with a sorted array under random inserts and removals, across block splits", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 3_000 })), { minLength: 1_000, maxLength: 4_000, size: "max" }), fc.integer({ min: 1, max: 700 }), (ops, n) => {
        const keys = new SortedKeys();
        const oracle: string[] = [];
        for (const [add, v] of ops) {
          const key = `k${String(v).padStart(5, "0")}`;
          const at = oracle.indexOf(key);
          if (add && at < 0) {
            const rank = keys.insert(key, 100);
            let want = oracle.findIndex((k) => k > key);
            if (want < 0) want = oracle.length;
            oracle.splice(want, 0, key);
            if (rank !== (want < 100 ? want : -1)) return false;
          } else if (!add) {
            const rank = keys.remove(key, 100);
            if (at < 0) {
              if (rank !== null) return false;
            } else {
              oracle.splice(at, 1);
              if (rank !== (at < 100 ? at : -1)) return false;
            }
          }
        }
        if (keys.size !== oracle.length) return false;
        const mid = oracle[Math.floor(oracle.length / 2)] ?? null;
        const from = mid === null ? 0 : oracle.indexOf(mid) + 1;
        return (
          JSON.stringify(keys.after(null, oracle.length + 1)) === JSON.stringify(oracle) &&
          JSON.stringify(keys.after(mid, n)) === JSON.stringify(oracle.slice(from, from + n)) &&
          JSON.stringify(keys.after("k", n)) === JSON.stringify(oracle.slice(0, n)) &&
          keys.after("l", n).length === 0
        );
      }),
      // Shrinking thousands of operations takes minutes; the seed printed on failure replays the case.
      { numRuns: 40, endOnFailure: true },
    );
  });
});

describe("LocalPresence", () => {
  it("pages through 1,000 users 7 at a time: everyone once, in order, then next = null", async () => {
    const p = new LocalPresence("r1");
    const users: PublicUser[] = [];
    // Shuffled joins with mixed case and repeated names, so insertion order is not the answer.
    for (let i = 0; i < 1_000; i++) users.push(user((i * 389) % 1_000, i % 3 === 0 ? `Name${i % 50}` : `name${(i * 7) % 97}`));
    for (const u of users) p.join("main", u);
    const { users: paged, pages } = await pageAll(p, "main", 7);
    expect(pages).toBe(Math.ceil(1_000 / 7));
    expect(paged).toEqual(byteOrder(users));
    expect(new Set(paged.map((u) => u.id)).size).toBe(1_000);
    const first = await p.page("main", null, 7);
    expect(first.total).toBe(1_000);
  });

  it("a last page that is exactly full says next = null", async () => {
    const p = new LocalPresence("r1");
    for (let i = 0; i < 14; i++) p.join("main", user(i));
    const a = await p.page("main", null, 7);
    expect(a.next).not.toBeNull();
    const b = await p.page("main", a.next, 7);
    expect(b.users).toHaveLength(7);
    expect(b.next).toBeNull();
  });

  it("clamps the page size to 1…USERS_PAGE_MAX_LIMIT", async () => {
    const p = new LocalPresence("r1");
    for (let i = 0; i < USERS_PAGE_MAX_LIMIT + 10; i++) p.join("main", user(i));
    expect((await p.page("main", null, 10_000)).users).toHaveLength(USERS_PAGE_MAX_LIMIT);
    expect((await p.page("main", null, 0)).users).toHaveLength(1);
  });

  it("keeps at most 100 users in the window and the exact total", () => {
    const p = new LocalPresence("r1");
    for (let i = 0; i < 250; i++) p.join("main", user(249 - i));
    const w = p.window("main");
    expect(w.users).toHaveLength(PRESENCE_WINDOW_USERS);
    expect(w.users[0]).toEqual(user(0));
    expect(w.users[99]).toEqual(user(99));
    expect(w).toMatchObject({ total: 250, connections: 250, scope: "local" });
  });

  it("counts a user with several connections once and keeps them until the last one closes", () => {
    const p = new LocalPresence("r1");
    const ann = { id: "a", name: "Ann" };
    p.join("main", ann);
    p.join("main", ann);
    p.join("main", { id: "b", name: "Ben" });
    expect(p.window("main")).toMatchObject({ total: 2, connections: 3 });
    p.leave("main", ann);
    expect(p.window("main")).toMatchObject({ users: [ann, { id: "b", name: "Ben" }], total: 2, connections: 2 });
    p.leave("main", ann);
    expect(p.window("main")).toMatchObject({ users: [{ id: "b", name: "Ben" }], total: 1, connections: 1 });
    p.leave("main", ann); // one leave too many changes nothing
    expect(p.window("main")).toMatchObject({ total: 1, connections: 1 });
  });

  it("keeps boards apart and counts a user on two boards once per replica", async () => {
    const p = new LocalPresence("r1");
    const ann = { id: "a", name: "Ann" };
    p.join("main", ann);
    p.join("art", ann);
    p.join("art", { id: "b", name: "Ben" });
    expect(p.window("main").total).toBe(1);
    expect(p.window("art").total).toBe(2);
    expect(p.window("none")).toEqual({ users: [], total: 0, connections: 0, scope: "local" });
    expect(p.instances()).toEqual([{ id: "r1", users: 2, connections: 3 }]);
    expect(await p.activeBoards()).toEqual([
      { board: "art", activeUsers: 2 },
      { board: "main", activeUsers: 1 },
    ]);
    p.leave("art", ann);
    p.leave("art", { id: "b", name: "Ben" });
    expect(await p.activeBoards()).toEqual([{ board: "main", activeUsers: 1 }]);
    expect(p.instances()).toEqual([{ id: "r1", users: 1, connections: 1 }]);
  });

  it("a user renamed while connected appears once, under the new name", () => {
    const p = new LocalPresence("r1");
    p.join("main", { id: "a", name: "Zed" });
    p.join("main", { id: "b", name: "Mia" });
    p.join("main", { id: "a", name: "Abe" });
    expect(p.window("main")).toMatchObject({ users: [{ id: "a", name: "Abe" }, { id: "b", name: "Mia" }], total: 2, connections: 3 });
    p.leave("main", { id: "a", name: "Abe" });
    p.leave("main", { id: "a", name: "Zed" });
    expect(p.window("main").users).toEqual([{ id: "b", name: "Mia" }]);
  });

  it("tells listeners whether the window's users or only the counts changed", () => {
    const p = new LocalPresence("r1");
    const seen: Array<[string, PresenceChange]> = [];
    const stop = p.subscribe((board, change) => seen.push([board, change]));
    for (let i = 0; i < PRESENCE_WINDOW_USERS; i++) p.join("main", user(i));
    expect(seen.every(([b, c]) => b === "main" && c.users && c.counts)).toBe(true);
    seen.length = 0;
    p.join("main", user(500)); // sorts after the first 100: the window is unchanged
    p.join("main", user(3)); // a second connection
    p.join("main", { id: "first", name: "aaa" }); // sorts first
    expect(seen.map(([, c]) => c)).toEqual([
      { users: false, counts: true },
      { users: false, counts: true },
      { users: true, counts: true },
    ]);
    stop();
    p.join("main", user(600));
    expect(seen).toHaveLength(3);
  });

  it("a listener that throws does not keep others from hearing", () => {
    const p = new LocalPresence("r1");
    let heard = 0;
    p.subscribe(() => {
      throw new Error("boom");
    });
    p.subscribe(() => heard++);
    p.join("main", user(1));
    expect(heard).toBe(1);
  });

  it("ignores users it cannot key (NUL, lone surrogates, oversized ids) without counting them", () => {
    const p = new LocalPresence("r1");
    for (const bad of [
      { id: "a\0b", name: "x" },
      { id: "a", name: "x\0y" },
      { id: "a", name: "\uD800" },
      { id: "x".repeat(65), name: "x" },
      { id: "", name: "x" },
      { id: "a", name: "" },
    ]) {
      p.join("main", bad);
      p.leave("main", bad);
    }
    expect(p.window("main")).toMatchObject({ total: 0, connections: 0 });
  });
});

describe("cursors", () => {
  it("round-trip and stay valid when the user they name has left", async () => {
    const p = new LocalPresence("r1");
    for (let i = 0; i < 30; i++) p.join("main", user(i));
    const a = await p.page("main", null, 10);
    expect(decodeCursor(a.next as string)).toBe(sortKey(user(9)));
    p.leave("main", user(9));
    p.leave("main", user(10));
    const b = await p.page("main", a.next, 10);
    expect(b.users[0]).toEqual(user(11));
    expect(b.total).toBe(28);
  });

  it("reject malformed cursors with a typed error", async () => {
    const p = new LocalPresence("r1");
    p.join("main", user(1));
    const bad = ["", "!!", "a b", `${encodeCursor("abc")}=`, "x".repeat(3000), Buffer.from([0xff, 0xfe, 0x00]).toString("base64url")];
    for (const after of bad) await expect(p.page("main", after, 10), JSON.stringify(after)).rejects.toBeInstanceOf(PresenceCursorError);
    await expect(p.page("main", "!!", 10)).rejects.toMatchObject({ code: "invalid_cursor" });
    // A well-formed cursor past everyone is simply the end.
    expect(await p.page("main", encodeCursor("\u{10FFFF}"), 10)).toEqual({ users: [], total: 1, next: null });
  });
});
