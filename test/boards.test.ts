// Boards, per-user events and live cursors on one replica, over real sockets (SPEC §9, §11).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServerMessage } from "../lib/protocol";
import { createBoard, fetchBoard, newSession, startTestServer, TestClient, waitFor } from "./helpers";

type Srv = Awaited<ReturnType<typeof startTestServer>>;
type Cursors = Extract<ServerMessage, { type: "cursors" }>;

describe("boards", () => {
  let srv: Srv;
  let base: string;
  let owner: { user: { id: string; name: string }; cookie: string };

  beforeAll(async () => {
    srv = await startTestServer({ env: { BOARDS_PER_USER_PER_DAY: "4", COOLDOWN_MS: "0" }, roomLingerMs: 300 });
    base = srv.url;
    owner = await newSession(base, "owner");
  });
  afterAll(async () => {
    await srv?.close();
  });

  it("validates new boards with a message per field, and refuses taken ids", async () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ title: "", width: 10, height: 10 }, /title/],
      [{ title: "x".repeat(61), width: 10, height: 10 }, /title/],
      [{ title: "ok", width: 0, height: 10 }, /width/],
      [{ title: "ok", width: 10, height: 1025 }, /height/],
      [{ title: "ok", width: 10.5, height: 10 }, /width/],
      [{ title: "ok", width: 10, height: 10, cooldownMs: 3_600_001 }, /cooldownMs/],
      [{ title: "ok", width: 10, height: 10, visibility: "secret" }, /visibility/],
      [{ title: "ok", width: 10, height: 10, id: "-bad" }, /id/],
      [{ title: "ok", width: 10, height: 10, id: "UPPER" }, /id/],
      [{ title: "a\u202Eb", width: 10, height: 10 }, /title/],
    ];
    for (const [body, field] of bad) {
      const r = await createBoard(base, owner.cookie, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe("invalid_board");
      expect(r.body.error.message).toMatch(field);
    }
    const noSession = await fetch(`${base}/api/boards`, { method: "POST", body: JSON.stringify({ title: "x", width: 5, height: 5 }) });
    expect(noSession.status).toBe(401);
    const made = await createBoard(base, owner.cookie, { title: "Class 4B — Art!", width: 40, height: 30, cooldownMs: 0 });
    expect(made.status).toBe(201);
    expect(made.body.board).toMatchObject({ id: "class-4b-art", title: "Class 4B — Art!", width: 40, height: 30, cooldownMs: 0, visibility: "public", state: "open", seq: 0 });
    expect(made.body.board.createdBy).toEqual(owner.user);
    const again = await createBoard(base, owner.cookie, { title: "Class 4B — Art!", width: 40, height: 30 });
    expect(again.status).toBe(201);
    expect(again.body.board.id).toBe("class-4b-art-2"); // a made-up id takes the next free one
    const taken = await createBoard(base, owner.cookie, { title: "whatever", width: 5, height: 5, id: "class-4b-art" });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe("board_exists");
    const main = await createBoard(base, owner.cookie, { title: "main", width: 5, height: 5, id: "main" });
    expect(main.status).toBe(409);
  });

  it("limits boards per user per day", async () => {
    const u = await newSession(base, "maker");
    for (let i = 0; i < 4; i++) expect((await createBoard(base, u.cookie, { title: `m${i}`, width: 4, height: 4 })).status).toBe(201);
    const fifth = await createBoard(base, u.cookie, { title: "m5", width: 4, height: 4 });
    expect(fifth.status).toBe(429);
    expect(fifth.body.error.code).toBe("rate_limited");
  });

  it("lists public boards, hides unlisted ones from the list, and answers 404 for unknown ones", async () => {
    const u = await newSession(base, "lister");
    await createBoard(base, u.cookie, { title: "secret", width: 4, height: 4, id: "hidden-one", visibility: "unlisted" });
    const ids: string[] = [];
    let after: string | null = null;
    do {
      const page = await (await fetch(`${base}/api/boards?limit=2${after ? `&after=${after}` : ""}`)).json();
      expect(page.boards.length).toBeLessThanOrEqual(2);
      ids.push(...page.boards.map((b: { id: string }) => b.id));
      after = page.next;
    } while (after);
    expect(ids).toContain("main");
    expect(ids).toContain("class-4b-art");
    expect(ids).not.toContain("hidden-one");
    expect(new Set(ids).size).toBe(ids.length);
    expect((await fetch(`${base}/api/boards/hidden-one`)).status).toBe(200);
    const missing = await fetch(`${base}/api/boards/no-such-board`);
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBe("no_board");
    expect((await fetch(`${base}/api/boards/NOT_AN_ID/canvas`)).status).toBe(404);
    expect((await fetch(`${base}/api/boards?limit=abc`)).status).toBe(400);
    expect((await fetch(`${base}/api/boards?after=!!`)).status).toBe(400);
  });

  it("keeps seq, pixels, presence and cooldown separate per board", async () => {
    const b = await createBoard(base, owner.cookie, { title: "iso", width: 16, height: 16, cooldownMs: 60_000, id: "iso" });
    expect(b.status).toBe(201);
    const alice = await newSession(base, "alice-iso");
    const onMain = await TestClient.connect(base, alice.cookie);
    const onIso = await TestClient.connect(base, alice.cookie, {}, "iso");
    const watcherMain = await TestClient.connect(base, owner.cookie);
    expect(onIso.welcome.board).toMatchObject({ id: "iso", width: 16, height: 16, cooldownMs: 60_000 });
    expect(onIso.welcome).toMatchObject({ width: 16, height: 16, cooldownMs: 60_000, seq: 0, protocol: 2 });
    const first = await onIso.place(3, 3, 5);
    expect(first).toMatchObject({ type: "ack", seq: 1 });
    // The cooldown is per board: the same user can still place on main…
    const onMainAck = await onMain.place(3, 3, 6);
    expect(onMainAck.type).toBe("ack");
    // …but not again on iso.
    const second = await onIso.place(4, 4, 5);
    expect(second).toMatchObject({ type: "reject", code: "cooldown" });
    // Off-board coordinates are judged against the board's own size.
    expect(await onIso.place(16, 0, 1)).toMatchObject({ type: "reject", code: "invalid_pixel" });
    await onIso.waitForSeqs([1]);
    await watcherMain.waitForSeqs([(onMainAck as { seq: number }).seq]);
    // Nothing of iso reached main's clients, and main's pixel never reached iso's.
    expect(onIso.records.every((r) => r.seq === 1 && r.x === 3 && r.color === 5)).toBe(true);
    expect(watcherMain.records.some((r) => r.color === 5 && r.x === 3 && r.y === 3 && r.seq === 1 && onIso.records.length === 0)).toBe(false);
    const isoBoard = await fetchBoard(base, "iso");
    expect(isoBoard.seq).toBe(1);
    expect(isoBoard.bytes.length).toBe(256);
    expect(isoBoard.bytes[3 * 16 + 3]).toBe(5);
    // Presence per board: the owner is on main only.
    const isoStats = await (await fetch(`${base}/api/boards/iso/stats`)).json();
    expect(isoStats.users.map((u: { name: string }) => u.name)).toEqual(["alice-iso"]);
    const isoInfo = await (await fetch(`${base}/api/boards/iso/canvas/info`)).json();
    expect(isoInfo).toMatchObject({ width: 16, height: 16, cooldownMs: 60_000, seq: 1 });
    const pixel = await (await fetch(`${base}/api/boards/iso/pixel?x=3&y=3`)).json();
    expect(pixel).toMatchObject({ color: 5, seq: 1, user: alice.user });
    for (const c of [onMain, onIso, watcherMain]) c.close();
  });

  it("refuses /ws for unknown or malformed boards with 404", async () => {
    for (const board of ["nope", "BAD", "-x", "a".repeat(33)]) {
      await expect(TestClient.connect(base, owner.cookie, {}, board)).rejects.toThrow(/404/);
    }
  });

  it("tells every tab of a user its cooldown the moment one of them places", async () => {
    await createBoard(base, owner.cookie, { title: "cd", width: 8, height: 8, cooldownMs: 30_000, id: "cd" });
    const bob = await newSession(base, "bob-cd");
    const tab1 = await TestClient.connect(base, bob.cookie, {}, "cd");
    const tab2 = await TestClient.connect(base, bob.cookie, {}, "cd");
    const other = await TestClient.connect(base, owner.cookie, {}, "cd");
    const ack = await tab1.place(1, 1, 2);
    expect(ack.type).toBe("ack");
    const cd = await tab2.next("cooldown");
    expect(cd).toEqual({ type: "cooldown", board: "cd", cooldownUntil: (ack as { cooldownUntil: number }).cooldownUntil });
    await other.waitForSeqs([1]);
    expect(other.messages.some((m) => m.type === "cooldown")).toBe(false);
    // A tab opened later learns it from its welcome.
    const tab3 = await TestClient.connect(base, bob.cookie, {}, "cd");
    expect(tab3.welcome.cooldownUntil).toBe((ack as { cooldownUntil: number }).cooldownUntil);
    for (const c of [tab1, tab2, tab3, other]) c.close();
  });

  it("drops a board from memory after its last follower leaves, and loads it again on demand", async () => {
    const keeper = await newSession(base, "keeper");
    expect((await createBoard(base, keeper.cookie, { title: "brief", width: 8, height: 8, cooldownMs: 0, id: "brief" })).status).toBe(201);
    const c = await TestClient.connect(base, owner.cookie, {}, "brief");
    await c.place(2, 2, 9);
    expect(srv.rooms.heldIds).toContain("brief");
    c.close();
    await waitFor(() => !srv.rooms.heldIds.includes("brief"), 10_000, "the board to be dropped");
    expect(srv.rooms.heldIds).toContain("main"); // main is always held
    const again = await TestClient.connect(base, owner.cookie, {}, "brief");
    expect(again.welcome.seq).toBe(1);
    const b = await fetchBoard(base, "brief");
    expect(b.bytes[2 * 8 + 2]).toBe(9);
    again.close();
  });
});

describe("board activity", () => {
  it("ranks placers, counts per minute and tells you your own count", async () => {
    const srv = await startTestServer({ env: { COOLDOWN_MS: "0" } });
    try {
      const ann = await newSession(srv.url, "ann-act");
      const bo = await newSession(srv.url, "bo-act");
      const a = await TestClient.connect(srv.url, ann.cookie);
      const b = await TestClient.connect(srv.url, bo.cookie);
      for (let i = 0; i < 3; i++) expect((await a.place(i, 0, 1)).type).toBe("ack");
      expect((await b.place(9, 9, 2)).type).toBe("ack");
      const anon = await (await fetch(`${srv.url}/api/boards/main/activity`)).json();
      expect(anon.you).toBeNull();
      expect(anon.topAllTime).toEqual([
        { user: ann.user, placements: 3 },
        { user: bo.user, placements: 1 },
      ]);
      expect(anon.top24h).toEqual(anon.topAllTime);
      expect(anon.perMinute.reduce((n: number, m: { placements: number }) => n + m.placements, 0)).toBe(4);
      const mine = await (await fetch(`${srv.url}/api/activity`, { headers: { cookie: bo.cookie } })).json();
      expect(mine.you).toEqual({ user: bo.user, placements: 1 });
      expect((await fetch(`${srv.url}/api/boards/nope/activity`)).status).toBe(404);
      a.close();
      b.close();
    } finally {
      await srv.close();
    }
  });
});

describe("live cursors", () => {
  let srv: Srv;
  let base: string;

  beforeAll(async () => {
    srv = await startTestServer({ env: { COOLDOWN_MS: "0" } });
    base = srv.url;
  });
  afterAll(async () => {
    await srv?.close();
  });

  const lastCursors = (c: TestClient, from = 0) => c.messages.slice(from).filter((m): m is Cursors => m.type === "cursors");

  it("relays cursors only to viewers whose view contains them, never their own, and says gone", async () => {
    const ann = await newSession(base, "ann");
    const ben = await newSession(base, "ben");
    const cat = await newSession(base, "cat");
    const a = await TestClient.connect(base, ann.cookie);
    const b = await TestClient.connect(base, ben.cookie);
    const c = await TestClient.connect(base, cat.cookie);
    // Nothing before a view.
    a.send({ type: "cursor", x: 10, y: 10 });
    b.send({ type: "view", x0: 0, y0: 0, x1: 99, y1: 99 });
    c.send({ type: "view", x0: 500, y0: 500, x1: 600, y1: 600 });
    a.send({ type: "cursor", x: 20, y: 30 });
    const seen = await b.next("cursors", (m) => m.cursors.some((k) => k.id === ann.user.id && k.x === 20 && k.y === 30));
    expect(seen.cursors.find((k) => k.id === ann.user.id)).toEqual({ id: ann.user.id, name: "ann", x: 20, y: 30 });
    // c looks elsewhere; a never gets its own cursor.
    b.send({ type: "cursor", x: 550, y: 550 });
    await c.next("cursors", (m) => m.cursors.some((k) => k.id === ben.user.id));
    expect(lastCursors(c).some((m) => m.cursors.some((k) => k.id === ann.user.id))).toBe(false);
    expect(a.messages.some((m) => m.type === "cursors")).toBe(false);
    // Leaving the view and leaving the board are both `gone`.
    const from = b.messages.length;
    a.send({ type: "cursor", x: 300, y: 300 });
    await b.next("cursors", (m) => m.gone.includes(ann.user.id), from);
    const from2 = c.messages.length;
    b.send({ type: "cursor", x: null });
    await c.next("cursors", (m) => m.gone.includes(ben.user.id), from2);
    // A closed connection's cursor is gone too.
    a.send({ type: "cursor", x: 50, y: 50 });
    await b.next("cursors", (m) => m.cursors.some((k) => k.id === ann.user.id && k.x === 50));
    const from3 = b.messages.length;
    a.close();
    await b.next("cursors", (m) => m.gone.includes(ann.user.id), from3);
    b.close();
    c.close();
  });

  it("relays at most 10 cursor moves a second per connection and drops the rest silently", async () => {
    const mover = await newSession(base, "mover");
    const viewer = await newSession(base, "viewer");
    const m = await TestClient.connect(base, mover.cookie);
    const v = await TestClient.connect(base, viewer.cookie);
    v.send({ type: "view", x0: 0, y0: 0, x1: 999, y1: 999 });
    for (let i = 0; i < 15; i++) m.send({ type: "cursor", x: i, y: 0 });
    m.send({ type: "ping" });
    await m.next("pong");
    // The tenth move is the last relayed: x = 9, never 14.
    await v.next("cursors", (c) => c.cursors.some((k) => k.id === mover.user.id && k.x === 9));
    const withPing = v.messages.length;
    v.send({ type: "ping" });
    await v.next("pong", () => true, withPing);
    expect(lastCursors(v).some((c) => c.cursors.some((k) => k.x > 9))).toBe(false);
    expect(m.messages.some((x) => x.type === "error")).toBe(false); // dropped silently
    expect(m.closeCode).toBeNull();
    // Malformed cursor and view messages are errors and change nothing.
    const from = m.messages.length;
    m.send({ type: "cursor", x: "a", y: 1 });
    m.send({ type: "view", x0: 1 });
    await m.next("error", () => true, from);
    m.close();
    v.close();
  });
});
