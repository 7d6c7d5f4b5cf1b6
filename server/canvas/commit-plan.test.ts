import { describe, expect, it } from "vitest";
import { type CommitState, planCommit, type PlacementRequest } from "./commit-plan";

const NOW = 1_700_000_000_000;
const COOLDOWN = 5_000;

const st = (lastPlacedAt: ReadonlyMap<string, number | null>, now: number, cooldownMs: number, baseSeq: number): CommitState => ({
  lastPlacedAt,
  now,
  cooldownMs,
  baseSeq,
});

const req = (userId: string, x = 0, y = 0, color = 1): PlacementRequest => ({ userId, x, y, color });

describe("planCommit", () => {
  it("gives dense seqs from baseSeq+1 in arrival order", () => {
    const requests = [req("a", 1, 1, 2), req("b", 2, 2, 3), req("c", 3, 3, 4)];
    const plan = planCommit(requests, st(new Map(), NOW, COOLDOWN, 41));
    expect(plan.decisions).toEqual([
      { ok: true, seq: 42, placedAt: NOW, cooldownUntil: NOW + COOLDOWN },
      { ok: true, seq: 43, placedAt: NOW, cooldownUntil: NOW + COOLDOWN },
      { ok: true, seq: 44, placedAt: NOW, cooldownUntil: NOW + COOLDOWN },
    ]);
    expect(plan.accepted).toEqual([
      { userId: "a", x: 1, y: 1, color: 2, seq: 42 },
      { userId: "b", x: 2, y: 2, color: 3, seq: 43 },
      { userId: "c", x: 3, y: 3, color: 4, seq: 44 },
    ]);
    expect(plan.nextSeq).toBe(44);
  });

  it("accepts users whose last placement is null or older than the cooldown", () => {
    const last = new Map<string, number | null>([
      ["a", null],
      ["b", NOW - COOLDOWN], // exactly one cooldown ago: allowed again
      ["c", NOW - 60_000],
    ]);
    const plan = planCommit([req("a"), req("b"), req("c")], st(last, NOW, COOLDOWN, 0));
    expect(plan.decisions.map((d) => d.ok)).toEqual([true, true, true]);
    expect(plan.nextSeq).toBe(3);
  });

  it("rejects a user within the cooldown with the exact retryAfterMs and cooldownUntil", () => {
    const last = new Map<string, number | null>([["a", NOW - 1_234]]);
    const plan = planCommit([req("a")], st(last, NOW, COOLDOWN, 10));
    expect(plan.decisions).toEqual([
      { ok: false, code: "cooldown", retryAfterMs: COOLDOWN - 1_234, cooldownUntil: NOW - 1_234 + COOLDOWN },
    ]);
    expect(plan.accepted).toEqual([]);
    expect(plan.touchedUsers).toEqual([]);
    expect(plan.nextSeq).toBe(10);
  });

  it("rejects a user one millisecond short of the cooldown with retryAfterMs 1", () => {
    const last = new Map<string, number | null>([["a", NOW - COOLDOWN + 1]]);
    const plan = planCommit([req("a")], st(last, NOW, COOLDOWN, 0));
    expect(plan.decisions[0]).toEqual({ ok: false, code: "cooldown", retryAfterMs: 1, cooldownUntil: NOW + 1 });
  });

  it("rejects a user's second placement in the same group when the cooldown is positive", () => {
    const plan = planCommit([req("a", 1), req("a", 2)], st(new Map(), NOW, COOLDOWN, 7));
    expect(plan.decisions).toEqual([
      { ok: true, seq: 8, placedAt: NOW, cooldownUntil: NOW + COOLDOWN },
      { ok: false, code: "cooldown", retryAfterMs: COOLDOWN, cooldownUntil: NOW + COOLDOWN },
    ]);
    expect(plan.accepted).toEqual([{ userId: "a", x: 1, y: 0, color: 1, seq: 8 }]);
    expect(plan.nextSeq).toBe(8);
  });

  it("accepts every placement of one user in a group when the cooldown is 0", () => {
    const last = new Map<string, number | null>([["a", NOW]]);
    const plan = planCommit([req("a", 1), req("a", 2), req("a", 3)], st(last, NOW, 0, 0));
    expect(plan.decisions).toEqual([
      { ok: true, seq: 1, placedAt: NOW, cooldownUntil: NOW },
      { ok: true, seq: 2, placedAt: NOW, cooldownUntil: NOW },
      { ok: true, seq: 3, placedAt: NOW, cooldownUntil: NOW },
    ]);
    expect(plan.accepted.map((a) => [a.x, a.seq])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    expect(plan.touchedUsers).toEqual(["a"]);
    expect(plan.nextSeq).toBe(3);
  });

  it("gives rejected placements no seq: the accepted ones stay dense", () => {
    const last = new Map<string, number | null>([["b", NOW - 100]]);
    const plan = planCommit([req("a"), req("b"), req("a"), req("c"), req("b")], st(last, NOW, COOLDOWN, 100));
    expect(plan.decisions.map((d) => (d.ok ? d.seq : d.code))).toEqual([101, "cooldown", "cooldown", 102, "cooldown"]);
    expect(plan.accepted.map((a) => [a.userId, a.seq])).toEqual([
      ["a", 101],
      ["c", 102],
    ]);
    expect(plan.nextSeq).toBe(102);
  });

  it("lists each touched user once, in first-acceptance order", () => {
    const plan = planCommit([req("b"), req("a"), req("b"), req("a"), req("c")], st(new Map(), NOW, 0, 0));
    expect(plan.touchedUsers).toEqual(["b", "a", "c"]);
    expect(plan.nextSeq).toBe(5);
  });

  it("returns nextSeq = baseSeq for an empty group", () => {
    const plan = planCommit([], st(new Map(), NOW, COOLDOWN, 99));
    expect(plan).toEqual({ decisions: [], accepted: [], touchedUsers: [], nextSeq: 99 });
  });

  it("does not modify the lastPlacedAt map it is given", () => {
    const last = new Map<string, number | null>([["a", null]]);
    planCommit([req("a"), req("b")], st(last, NOW, COOLDOWN, 0));
    expect([...last]).toEqual([["a", null]]);
  });

  it("refuses every placement of a frozen board with 'frozen' and gives no seq", () => {
    const plan = planCommit([req("a"), req("b")], { ...st(new Map(), NOW, COOLDOWN, 5), frozen: true });
    expect(plan.decisions).toEqual([
      { ok: false, code: "frozen" },
      { ok: false, code: "frozen" },
    ]);
    expect(plan).toMatchObject({ accepted: [], touchedUsers: [], nextSeq: 5 });
  });

  it("refuses a banned user until the ban's end, and accepts them from that instant", () => {
    const banned = new Map<string, number | null>([
      ["a", NOW + 1],
      ["b", NOW], // the ban ends now: allowed
      ["c", null],
    ]);
    const plan = planCommit([req("a"), req("b"), req("c")], { ...st(new Map(), NOW, COOLDOWN, 0), bannedUntil: banned });
    expect(plan.decisions).toEqual([
      { ok: false, code: "banned", bannedUntil: NOW + 1 },
      { ok: true, seq: 1, placedAt: NOW, cooldownUntil: NOW + COOLDOWN },
      { ok: true, seq: 2, placedAt: NOW, cooldownUntil: NOW + COOLDOWN },
    ]);
  });

  it("puts frozen before banned before cooldown", () => {
    const last = new Map<string, number | null>([["a", NOW - 1]]);
    const banned = new Map<string, number | null>([["a", NOW + 1_000]]);
    const base = { ...st(last, NOW, COOLDOWN, 0), bannedUntil: banned };
    expect(planCommit([req("a")], { ...base, frozen: true }).decisions[0]).toEqual({ ok: false, code: "frozen" });
    expect(planCommit([req("a")], base).decisions[0]).toEqual({ ok: false, code: "banned", bannedUntil: NOW + 1_000 });
    expect(planCommit([req("a")], { ...base, bannedUntil: new Map() }).decisions[0]).toMatchObject({ ok: false, code: "cooldown" });
  });

  it("accepts a whole moderation group on a frozen board, past bans and cooldowns, with no cooldown", () => {
    const last = new Map<string, number | null>([["moderation", NOW]]);
    const banned = new Map<string, number | null>([["moderation", NOW + 1_000]]);
    const plan = planCommit([req("moderation", 1), req("moderation", 2)], {
      ...st(last, NOW, COOLDOWN, 10),
      bannedUntil: banned,
      frozen: true,
      moderation: true,
    });
    expect(plan.decisions).toEqual([
      { ok: true, seq: 11, placedAt: NOW, cooldownUntil: NOW },
      { ok: true, seq: 12, placedAt: NOW, cooldownUntil: NOW },
    ]);
    expect(plan.nextSeq).toBe(12);
  });

  it("keeps accepted seqs dense whatever mix of refusals a group holds", () => {
    const last = new Map<string, number | null>([["c", NOW - 10]]);
    const banned = new Map<string, number | null>([["b", NOW + 5]]);
    const plan = planCommit([req("a"), req("b"), req("c"), req("d"), req("a"), req("e")], {
      ...st(last, NOW, COOLDOWN, 40),
      bannedUntil: banned,
    });
    expect(plan.decisions.map((d) => (d.ok ? d.seq : d.code))).toEqual([41, "banned", "cooldown", 42, "cooldown", 43]);
    expect(plan.touchedUsers).toEqual(["a", "d", "e"]);
  });
});
