// Snapshots against both backends: a board loaded from a snapshot plus its tail equals a full
// replay byte for byte (random histories from a seeded PRNG, many snapshot points, resized
// boards); the writer's catch-up, idempotence across two replicas and failures; and on
// PostgreSQL, a writer process SIGKILLed in the middle of storing a snapshot.

import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { boardAtSeq } from "../server/canvas/history";
import { buildBoard, loadBoard, SnapshotWriter } from "../server/canvas/snapshots";
import { openPostgres, type Storage } from "../server/canvas/storage";
import type { PixelRecord } from "../lib/protocol";
import { prng } from "./prng";
import { backend, BACKENDS, dropDatabases } from "./storage-backends";
import { waitFor } from "./wait";

afterAll(dropDatabases);

/** The board after seq `through`, replayed from the very first placement. */
async function fullReplay(storage: Storage, boardId: string, width: number, height: number, through = Number.MAX_SAFE_INTEGER): Promise<Uint8Array> {
  const pixels = new Uint8Array(width * height);
  for (let after = 0; ; ) {
    const page = await storage.placementsAfter(boardId, after, 10_000);
    for (const p of page) if (p.seq <= through && p.x < width && p.y < height) pixels[p.y * width + p.x] = p.color;
    if (page.length < 10_000 || page[page.length - 1].seq >= through) return pixels;
    after = page[page.length - 1].seq;
  }
}

/** Commit `n` random placements to a board in random-sized groups (several users, no cooldown). */
async function randomHistory(storage: Storage, boardId: string, width: number, height: number, n: number, seed: number): Promise<void> {
  const rand = prng(seed);
  const users = await Promise.all(Array.from({ length: 5 }, (_, i) => storage.createUser(`p${seed}-${i}`)));
  // A small palette area so that pixels are painted over many times: last-writer-wins gets exercised.
  for (let left = n; left > 0; ) {
    const size = Math.min(left, 1 + Math.floor(rand() * 150));
    left -= size;
    const group = Array.from({ length: size }, () => ({
      userId: users[Math.floor(rand() * users.length)].id,
      x: Math.floor(rand() * width),
      y: Math.floor(rand() * height),
      color: Math.floor(rand() * 32),
    }));
    await storage.commitPlacements(boardId, group, { cooldownMs: 0 });
  }
}

for (const kind of BACKENDS) {
  describe(`snapshots on ${kind}`, () => {
    const b = backend(kind);
    let storage: Storage;
    let owner: string;
    let n = 0;
    const createBoard = async (width: number, height: number) => {
      const res = await storage.createBoard({ id: `s${++n}`, title: "s", width, height, cooldownMs: 0, visibility: "public", createdBy: owner }, 1e9);
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

    for (const seed of [1, 2, 3]) {
      it(`snapshot + tail equals a full replay at every seq tried (seed ${seed})`, async () => {
        const rand = prng(seed * 7919);
        const width = 8 + Math.floor(rand() * 40);
        const height = 8 + Math.floor(rand() * 40);
        const every = 37 + Math.floor(rand() * 100);
        const board = await createBoard(width, height);
        const total = 600 + Math.floor(rand() * 600);
        const saved: number[] = [];
        const errors: Error[] = [];
        const writer = new SnapshotWriter(storage, { every, onSaved: (_b, seq) => saved.push(seq), onError: (_b, err) => errors.push(err) });
        // Commit in slices and tell the writer after each, as a board service does.
        for (let done = 0; done < total; done += 200) {
          await randomHistory(storage, board.id, width, height, Math.min(200, total - done), seed * 100 + done);
          writer.noteSeq(board.id, await storage.currentSeq(board.id));
        }
        await writer.idle();
        expect(errors).toEqual([]);
        const current = await storage.currentSeq(board.id);
        expect(current).toBe(total);
        expect(saved).toEqual(Array.from({ length: Math.floor(total / every) }, (_, i) => (i + 1) * every));

        // Now: every load path agrees with the full replay.
        const tail: PixelRecord[] = [];
        const loaded = await loadBoard(storage, board.id, width, height, (r) => tail.push(r));
        const pagedTail: PixelRecord[] = [];
        const paged = await buildBoard(storage, board.id, width, height, { onTail: (r) => pagedTail.push(r), pagePlacements: 10 });
        expect(paged.seq).toBe(total);
        expect(Buffer.from(paged.pixels).equals(Buffer.from(loaded.pixels))).toBe(true);
        expect(loaded.seq).toBe(total);
        expect(Buffer.from(loaded.pixels).equals(Buffer.from(await fullReplay(storage, board.id, width, height)))).toBe(true);
        const lastSnap = Math.floor(total / every) * every;
        expect(tail.map((r) => r.seq)).toEqual(Array.from({ length: total - lastSnap }, (_, i) => lastSnap + 1 + i));
        expect(pagedTail).toEqual(tail);

        // Each stored snapshot is exactly the board at its seq.
        for (const seq of saved) {
          const snap = await storage.latestSnapshot(board.id, seq);
          expect(snap?.seq).toBe(seq);
          expect(Buffer.from(snap!.pixels).equals(Buffer.from(await fullReplay(storage, board.id, width, height, seq)))).toBe(true);
        }

        // Any seq, from its newest snapshot and from every older snapshot point.
        const points = [0, 1, every - 1, every, every + 1, total - 1, total, ...Array.from({ length: 6 }, () => Math.floor(rand() * (total + 1)))];
        for (const seq of points) {
          const expected = Buffer.from(await fullReplay(storage, board.id, width, height, seq));
          const atSeq = await boardAtSeq(storage, board.id, seq);
          expect(atSeq.seq).toBe(seq);
          expect(Buffer.from(atSeq.pixels).equals(expected), `seq ${seq}`).toBe(true);
          for (const from of [0, ...saved.filter((s) => s <= seq)]) {
            const snap = from === 0 ? null : await storage.latestSnapshot(board.id, from);
            // Pages of any size, down to one placement, give the same board.
            const pagePlacements = [1, 7, 50, 10_000][Math.floor(rand() * 4)];
            const built = await buildBoard(storage, board.id, width, height, { through: seq, from: snap, pagePlacements });
            expect(built.seq).toBe(seq);
            expect(Buffer.from(built.pixels).equals(expected), `seq ${seq} from snapshot ${from}`).toBe(true);
          }
        }
      });
    }

    it("loads main correctly after it was resized, whatever size its snapshots have", async () => {
      // main starts 50×40, shrinks to 30×20 (snapshots at that size), then grows to 60×45: what was
      // painted outside 30×20 before the shrink shows again, from the placements.
      await storage.syncMainBoard(50, 40, 0);
      await randomHistory(storage, "main", 50, 40, 400, 11);
      await storage.syncMainBoard(30, 20, 0);
      const writer = new SnapshotWriter(storage, { every: 100 });
      writer.noteSeq("main", await storage.currentSeq("main"));
      await writer.idle();
      expect(await storage.latestSnapshot("main")).toMatchObject({ seq: 400, width: 30, height: 20 });
      await randomHistory(storage, "main", 30, 20, 150, 12);
      for (const [w, h] of [
        [30, 20],
        [60, 45],
        [25, 30],
      ]) {
        await storage.syncMainBoard(w, h, 0);
        const loaded = await loadBoard(storage, "main", w, h);
        expect(loaded.seq).toBe(550);
        const paged = await buildBoard(storage, "main", w, h, { pagePlacements: 13 });
        expect(Buffer.from(paged.pixels).equals(Buffer.from(loaded.pixels))).toBe(true);
        expect(Buffer.from(loaded.pixels).equals(Buffer.from(await fullReplay(storage, "main", w, h))), `${w}×${h}`).toBe(true);
        const past = await boardAtSeq(storage, "main", 450);
        expect(Buffer.from(past.pixels).equals(Buffer.from(await fullReplay(storage, "main", w, h, 450))), `${w}×${h} at 450`).toBe(true);
      }
      // New snapshots are made at the new size, still from the database.
      writer.noteSeq("main", 550);
      await writer.idle();
      expect(await storage.latestSnapshot("main")).toMatchObject({ seq: 500, width: 25, height: 30 });
      const loaded = await loadBoard(storage, "main", 25, 30);
      expect(Buffer.from(loaded.pixels).equals(Buffer.from(await fullReplay(storage, "main", 25, 30)))).toBe(true);
    });

    it("does nothing before a snapshot is due, and reports a failure without throwing", async () => {
      const board = await createBoard(10, 10);
      await randomHistory(storage, board.id, 10, 10, 99, 5);
      const errors: string[] = [];
      const writer = new SnapshotWriter(storage, { every: 100, onError: (_b, err) => errors.push(err.message) });
      writer.noteSeq(board.id, 99);
      await writer.idle();
      expect(await storage.latestSnapshotSeq(board.id)).toBe(0);
      // A board that vanished between the note and the write: reported, not thrown.
      writer.noteSeq("no-such-board", 100);
      await writer.idle();
      expect(errors).toEqual([]); // an unknown board has nothing to write
      await randomHistory(storage, board.id, 10, 10, 1, 6);
      writer.noteSeq(board.id, 100);
      await writer.idle();
      expect(await storage.latestSnapshotSeq(board.id)).toBe(100);
      await writer.close();
      writer.noteSeq(board.id, 1_000); // closed: ignored
      await writer.idle();
    });
  });
}

describe("snapshots with two replicas on PostgreSQL", () => {
  it("two writers on one board store each snapshot once", async () => {
    const b = backend("postgres");
    const one = await b.open();
    const two = await openPostgres(await b.location(), () => {});
    try {
      const owner = await one.createUser("o");
      await one.createBoard({ id: "twin", title: "t", width: 20, height: 20, cooldownMs: 0, visibility: "public", createdBy: owner.id }, 5);
      await randomHistory(one, "twin", 20, 20, 500, 21);
      const stored: Array<[number, boolean]> = [];
      const w1 = new SnapshotWriter(one, { every: 100, onSaved: (_b, s, ok) => stored.push([s, ok]) });
      const w2 = new SnapshotWriter(two, { every: 100, onSaved: (_b, s, ok) => stored.push([s, ok]) });
      w1.noteSeq("twin", 500);
      w2.noteSeq("twin", 500);
      await Promise.all([w1.idle(), w2.idle()]);
      // Each seq stored exactly once (the other writer either found it or was told it existed).
      const trueCount = new Map<number, number>();
      for (const [s, ok] of stored) if (ok) trueCount.set(s, (trueCount.get(s) ?? 0) + 1);
      expect([...trueCount].sort((p, q) => p[0] - q[0])).toEqual([100, 200, 300, 400, 500].map((s) => [s, 1]));
      const loaded = await loadBoard(two, "twin", 20, 20);
      expect(Buffer.from(loaded.pixels).equals(Buffer.from(await fullReplay(one, "twin", 20, 20)))).toBe(true);
    } finally {
      await one.close();
      await two.close();
    }
  });
});

// "Mid-way", made deterministic: a transaction of the test holds a lock that lets the writer read
// but makes its insert of snapshot 3000 wait, and the kill lands while that statement runs. What
// the server then does depends on whether it notices the dead client during the wait:
//  - with client_connection_check_interval it aborts the insert: no snapshot 3000;
//  - without (PostgreSQL's default, as Tessera connects) the insert completes once the lock is
//    released, whole, and the connection closes when the answer cannot be delivered.
// Either way the database holds only whole snapshots, and loads are right.
describe("a snapshot writer killed while storing a snapshot (PostgreSQL)", () => {
  for (const checkInterval of [true, false]) {
    it(`leaves the database consistent and the next writer finishes the work (${checkInterval ? "server notices the dead client" : "server default"})`, async () => {
      const b = backend("postgres");
      const url = await b.location();
      const storage = await b.open();
      const locker = new pg.Client({ connectionString: url });
      const monitor = new pg.Client({ connectionString: url }); // outside any transaction: pg_stat_activity is read fresh each time
      await locker.connect();
      await monitor.connect();
      const childSessions = async (where = "true") =>
        (await monitor.query(`select 1 from pg_stat_activity where application_name = 'tessera-snapshot-child' and ${where}`)).rowCount;
      const snapshotSeqs = async () =>
        (await monitor.query<{ seq: string }>(`select seq from snapshots where board_id = 'kill' order by seq`)).rows.map((r) => Number(r.seq));
      let child: ChildProcess | null = null;
      try {
        const owner = await storage.createUser("o");
        await storage.createBoard({ id: "kill", title: "k", width: 300, height: 200, cooldownMs: 0, visibility: "public", createdBy: owner.id }, 5);
        await randomHistory(storage, "kill", 300, 200, 5_000, 31);
        // Snapshots up to 2000 exist; the child has 3000…5000 to write.
        const first = new SnapshotWriter(storage, { every: 1_000 });
        first.noteSeq("kill", 2_000);
        await first.idle();
        expect(await snapshotSeqs()).toEqual([1_000, 2_000]);

        await locker.query("begin");
        await locker.query("lock table snapshots in share mode");
        const childUrl = new URL(url);
        childUrl.searchParams.set("application_name", "tessera-snapshot-child");
        if (checkInterval) childUrl.searchParams.set("options", "-c client_connection_check_interval=50");
        const out: string[] = [];
        child = spawn(process.execPath, ["--import", "tsx", path.join(import.meta.dirname, "snapshot-writer-child.ts"), childUrl.toString(), "kill", "1000"], {
          cwd: path.join(import.meta.dirname, ".."),
          stdio: ["ignore", "pipe", "inherit"],
        });
        child.stdout!.on("data", (d: Buffer) => out.push(...d.toString().split("\n").filter(Boolean)));
        await waitFor(() => out.includes("saving 3000"), 20_000, "the child to start storing snapshot 3000");
        await waitFor(
          async () => (await childSessions(`wait_event_type = 'Lock' and query ilike 'insert into "snapshots"%'`)) === 1,
          10_000,
          "the child's insert to wait on the lock",
        );
        const exited = new Promise((r) => child!.once("exit", r));
        child.kill("SIGKILL");
        await exited;
        if (checkInterval) {
          await waitFor(async () => (await childSessions()) === 0, 10_000, "the server to end the dead child's sessions");
          await locker.query("rollback");
          expect(await snapshotSeqs()).toEqual([1_000, 2_000]);
        } else {
          await locker.query("rollback");
          await waitFor(async () => (await childSessions()) === 0, 10_000, "the child's insert to finish and its sessions to end");
          expect(await snapshotSeqs()).toEqual([1_000, 2_000, 3_000]);
        }
        expect(out.filter((l) => l.startsWith("saved") || l === "done")).toEqual([]);

        // Only whole snapshots, each exactly the board at its seq; loads are right.
        for (const seq of await snapshotSeqs()) {
          const snap = await storage.latestSnapshot("kill", seq);
          expect(snap?.seq).toBe(seq);
          expect(Buffer.from(snap!.pixels).equals(Buffer.from(await fullReplay(storage, "kill", 300, 200, seq)))).toBe(true);
        }
        const expected = Buffer.from(await fullReplay(storage, "kill", 300, 200));
        expect(Buffer.from((await loadBoard(storage, "kill", 300, 200)).pixels).equals(expected)).toBe(true);

        // The next writer (a restarted replica) writes what was missing.
        const next = new SnapshotWriter(storage, { every: 1_000 });
        next.noteSeq("kill", 5_000);
        await next.idle();
        expect(await snapshotSeqs()).toEqual([1_000, 2_000, 3_000, 4_000, 5_000]);
        for (const seq of [3_000, 5_000]) {
          const snap = await storage.latestSnapshot("kill", seq);
          expect(Buffer.from(snap!.pixels).equals(Buffer.from(await fullReplay(storage, "kill", 300, 200, seq)))).toBe(true);
        }
        expect(Buffer.from((await loadBoard(storage, "kill", 300, 200)).pixels).equals(expected)).toBe(true);
      } finally {
        if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
        await locker.query("rollback").catch(() => {});
        await locker.end();
        await monitor.end();
        await storage.close();
      }
    }, 60_000);
  }
});
