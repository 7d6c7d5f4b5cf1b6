// Storage against both backends: embedded PGlite and PostgreSQL (a private throw-away cluster).
// Boards, the per-board group commit (dense seqs, exact cooldown, bans, freeze, moderation),
// snapshots rows, users, the audit log, rollback chunks, stats, durability across reopen; and two
// storage instances on one PostgreSQL database committing at once (two replicas).

import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../server/config";
import type { PlacementRequest } from "../server/canvas/commit-plan";
import { forEachPacked } from "../server/canvas/snapshots";
import { keptSessionSecret, lockDataDir, openPostgres, type Storage } from "../server/canvas/storage";
import { MIN_KEPT_SECRET_CHARS } from "../server/canvas/storage-data-dir";
import { MODERATION_USER, type NewBoard, UnknownBoardError } from "../server/canvas/store";
import { prng } from "./prng";
import { waitFor } from "./wait";
import { backend, BACKENDS, dropDatabases, tempDir } from "./storage-backends";

afterAll(dropDatabases);

const newBoard = (id: string, createdBy: string, over: Partial<NewBoard> = {}): NewBoard => ({
  id,
  title: `Board ${id}`,
  width: 64,
  height: 32,
  cooldownMs: 0,
  visibility: "public",
  createdBy,
  ...over,
});

const place = (userId: string, x: number, y: number, color = 1): PlacementRequest => ({ userId, x, y, color });

for (const kind of BACKENDS) {
  describe(`storage on ${kind}`, () => {
    const b = backend(kind);
    let storage: Storage;
    let owner: string;
    let boardN = 0;
    /** A fresh board (64×32, cooldown 0 unless told) owned by `owner`. */
    const freshBoard = async (over: Partial<NewBoard> = {}) => {
      const res = await storage.createBoard(newBoard(`b${++boardN}`, owner, over), 1_000_000);
      if (!res.ok) throw new Error(res.code);
      return res.board;
    };

    beforeAll(async () => {
      storage = await b.open();
      owner = (await storage.createUser("owner")).id;
    });
    afterAll(async () => {
      await storage?.close();
    });

    describe("boards", () => {
      it("makes main follow the configuration and keeps its seq", async () => {
        const main = await storage.syncMainBoard(300, 200, 7_000);
        expect(main).toMatchObject({ id: "main", width: 300, height: 200, cooldownMs: 7_000, visibility: "public", state: "open", createdBy: null, seq: 0 });
        const u = await storage.createUser("mainer");
        await storage.commitPlacements("main", [place(u.id, 1, 1)], { cooldownMs: 0 });
        const resized = await storage.syncMainBoard(500, 400, 0);
        expect(resized).toMatchObject({ width: 500, height: 400, cooldownMs: 0, seq: 1, createdAt: main.createdAt });
      });

      it("creates boards, refuses a taken id, and gets, lists and freezes them", async () => {
        const u = await storage.createUser("creator");
        const res = await storage.createBoard(newBoard("art-1", u.id, { title: "Art", width: 10, height: 20, cooldownMs: 3_000 }), 5);
        expect(res).toMatchObject({ ok: true, board: { id: "art-1", title: "Art", width: 10, height: 20, cooldownMs: 3_000, state: "open", seq: 0, createdBy: { id: u.id, name: "creator" } } });
        expect(await storage.createBoard(newBoard("art-1", u.id), 5)).toEqual({ ok: false, code: "board_exists" });
        expect(await storage.createBoard(newBoard("main", u.id), 5)).toEqual({ ok: false, code: "board_exists" });
        await storage.createBoard(newBoard("art-2", u.id, { visibility: "unlisted" }), 5);
        await storage.createBoard(newBoard("art-3", u.id), 5);
        expect(await storage.getBoard("nope")).toBeNull();
        expect((await storage.getBoards(["art-2", "nope", "art-1"])).map((x) => x.id).sort()).toEqual(["art-1", "art-2"]);
        const listed = (await storage.listPublicBoards(0, 1_000)).map((x) => x.id);
        expect(listed).toContain("art-1");
        expect(listed).not.toContain("art-2");
        expect(listed.indexOf("art-3")).toBeLessThan(listed.indexOf("art-1")); // newest first
        expect(await storage.listPublicBoards(1, 1)).toEqual([(await storage.listPublicBoards(0, 2))[1]]);
        expect(await storage.setBoardState("art-1", "frozen")).toMatchObject({ id: "art-1", state: "frozen" });
        expect(await storage.setBoardState("nope", "frozen")).toBeNull();
      });

      it("counts a user's creations of the last 24 h in the database, even when they race", async () => {
        const u = await storage.createUser("prolific");
        const results = await Promise.all(Array.from({ length: 8 }, (_, i) => storage.createBoard(newBoard(`race-${i}`, u.id), 3)));
        expect(results.filter((r) => r.ok)).toHaveLength(3);
        expect(results.filter((r) => !r.ok && r.code === "rate_limited")).toHaveLength(5);
        // Another user is not limited by this one's boards.
        const v = await storage.createUser("other");
        expect((await storage.createBoard(newBoard("race-other", v.id), 3)).ok).toBe(true);
      });
    });

    describe("commit", () => {
      it("assigns dense seqs per board, in arrival order, each board counting from 1", async () => {
        const a = await storage.createUser("alice");
        const c = await storage.createUser("carol");
        const one = await freshBoard();
        const two = await freshBoard();
        const plan = await storage.commitPlacements(one.id, [place(a.id, 1, 1, 3), place(c.id, 2, 2, 4), place(a.id, 3, 3, 5)], { cooldownMs: 0 });
        expect(plan.accepted.map((p) => p.seq)).toEqual([1, 2, 3]);
        const other = await storage.commitPlacements(two.id, [place(a.id, 0, 0, 9)], { cooldownMs: 0 });
        expect(other.accepted.map((p) => p.seq)).toEqual([1]);
        expect(await storage.currentSeq(one.id)).toBe(3);
        expect(await storage.currentSeq(two.id)).toBe(1);
        const rows = await storage.placementsAfter(one.id, 0, 10);
        expect(rows.map((r) => [r.seq, r.x, r.y, r.color, r.userId])).toEqual([
          [1, 1, 1, 3, a.id],
          [2, 2, 2, 4, c.id],
          [3, 3, 3, 5, a.id],
        ]);
        const placedAt = plan.decisions[0].ok ? plan.decisions[0].placedAt : -1;
        expect(rows.map((r) => r.placedAt)).toEqual([placedAt, placedAt, placedAt]);
      });

      it("keeps seqs dense under concurrent groups on one board", async () => {
        const board = await freshBoard();
        const users = await Promise.all(Array.from({ length: 8 }, (_, i) => storage.createUser(`u${i}`)));
        const plans = await Promise.all(
          users.map((u, i) => storage.commitPlacements(board.id, Array.from({ length: 5 }, (_, k) => place(u.id, i, k, (i + k) % 32)), { cooldownMs: 0 })),
        );
        const seqs = plans.flatMap((p) => p.accepted.map((x) => x.seq)).sort((x, y) => x - y);
        expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
        expect((await storage.placementsAfter(board.id, 0, 100)).map((r) => r.seq)).toEqual(seqs);
      });

      it("enforces the cooldown per user per board against the database clock", async () => {
        const u = await storage.createUser("cooler");
        const one = await freshBoard();
        const two = await freshBoard();
        const first = await storage.commitPlacements(one.id, [place(u.id, 0, 0)], { cooldownMs: 60_000 });
        expect(first.decisions[0].ok).toBe(true);
        const second = await storage.commitPlacements(one.id, [place(u.id, 0, 1)], { cooldownMs: 60_000 });
        const d = second.decisions[0];
        expect(d).toMatchObject({ ok: false, code: "cooldown" });
        if (!d.ok && d.code === "cooldown" && first.decisions[0].ok) {
          expect(d.cooldownUntil).toBe(first.decisions[0].placedAt + 60_000);
          expect(d.retryAfterMs).toBeGreaterThan(0);
          expect(d.retryAfterMs).toBeLessThanOrEqual(60_000);
        }
        // A refused placement takes no seq.
        expect(await storage.currentSeq(one.id)).toBe(1);
        // Another board has its own cooldown.
        expect((await storage.commitPlacements(two.id, [place(u.id, 0, 0)], { cooldownMs: 60_000 })).decisions[0].ok).toBe(true);
        expect(await storage.lastPlacedAt(one.id, u.id)).toBe(first.decisions[0].ok ? first.decisions[0].placedAt : -1);
        expect(await storage.lastPlacedAt(one.id, "nobody")).toBeNull();
      });

      it("never accepts two placements of one user inside the cooldown, even when they race", async () => {
        const board = await freshBoard();
        const u = await storage.createUser("racer");
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) => storage.commitPlacements(board.id, [place(u.id, i, 9)], { cooldownMs: 60_000 })),
        );
        expect(results.filter((r) => r.decisions[0].ok)).toHaveLength(1);
        expect(await storage.currentSeq(board.id)).toBe(1);
      });

      it("refuses banned users on every board until the ban ends, and frozen boards for everyone", async () => {
        const u = await storage.createUser("vandal");
        const ok = await storage.createUser("fine");
        const board = await freshBoard();
        const banned = await storage.setBan(u.id, 9e15, "spam");
        expect(banned).toMatchObject({ id: u.id, bannedUntil: 9e15, banReason: "spam" });
        const plan = await storage.commitPlacements(board.id, [place(u.id, 0, 0), place(ok.id, 1, 0)], { cooldownMs: 0 });
        expect(plan.decisions[0]).toEqual({ ok: false, code: "banned", bannedUntil: 9e15 });
        expect(plan.decisions[1]).toMatchObject({ ok: true, seq: 1 });
        expect((await storage.commitPlacements("main", [place(u.id, 0, 0)], { cooldownMs: 0 })).decisions[0]).toMatchObject({ code: "banned" });
        expect((await storage.bannedUsers()).map((x) => x.id)).toContain(u.id);
        // A ban that already ended refuses nothing.
        await storage.setBan(u.id, Date.now() - 60_000, "old");
        expect((await storage.bannedUsers()).map((x) => x.id)).not.toContain(u.id);
        expect((await storage.commitPlacements(board.id, [place(u.id, 2, 0)], { cooldownMs: 0 })).decisions[0].ok).toBe(true);
        expect(await storage.setBan(u.id, null, "ignored")).toMatchObject({ bannedUntil: null, banReason: null });

        await storage.setBoardState(board.id, "frozen");
        const frozen = await storage.commitPlacements(board.id, [place(ok.id, 3, 0)], { cooldownMs: 0 });
        expect(frozen.decisions).toEqual([{ ok: false, code: "frozen" }]);
        await storage.setBoardState(board.id, "open");
        expect((await storage.commitPlacements(board.id, [place(ok.id, 3, 0)], { cooldownMs: 0 })).decisions[0]).toMatchObject({ ok: true, seq: 3 });
      });

      it("lets moderation groups through freeze, bans and cooldowns", async () => {
        const board = await freshBoard({ cooldownMs: 60_000 });
        await storage.setBoardState(board.id, "frozen");
        const group = [place(MODERATION_USER.id, 0, 0, 2), place(MODERATION_USER.id, 1, 0, 2), place(MODERATION_USER.id, 2, 0, 2)];
        const plan = await storage.commitPlacements(board.id, group, { cooldownMs: 60_000, moderation: true });
        expect(plan.decisions.map((d) => d.ok && d.seq)).toEqual([1, 2, 3]);
        const again = await storage.commitPlacements(board.id, group, { cooldownMs: 60_000, moderation: true });
        expect(again.accepted.map((p) => p.seq)).toEqual([4, 5, 6]);
        expect((await storage.getUser(MODERATION_USER.id))?.name).toBe("moderation");
      });

      it("counts placements per user per board", async () => {
        const board = await freshBoard();
        const u = await storage.createUser("counter");
        await storage.commitPlacements(board.id, [place(u.id, 0, 0), place(u.id, 1, 0), place(u.id, 2, 0)], { cooldownMs: 0 });
        await storage.commitPlacements(board.id, [place(u.id, 3, 0)], { cooldownMs: 0 });
        const refused = await storage.commitPlacements(board.id, [place(u.id, 4, 0)], { cooldownMs: 60_000 });
        expect(refused.decisions[0]).toMatchObject({ ok: false, code: "cooldown" }); // not counted
        expect(await storage.userPlacements(board.id, u.id)).toBe(4);
        expect(await storage.userPlacements("main", u.id)).toBe(0);
      });

      it("says which board does not exist, and commits an empty group without a statement", async () => {
        await expect(storage.commitPlacements("no-such", [place(owner, 0, 0)], { cooldownMs: 0 })).rejects.toBeInstanceOf(UnknownBoardError);
        await expect(storage.currentSeq("no-such")).rejects.toBeInstanceOf(UnknownBoardError);
        await expect(storage.rollbackChunk("no-such", owner, 0, null, 10)).rejects.toBeInstanceOf(UnknownBoardError);
        const board = await freshBoard();
        expect(await storage.commitPlacements(board.id, [], { cooldownMs: 0 })).toEqual({ decisions: [], accepted: [], touchedUsers: [], nextSeq: 0 });
      });
    });

    describe("reads", () => {
      it("packs placements exactly as placementsAfter reads them, in pages, and filters outside a rectangle", async () => {
        const board = await freshBoard({ width: 1024, height: 1024 });
        const rand = prng(7);
        const u = await storage.createUser("packer");
        for (let g = 0; g < 5; g++) {
          const group = Array.from({ length: 50 }, () => place(u.id, Math.floor(rand() * 1024), Math.floor(rand() * 1024), Math.floor(rand() * 32)));
          await storage.commitPlacements(board.id, group, { cooldownMs: 0 });
        }
        const rows = await storage.placementsAfter(board.id, 0, 1_000);
        const unpack = async (after: number, through: number, limit: number, outside?: { width: number; height: number }) => {
          const got: number[][] = [];
          const page = await storage.placementsPacked(board.id, after, through, limit, outside);
          forEachPacked(page, (seq, x, y, color) => got.push([seq, x, y, color]));
          return { got, page };
        };
        const all = await unpack(0, Number.MAX_SAFE_INTEGER, 10_000);
        expect(all.got).toEqual(rows.map((r) => [r.seq, r.x, r.y, r.color]));
        expect(all.page).toMatchObject({ count: 250, lastSeq: 250 });
        const mid = await unpack(100, 180, 30);
        expect(mid.got).toEqual(rows.slice(100, 130).map((r) => [r.seq, r.x, r.y, r.color]));
        expect(mid.page.lastSeq).toBe(130);
        const capped = await unpack(100, 120, 1_000);
        expect(capped.got.map((r) => r[0])).toEqual(Array.from({ length: 20 }, (_, i) => 101 + i));
        const none = await unpack(250, Number.MAX_SAFE_INTEGER, 10);
        expect(none.page).toMatchObject({ count: 0, lastSeq: 250 });
        const outside = await unpack(0, 200, 10_000, { width: 500, height: 600 });
        expect(outside.got).toEqual(rows.filter((r) => r.seq <= 200 && (r.x >= 500 || r.y >= 600)).map((r) => [r.seq, r.x, r.y, r.color]));
      });

      it("finds the first seq at or after a time by binary search", async () => {
        const board = await freshBoard();
        const u = await storage.createUser("timer");
        const times: number[] = [];
        for (let i = 0; i < 12; i++) {
          const plan = await storage.commitPlacements(board.id, [place(u.id, i, 0), place(u.id, i, 1)], { cooldownMs: 0 });
          for (const d of plan.decisions) if (d.ok) times.push(d.placedAt);
        }
        const expected = (t: number) => {
          const i = times.findIndex((p) => p >= t);
          return i === -1 ? times.length + 1 : i + 1;
        };
        for (const t of [0, times[0], times[0] + 1, times[7], times[7] + 1, times[23], times[23] + 1, 9e15]) {
          expect(await storage.firstSeqAtOrAfter(board.id, t)).toBe(expected(t));
        }
        const empty = await freshBoard();
        expect(await storage.firstSeqAtOrAfter(empty.id, 0)).toBe(1);
        await expect(storage.firstSeqAtOrAfter("no-such", 0)).rejects.toBeInstanceOf(UnknownBoardError);
      });

      it("answers pixel info and history with the latest placements and their authors", async () => {
        const board = await freshBoard();
        const a = await storage.createUser("painter");
        const c = await storage.createUser("overpainter");
        await storage.commitPlacements(board.id, [place(a.id, 7, 8, 9)], { cooldownMs: 0 });
        await storage.commitPlacements(board.id, [place(c.id, 7, 8, 10)], { cooldownMs: 0 });
        await storage.commitPlacements("main", [place(a.id, 7, 8, 11)], { cooldownMs: 0 });
        const info = await storage.pixelInfo(board.id, 7, 8);
        expect(info).toMatchObject({ x: 7, y: 8, color: 10, seq: 2, user: { id: c.id, name: "overpainter" } });
        expect(typeof info!.placedAt).toBe("number");
        expect(await storage.pixelInfo(board.id, 9, 9)).toBeNull();
        const history = await storage.pixelHistory(board.id, 7, 8, 10);
        expect(history.map((h) => [h.seq, h.color, h.user.name])).toEqual([
          [2, 10, "overpainter"],
          [1, 9, "painter"],
        ]);
        expect(await storage.pixelHistory(board.id, 7, 8, 1)).toHaveLength(1);
      });
    });

    describe("snapshots", () => {
      it("stores snapshot rows once, and finds the newest at or below a seq", async () => {
        const board = await freshBoard({ width: 4, height: 2 });
        expect(await storage.latestSnapshot(board.id)).toBeNull();
        expect(await storage.latestSnapshotSeq(board.id)).toBe(0);
        const px = (v: number) => new Uint8Array(8).fill(v);
        expect(await storage.saveSnapshot(board.id, { seq: 10, width: 4, height: 2, pixels: px(1) })).toBe(true);
        expect(await storage.saveSnapshot(board.id, { seq: 10, width: 4, height: 2, pixels: px(9) })).toBe(false);
        expect(await storage.saveSnapshot(board.id, { seq: 20, width: 2, height: 4, pixels: px(2) })).toBe(true);
        expect(await storage.latestSnapshotSeq(board.id)).toBe(20);
        expect(await storage.latestSnapshot(board.id)).toEqual({ seq: 20, width: 2, height: 4, pixels: px(2) });
        expect(await storage.latestSnapshot(board.id, 19)).toEqual({ seq: 10, width: 4, height: 2, pixels: px(1) });
        expect(await storage.latestSnapshot(board.id, 9)).toBeNull();
        await expect(storage.saveSnapshot(board.id, { seq: 30, width: 3, height: 3, pixels: px(1) })).rejects.toThrow(/8 bytes for 3×3/);
      });
    });

    describe("users", () => {
      it("creates users with revision 2's fields, sets moderators and revokes sessions", async () => {
        const u = await storage.createUser("newcomer");
        expect(u).toMatchObject({ name: "newcomer", bannedUntil: null, banReason: null, moderator: false, sessionsAfter: 0 });
        expect(u.id).toMatch(/^[A-Za-z0-9_-]{16}$/);
        expect(await storage.getUser(u.id)).toEqual(u);
        expect(await storage.getUser("nobody")).toBeNull();
        expect(await storage.setModerator(u.id, true)).toMatchObject({ moderator: true });
        expect(await storage.setModerator("nobody", true)).toBeNull();
        expect(await storage.setBan("nobody", 1, "x")).toBeNull();
        const revoked = await storage.revokeSessions(u.id);
        expect(revoked!.sessionsAfter).toBeGreaterThanOrEqual(u.createdAt);
        expect(await storage.revokeSessions("nobody")).toBeNull();
      });
    });

    describe("moderation", () => {
      it("keeps an audit log per board, newest first, paged by id", async () => {
        const board = await freshBoard();
        const other = await freshBoard();
        const entries = [];
        for (let i = 0; i < 5; i++) {
          entries.push(await storage.appendModLog(board.id, { actor: i % 2 ? { admin: true } : { id: owner, name: "owner" }, action: "ban", params: { i }, result: { ok: i } }));
        }
        await storage.appendModLog(other.id, { actor: { admin: true }, action: "freeze", params: { frozen: true }, result: {} });
        expect(entries[0]).toMatchObject({ actor: { id: owner, name: "owner" }, action: "ban", params: { i: 0 }, result: { ok: 0 } });
        expect(typeof entries[0].at).toBe("number");
        const page1 = await storage.modLog(board.id, null, 3);
        expect(page1.map((e) => e.params)).toEqual([{ i: 4 }, { i: 3 }, { i: 2 }]);
        const page2 = await storage.modLog(board.id, page1[2].id, 3);
        expect(page2.map((e) => e.params)).toEqual([{ i: 1 }, { i: 0 }]);
        expect(page2[1]).toEqual(entries[0]);
      });

      it("rolls back a user's pixels to the latest other colour, in (y, x) chunks, leaving overpainted pixels alone", async () => {
        const board = await freshBoard();
        const bad = await storage.createUser("griefer");
        const good = await storage.createUser("artist");
        const commit = (reqs: PlacementRequest[]) => storage.commitPlacements(board.id, reqs, { cooldownMs: 0 });
        await commit([place(good.id, 0, 0, 5), place(good.id, 1, 0, 6), place(good.id, 5, 5, 7)]); // 1-3
        await commit([place(bad.id, 0, 0, 1), place(bad.id, 1, 0, 1), place(bad.id, 2, 0, 1), place(bad.id, 5, 5, 1)]); // 4-7
        await commit([place(bad.id, 0, 1, 1), place(bad.id, 3, 3, 1)]); // 8-9
        await commit([place(good.id, 3, 3, 8)]); // 10: overpainted, no longer the griefer's
        await commit([place(bad.id, 0, 0, 2)]); // 11: griefer paints (0,0) twice
        // Candidates (where the griefer placed), in (y, x) order: (0,0) (1,0) (2,0) (0,1) (3,3) (5,5).
        // A chunk examines up to N of them; (3,3) is the artist's now, so it is left alone.
        const first = await storage.rollbackChunk(board.id, bad.id, 0, null, 2);
        expect(first.committed.map((p) => [p.seq, p.x, p.y, p.color, p.userId])).toEqual([
          [12, 0, 0, 5, "moderation"],
          [13, 1, 0, 6, "moderation"],
        ]);
        expect(first.next).toEqual({ x: 1, y: 0 });
        // Someone paints over (2,0) between chunks: it is left alone.
        await commit([place(good.id, 2, 0, 9)]); // 14
        const second = await storage.rollbackChunk(board.id, bad.id, 0, first.next, 2);
        expect(second.committed.map((p) => [p.seq, p.x, p.y, p.color])).toEqual([[15, 0, 1, 0]]);
        expect(second.next).toEqual({ x: 0, y: 1 });
        const third = await storage.rollbackChunk(board.id, bad.id, 0, second.next, 2);
        expect(third.committed.map((p) => [p.seq, p.x, p.y, p.color])).toEqual([[16, 5, 5, 7]]);
        expect(third.next).toEqual({ x: 5, y: 5 });
        const fourth = await storage.rollbackChunk(board.id, bad.id, 0, third.next, 2);
        expect(fourth).toEqual({ committed: [], next: null });
        expect(await storage.currentSeq(board.id)).toBe(16);
        // afterSeq: only placements after it count.
        await commit([place(bad.id, 10, 10, 3)]); // 17
        await commit([place(bad.id, 11, 10, 3)]); // 18
        const recent = await storage.rollbackChunk(board.id, bad.id, 17, null, 100);
        expect(recent.committed.map((p) => [p.seq, p.x, p.y, p.color])).toEqual([[19, 11, 10, 0]]);
        expect(recent.next).toBeNull();
      });
    });

    describe("stats", () => {
      it("ranks placers all time and since a time, leaving moderation out, and counts placements per minute", async () => {
        const board = await freshBoard();
        const [a, c, d] = await Promise.all(["ann", "cid", "dee"].map((n) => storage.createUser(n)));
        const commit = (reqs: PlacementRequest[]) => storage.commitPlacements(board.id, reqs, { cooldownMs: 0 });
        const early = await commit([place(a.id, 0, 0), place(a.id, 1, 0), place(a.id, 2, 0), place(c.id, 3, 0)]);
        const earlyAt = early.decisions[0].ok ? early.decisions[0].placedAt : NaN;
        await waitFor(() => Date.now() > earlyAt, 1_000, "the clock to pass the first group's millisecond"); // the database runs on this machine's clock
        const later = await commit([place(d.id, 0, 1), place(d.id, 1, 1), place(c.id, 2, 1)]);
        await storage.commitPlacements(board.id, Array.from({ length: 9 }, (_, i) => place(MODERATION_USER.id, i, 5)), { cooldownMs: 0, moderation: true });
        const since = later.decisions[0].ok ? later.decisions[0].placedAt : NaN;
        expect(await storage.topPlacers(board.id, null, 10)).toEqual([
          { user: { id: a.id, name: "ann" }, placements: 3 },
          ...[
            { user: { id: c.id, name: "cid" }, placements: 2 },
            { user: { id: d.id, name: "dee" }, placements: 2 },
          ].sort((p, q) => (p.user.id < q.user.id ? -1 : 1)),
        ]);
        expect(await storage.topPlacers(board.id, null, 1)).toHaveLength(1);
        expect(since).toBeGreaterThan(earlyAt);
        expect(await storage.topPlacers(board.id, since, 10)).toEqual([
          { user: { id: d.id, name: "dee" }, placements: 2 },
          { user: { id: c.id, name: "cid" }, placements: 1 },
        ]);
        const firstPlacedAt = earlyAt;
        expect(await storage.topPlacers(board.id, 9e15, 10)).toEqual([]);

        const rows = await storage.placementsAfter(board.id, 0, 100);
        const perMinute = await storage.placementsPerMinute(board.id, 0, 9e15);
        expect(perMinute.reduce((n, m) => n + m.placements, 0)).toBe(7);
        for (const m of perMinute) expect(m.minute % 60_000).toBe(0);
        const expectMinutes = new Map<number, number>();
        for (const r of rows) if (r.userId !== MODERATION_USER.id) expectMinutes.set(Math.floor(r.placedAt / 60_000) * 60_000, (expectMinutes.get(Math.floor(r.placedAt / 60_000) * 60_000) ?? 0) + 1);
        expect(perMinute).toEqual([...expectMinutes].sort((p, q) => p[0] - q[0]).map(([minute, placements]) => ({ minute, placements })));
        // [from, to): nothing before the first placement, and `to` is exclusive.
        expect(await storage.placementsPerMinute(board.id, 0, firstPlacedAt)).toEqual([]);
        expect(await storage.placementsPerMinute(board.id, 5, 5)).toEqual([]);
      });
    });

    it("keeps everything across a close and reopen", async () => {
      const boardsBefore = await storage.listPublicBoards(0, 1_000);
      const rows = await storage.placementsAfter("main", 0, 1_000);
      await storage.close();
      storage = await b.open();
      expect(await storage.listPublicBoards(0, 1_000)).toEqual(boardsBefore);
      expect(await storage.placementsAfter("main", 0, 1_000)).toEqual(rows);
    });
  });
}

describe("two replicas on one PostgreSQL database", () => {
  const b = backend("postgres");
  let one: Storage;
  let two: Storage;
  beforeAll(async () => {
    one = await b.open();
    two = await openPostgres(await b.location(), () => {});
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
  });

  it("commit concurrently with exact cooldowns and dense seqs per board, boards isolated", async () => {
    const COOLDOWN = 40;
    const users = await Promise.all(Array.from({ length: 12 }, (_, i) => one.createUser(`r${i}`)));
    const creator = users[0].id;
    for (const id of ["rep-a", "rep-b"]) {
      const res = await one.createBoard(newBoard(id, creator, { width: 100, height: 100, cooldownMs: COOLDOWN }), 10);
      expect(res.ok).toBe(true);
    }
    const rand = prng(42);
    // Each replica sends rounds of groups to both boards at once, every user in every group,
    // with no pause: most placements are refused, and exactness is what matters.
    const run = async (s: Storage) => {
      for (let round = 0; round < 60; round++) {
        await Promise.all(
          ["rep-a", "rep-b"].map((board) =>
            s.commitPlacements(
              board,
              users.map((u) => place(u.id, Math.floor(rand() * 100), Math.floor(rand() * 100), Math.floor(rand() * 32))),
              { cooldownMs: COOLDOWN },
            ),
          ),
        );
      }
    };
    await Promise.all([run(one), run(two)]);

    const admin = new pg.Client({ connectionString: await b.location() });
    await admin.connect();
    try {
      const byBoard = new Map<string, Array<{ seq: number; user: string; at: number }>>();
      const { rows } = await admin.query<{ board_id: string; seq: string; user_id: string; placed_at: string }>(
        "select board_id, seq, user_id, placed_at from placements where board_id in ('rep-a', 'rep-b') order by board_id, seq",
      );
      for (const r of rows) {
        const list = byBoard.get(r.board_id) ?? [];
        list.push({ seq: Number(r.seq), user: r.user_id, at: Number(r.placed_at) });
        byBoard.set(r.board_id, list);
      }
      let isolatedPairs = 0;
      for (const [board, list] of byBoard) {
        expect(list.map((p) => p.seq), board).toEqual(list.map((_, i) => i + 1));
        expect(await one.currentSeq(board)).toBe(list.length);
        expect(list.length, `${board}: several accepted per user`).toBeGreaterThan(users.length);
        for (const u of users) {
          const times = list.filter((p) => p.user === u.id).map((p) => p.at);
          for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1], `${board} ${u.id}`).toBeGreaterThanOrEqual(COOLDOWN);
          expect(await two.userPlacements(board, u.id)).toBe(times.length);
        }
        // placed_at never decreases along seq.
        for (let i = 1; i < list.length; i++) expect(list[i].at).toBeGreaterThanOrEqual(list[i - 1].at);
      }
      // Boards isolated: a user's placements on one board do not hold back the other board.
      const a = byBoard.get("rep-a")!;
      const bb = byBoard.get("rep-b")!;
      for (const p of a) if (bb.some((q) => q.user === p.user && Math.abs(q.at - p.at) < COOLDOWN)) isolatedPairs++;
      expect(isolatedPairs).toBeGreaterThan(0);
    } finally {
      await admin.end();
    }
  });
});

describe("rollback racing other placements on PostgreSQL", () => {
  it("reverts only pixels whose latest placement is still the user's when each chunk runs", async () => {
    const b = backend("postgres");
    const mod = await b.open();
    const painter = await openPostgres(await b.location(), () => {});
    try {
      const [bad, good] = await Promise.all([mod.createUser("griefer"), mod.createUser("artist")]);
      await mod.createBoard(newBoard("race-rb", good.id, { width: 40, height: 40 }), 5);
      const rand = prng(77);
      const randomGroup = (userId: string, n: number) => Array.from({ length: n }, () => place(userId, Math.floor(rand() * 40), Math.floor(rand() * 40), 1 + Math.floor(rand() * 31)));
      for (let g = 0; g < 10; g++) {
        await painter.commitPlacements("race-rb", randomGroup(good.id, 60), { cooldownMs: 0 });
        await painter.commitPlacements("race-rb", randomGroup(bad.id, 60), { cooldownMs: 0 });
      }
      // The artist keeps painting while the rollback runs in small chunks on another replica.
      let rolling = true;
      const painting = (async () => {
        while (rolling) await painter.commitPlacements("race-rb", randomGroup(good.id, 5), { cooldownMs: 0 });
      })();
      let next: { x: number; y: number } | null = null;
      let chunks = 0;
      do {
        ({ next } = await mod.rollbackChunk("race-rb", bad.id, 0, next, 7));
        chunks++;
      } while (next);
      rolling = false;
      await painting;
      expect(chunks).toBeGreaterThan(3);

      const all = await mod.placementsAfter("race-rb", 0, 100_000);
      expect(all.map((p) => p.seq)).toEqual(all.map((_, i) => i + 1));
      const latest = new Map<number, (typeof all)[number]>();
      let moderated = 0;
      for (const p of all) {
        const key = p.y * 40 + p.x;
        if (p.userId === MODERATION_USER.id) {
          moderated++;
          // Exact: the pixel's latest placement just before was the griefer's, and the colour is
          // that of the latest placement there by anyone else.
          expect(latest.get(key)?.userId).toBe(bad.id);
          const others = all.filter((q) => q.seq < p.seq && q.x === p.x && q.y === p.y && q.userId !== bad.id);
          expect(p.color).toBe(others.length ? others[others.length - 1].color : 0);
        }
        latest.set(key, p);
      }
      expect(moderated).toBeGreaterThan(0);
      // Nothing of the griefer's is left showing.
      expect([...latest.values()].filter((p) => p.userId === bad.id)).toEqual([]);
    } finally {
      await mod.close();
      await painter.close();
    }
  });
});

describe("embedded database directory", () => {
  it("refuses a second process on the same DATA_DIR and takes over a stale lock", () => {
    const dir = tempDir();
    const unlock = lockDataDir(dir);
    unlock();
    // Same process id counts as ours (a restarted container reuses pid 1), so simulate another live
    // process by writing the pid of this test runner's parent, which is alive.
    fs.writeFileSync(`${dir}/tessera.lock`, String(process.ppid));
    expect(() => lockDataDir(dir)).toThrow(ConfigError);
    expect(() => lockDataDir(dir)).toThrow(/in use by another Tessera process/);
    fs.writeFileSync(`${dir}/tessera.lock`, "2147483646");
    const release = lockDataDir(dir);
    expect(fs.readFileSync(`${dir}/tessera.lock`, "utf8")).toBe(String(process.pid));
    release();
    expect(fs.existsSync(`${dir}/tessera.lock`)).toBe(false);
  });

  it("keeps one session secret, made once with mode 0600", () => {
    const dir = path.join(tempDir(), "not-yet-made");
    const secret = keptSessionSecret(dir);
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(keptSessionSecret(dir)).toBe(secret);
    const file = path.join(dir, "session-secret");
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dir)).toEqual(["session-secret"]); // no temporary file left behind
  });

  it("refuses an empty or too short kept session secret with an error naming the file, and leaves it as it is", () => {
    const almost = "x".repeat(MIN_KEPT_SECRET_CHARS - 1);
    for (const content of ["", "\n", "   \n", "short-secret\n", almost, `  ${almost}  \n`]) {
      const dir = tempDir();
      const file = path.join(dir, "session-secret");
      fs.writeFileSync(file, content);
      expect(() => keptSessionSecret(dir)).toThrow(ConfigError);
      expect(() => keptSessionSecret(dir)).toThrow(file);
      expect(fs.readFileSync(file, "utf8")).toBe(content);
    }
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, "session-secret"), `${almost}!\n`);
    expect(keptSessionSecret(dir)).toBe(`${almost}!`);
  });
});
