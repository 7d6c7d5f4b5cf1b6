// The moderation scenario of `npm run test:faults` (SPEC §12 under SPEC §6): a rollback of a griefer
// with tens of thousands of placements runs under the usual load of test/faults/run.ts, and Redis is
// killed -9 while it is being written (chunk by chunk through the board's queue), then restarted.
//
// The griefer's history is written first, through the ordinary API: the three replicas start with
// COOLDOWN_MS=0, an "artist" paints from two WebSocket tabs, the griefer covers most of the board
// from four tabs on the three replicas (placements pipelined), the artist touches up, the griefer
// paints over part of it again. The replicas are then restarted with the usual cooldown (main's
// cooldown follows COOLDOWN_MS at start), and the load starts. A cooldown of 0 is the only way one
// user gets thousands of pixels into a short test; the cooldown check holds each placement to the
// cooldown in force when it was made (0 for the history, the run's after it).
//
// Then the rollback is sent to r1 with the admin token; the test watches the database for its first
// placements, kills redis-server at once, and restarts it after REDIS_OUTAGE_MS. Printed: the
// guarantees table with rows M1–M3 (the rollback's answer and audit log entry, the rollback replayed
// from the database, the griefer's pixels back to their earlier colours on every replica), and the
// self-test shows each row can fail.

import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkGuarantees, MODERATION_USER_ID, type Observed, type RollbackObserved } from "./faults/checks";
import { dbMaxSeq, FAULT_BOARD, FaultRun, REPLICA_ENV, undetectedFaults } from "./faults/run";
import { SimClient } from "./faults/sim-client";
import { freshPgDatabase } from "./helpers";
import { forkPrng, randInt, testSeed } from "./prng";
import { health, RedisProcess, ReplicaProcess } from "./processes";
import { waitFor } from "./wait";

const ADMIN_TOKEN = "fault-admin-token-0123456789abcdef01234567";
/** How long Redis stays dead: a scenario parameter, part of the conditions the run waits on. */
const REDIS_OUTAGE_MS = 4_000;
/** Acks on every replica during the outage, and after Redis returns, before the run goes on. */
const ACKS_PER_REPLICA = 10;
/** The rollback's answer, however long it takes on two busy cores; it is reported, not waited on forever. */
const ROLLBACK_ANSWER_DEADLINE_MS = 120_000;

// The history (board 200×200). The griefer covers GRIEF (each pixel once, shuffled), then
// GRIEFER_REPAINTS more of it; the artist paints ARTIST_PIXELS inside ART before and
// ARTIST_TOUCHUPS inside GRIEF between the griefer's two passes, so pixels differ in what they
// should go back to: blank, the artist's first colour, or a touch-up.
const GRIEF = { x0: 4, y0: 4, x1: 196, y1: 196 }; // exclusive ends: 36,864 pixels, 37 rollback chunks
const ART = { x0: 40, y0: 40, x1: 160, y1: 160 };
const ARTIST_PIXELS = 6_000;
const ARTIST_TOUCHUPS = 1_500;
const GRIEFER_REPAINTS = 4_000;
const GRIEFER_TABS = 4;
const ARTIST_TABS = 2;
/** Placements each history tab keeps in flight (pipelined; nothing limits them at cooldown 0). */
const IN_FLIGHT_PER_TAB = 64;
/** How often the rollback's progress is read from the database (for the timeline). */
const PROGRESS_POLL_MS = 50;
/** Seeded streams of the history, apart from FaultRun's. */
const HISTORY_STREAM = 200_000;

interface Pixel {
  x: number;
  y: number;
  color: number;
}

async function session(url: string, name: string): Promise<{ cookie: string; id: string }> {
  const res = await fetch(`${url}/api/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name }) });
  expect(res.status, `session ${name}`).toBe(200);
  const body = await res.json();
  return { cookie: res.headers.get("set-cookie")!.split(";")[0], id: body.user.id };
}

function randomPixels(rand: () => number, n: number, r: { x0: number; y0: number; x1: number; y1: number }): Pixel[] {
  return Array.from({ length: n }, () => ({ x: r.x0 + randInt(rand, r.x1 - r.x0), y: r.y0 + randInt(rand, r.y1 - r.y0), color: 1 + randInt(rand, 31) }));
}

/** Every pixel of `r` once, in a shuffled order, each with a random non-blank colour. */
function coverPixels(rand: () => number, r: { x0: number; y0: number; x1: number; y1: number }): Pixel[] {
  const all: Pixel[] = [];
  for (let y = r.y0; y < r.y1; y++) for (let x = r.x0; x < r.x1; x++) all.push({ x, y, color: 1 + randInt(rand, 31) });
  for (let i = all.length - 1; i > 0; i--) {
    const j = randInt(rand, i + 1);
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all;
}

/** Place `pixels` from `tabs`, IN_FLIGHT_PER_TAB at a time on each; returns what was not acked. */
async function placeAll(tabs: SimClient[], pixels: Pixel[]): Promise<string[]> {
  let next = 0;
  const failed: string[] = [];
  const worker = async (tab: SimClient) => {
    while (next < pixels.length) {
      const p = pixels[next++];
      const m = await tab.place(p.x, p.y, p.color);
      if (m?.type !== "ack") failed.push(`${tab.name} ${p.x},${p.y}: ${m ? JSON.stringify(m) : "connection lost"}`);
    }
  };
  await Promise.all(tabs.flatMap((t) => Array.from({ length: IN_FLIGHT_PER_TAB }, () => worker(t))));
  return failed;
}

describe("fault injection: a rollback under load while Redis is killed", () => {
  let db: Awaited<ReturnType<typeof freshPgDatabase>> | undefined;
  let redis: RedisProcess | undefined;
  const replicas: ReplicaProcess[] = [];
  const tabs: SimClient[] = [];
  let watch: pg.Client | undefined;
  let run: FaultRun | undefined;
  let observed: Observed | undefined;

  beforeAll(async () => {
    [db, redis] = await Promise.all([freshPgDatabase(), RedisProcess.start()]);
    const env = { ...REPLICA_ENV, DATABASE_URL: db.url, REDIS_URL: redis.url, ADMIN_TOKEN, COOLDOWN_MS: "0" };
    for (const id of ["r1", "r2", "r3"]) replicas.push(await ReplicaProcess.start({ env, instanceId: id }));
    watch = new pg.Client({ connectionString: db.url });
    await watch.connect();
  }, 120_000);

  afterAll(async () => {
    if (run && !observed) console.log(run.diagnosis());
    for (const t of tabs) t.close();
    run?.close();
    await watch?.end();
    await Promise.all(replicas.map((r) => r.stop("SIGKILL")));
    await redis?.stop();
    await db?.drop();
  });

  it("keeps every guarantee, and rolls the griefer back exactly, through a Redis kill in the middle of the rollback", async () => {
    const seed = testSeed();
    const r = new FaultRun(
      replicas.map((p) => ({ id: p.instanceId, url: p.url })),
      db!.url,
      seed,
    );
    run = r;
    const moderationRows = async () =>
      Number((await watch!.query("select count(*) as n from placements where board_id = 'main' and user_id = $1", [MODERATION_USER_ID])).rows[0].n);
    r.mark("3 replicas with COOLDOWN_MS=0, private PostgreSQL and redis-server started");

    // --- The history, through the WebSocket API at cooldown 0.
    const historyFrom = Date.now();
    const [artist, griefer] = [await session(replicas[1].url, "artist"), await session(replicas[0].url, "griefer")];
    const list = () => replicas.map((p) => ({ id: p.instanceId, url: p.url }));
    const tab = (name: string, u: { cookie: string; id: string }, i: number, stream: number) =>
      new SimClient(name, u.id, u.cookie, list, i % replicas.length, FAULT_BOARD.width, FAULT_BOARD.height, forkPrng(seed, HISTORY_STREAM + stream));
    const artistTabs = Array.from({ length: ARTIST_TABS }, (_, i) => tab(`artist-${i}`, artist, i + 1, i));
    const grieferTabs = Array.from({ length: GRIEFER_TABS }, (_, i) => tab(`griefer-${i}`, griefer, i, ARTIST_TABS + i));
    tabs.push(...artistTabs, ...grieferTabs);
    await Promise.all(tabs.map((t) => t.start()));
    const rand = forkPrng(seed, HISTORY_STREAM + 100);
    const passes: Array<[SimClient[], Pixel[]]> = [
      [artistTabs, randomPixels(rand, ARTIST_PIXELS, ART)],
      [grieferTabs, coverPixels(rand, GRIEF)],
      [artistTabs, randomPixels(rand, ARTIST_TOUCHUPS, GRIEF)],
      [grieferTabs, randomPixels(rand, GRIEFER_REPAINTS, GRIEF)],
    ];
    for (const [who, pixels] of passes) expect(await placeAll(who, pixels), "history placements not acked").toEqual([]);
    for (const t of tabs) t.close();
    const historyAcks = tabs.flatMap((t) => t.acked);
    const historySeq = await dbMaxSeq(db!.url);
    expect(tabs.flatMap((t) => t.problems)).toEqual([]);
    expect(historyAcks.length, "every placement of the history acked, and nothing else placed").toBe(historySeq);
    const grieferCount = historyAcks.filter((a) => a.userId === griefer.id).length;
    r.mark(
      `history at cooldown 0: griefer ${grieferCount} placements from ${GRIEFER_TABS} tabs, artist ${historySeq - grieferCount} from ${ARTIST_TABS} ` +
        `(seq 1…${historySeq}, ${((Date.now() - historyFrom) / 1000).toFixed(1)} s)`,
    );

    // --- The usual cooldown from here on: main's follows COOLDOWN_MS when a replica starts.
    await Promise.all(replicas.map((p) => p.stop("SIGTERM")));
    for (const p of replicas) p.env = { ...p.env, COOLDOWN_MS: REPLICA_ENV.COOLDOWN_MS };
    await Promise.all(replicas.map((p) => p.start()));
    for (const p of replicas) await waitFor(async () => (await health(p.url))?.redis === "up", 15_000, `${p.instanceId} redis up after the restart`);
    const info = await (await fetch(`${replicas[2].url}/api/canvas/info`)).json();
    expect(info.cooldownMs, "main's cooldown after the restart").toBe(FAULT_BOARD.cooldownMs);
    r.mark(`replicas restarted with COOLDOWN_MS=${info.cooldownMs}`);
    await r.start();

    // --- The rollback, on r1, with the admin token; Redis dies as soon as its first chunk is in.
    const startSeq = await dbMaxSeq(db!.url);
    const sentAt = Date.now();
    const answered = fetch(`${replicas[0].url}/api/boards/main/mod/rollback`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ userId: griefer.id }),
      signal: AbortSignal.timeout(ROLLBACK_ANSWER_DEADLINE_MS),
    }).then(
      async (res) => ({ status: res.status, body: await res.json(), at: Date.now() }),
      (err: Error) => ({ status: 0, body: { error: err.message }, at: Date.now() }),
    );
    const before = await waitFor(async () => (await moderationRows()) || null, 30_000, "the rollback's first chunk in the database");
    await redis!.kill();
    const outageFrom = Date.now();
    const after = await moderationRows();
    // The rollback's progress in the database until it is answered (when its last placement was written).
    const progress: Array<{ at: number; n: number }> = [{ at: outageFrom, n: after }];
    let answeredYet = false;
    void answered.then(() => (answeredYet = true));
    const watching = (async () => {
      while (!answeredYet) {
        await new Promise((res) => setTimeout(res, PROGRESS_POLL_MS));
        progress.push({ at: Date.now(), n: await moderationRows() });
      }
    })().catch(() => {}); // only the timeline needs it; a failed run closes the database under it
    r.mark(`rollback of the griefer sent to r1 at seq ${startSeq}; redis-server killed (-9) ${outageFrom - sentAt} ms later, with ${before}–${after} of its placements written`);
    for (const p of replicas) await waitFor(async () => (await health(p.url))?.status === "degraded", 10_000, `${p.instanceId} degraded`);
    await waitFor(
      () => Date.now() - outageFrom >= REDIS_OUTAGE_MS && replicas.every((p) => r.acksSince(outageFrom, p.instanceId) >= ACKS_PER_REPLICA),
      REDIS_OUTAGE_MS + 20_000,
      "a Redis outage with acks on every replica",
    );
    await redis!.start();
    const outageTo = Date.now();
    const seqAtReturn = await dbMaxSeq(db!.url);
    r.mark(`redis-server restarted after ${((outageTo - outageFrom) / 1000).toFixed(1)} s (${await moderationRows()} rollback placements written by then)`);
    for (const p of replicas) await waitFor(async () => (await health(p.url))?.redis === "up", 10_000, `${p.instanceId} redis up`);
    await waitFor(() => r.clients.filter((c) => c.connected).every((c) => c.board.seq >= seqAtReturn), 15_000, "clients caught up after Redis");
    const catchUpMs = Date.now() - outageTo;
    r.mark(`every connected client had every placement up to seq ${seqAtReturn} ${catchUpMs} ms after Redis returned`);

    const res = await answered;
    await watching;
    const rollbackMs = res.at - sentAt;
    // About one sample a second, and the first that saw every placement of it.
    const total = progress[progress.length - 1].n;
    const shown = progress.filter((p, i) => i === 0 || p.n === total || Math.floor((p.at - sentAt) / 1000) > Math.floor((progress[i - 1].at - sentAt) / 1000));
    const firstFull = shown.findIndex((p) => p.n === total);
    r.mark(`rollback placements in the database (ms after the request: count): ${shown.slice(0, firstFull + 1).map((p) => `+${p.at - sentAt}: ${p.n}`).join(", ")}`);
    r.mark(`rollback answered ${res.status} after ${(rollbackMs / 1000).toFixed(1)} s: ${JSON.stringify(res.body)}`);
    // The audit log, read through another replica.
    const logRes = await fetch(`${replicas[1].url}/api/boards/main/mod/log?limit=10`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(logRes.status).toBe(200);
    const entries: Array<RollbackObserved["logEntry"] & object> = (await logRes.json()).entries;
    const ours = entries.filter((e) => e.action === "rollback" && e.params.userId === griefer.id);
    expect(ours.length, "one audit log entry for the rollback").toBeLessThanOrEqual(1);
    const answeredAt = Date.now();
    await waitFor(() => replicas.every((p) => r.acksSince(answeredAt, p.instanceId) >= ACKS_PER_REPLICA), 20_000, "acks on every replica after the rollback");

    // --- Quiet: the whole record is checked.
    const o = await r.finish([{ from: outageFrom, to: outageTo }]);
    const rollback: RollbackObserved = {
      userId: griefer.id,
      afterSeq: 0,
      startSeq,
      status: res.status,
      answer: res.status === 200 ? res.body : null,
      logEntry: ours[0] ?? null,
      atKill: { before, after },
    };
    observed = { ...o, acked: [...historyAcks, ...o.acked], earlierCooldown: { lastSeq: historySeq, cooldownMs: 0 }, rollback };
    const results = checkGuarantees(observed);
    console.log(
      r.report(
        "Moderation fault run",
        observed,
        results,
        `history ${historySeq} placements at cooldown 0 (acked over WebSocket), rollback ${(rollbackMs / 1000).toFixed(1)} s, Redis catch-up ${catchUpMs} ms`,
      ),
    );
    expect(r.problems(), "protocol expectations the server broke").toEqual([]);
    for (const c of results) expect(c.ok, `${c.guarantee}: ${c.detail}`).toBe(true);
  }, 240_000);

  it("detects deliberately injected faults in the same observations", () => {
    expect(observed, "the moderation fault run must have produced observations").toBeDefined();
    expect(undetectedFaults(observed!)).toEqual([]);
  });
});
