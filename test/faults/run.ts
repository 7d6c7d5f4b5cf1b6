// What every fault scenario (test/faults*.test.ts) shares: the board and load they run, a few
// hundred simulated browsers and HTTP placers spread over the replicas, and the quiet end where the
// observations for test/faults/checks.ts are collected and the table is printed. A scenario only
// starts its processes and injects its faults between start() and finish().
// Random choices come from one seed (printed at the start; TESSERA_SEED=<seed> replays them): each
// simulated client and HTTP placer draws from its own stream of it, so the choices do not depend on
// the order in which the actors happened to run.

import pg from "pg";
import { Board } from "../../lib/canvas";
import { MAIN_BOARD } from "../../lib/protocol";
import { forkPrng, randInt } from "../prng";
import { waitFor } from "../wait";
import { type AckedPlacement, type CheckResult, checkGuarantees, type DbPlacement, formatTable, MODERATION_USER_ID, type Observed } from "./checks";
import { SimClient, type SimReplica } from "./sim-client";

const W = 200;
const H = 200;
const COOLDOWN_MS = 300;
const NORMAL_CLIENTS = 150; // place every ~400 ms (above the cooldown)
const NORMAL_INTERVAL_MS = 400;
const WATCHERS = 50; // never place, only watch
const HAMMER_USERS = 5; // two tabs each, on different replicas, placing every ~40 ms
const HAMMER_INTERVAL_MS = 40;
const HTTP_PLACERS = 4;
/** Acks before a scenario injects its first fault: the load is really running. */
const WARM_UP_ACKS = 300;
/** An HTTP placement unanswered this long is reported (and given up: its outcome is unknown). */
const HTTP_ANSWER_DEADLINE_MS = 10_000;
/** Stream numbers: simulated clients 0…, HTTP placers from here. */
const HTTP_STREAMS = 100_000;

/** The board every scenario's load runs on (`main`, made from REPLICA_ENV). */
export const FAULT_BOARD = { width: W, height: H, cooldownMs: COOLDOWN_MS } as const;

/** The replica environment every scenario shares (add the database and Redis settings). */
export const REPLICA_ENV = {
  SESSION_SECRET: "fault-suite-secret-0123456789",
  CANVAS_WIDTH: String(W),
  CANVAS_HEIGHT: String(H),
  COOLDOWN_MS: String(COOLDOWN_MS),
  // The load comes from one address and places as fast as the cooldown allows.
  PLACEMENTS_PER_CONNECTION_PER_S: "0",
  MAX_CONNECTIONS_PER_IP: "100000",
  SESSIONS_PER_IP_PER_MIN: "1000000",
} as const;

async function query<T>(url: string, sql: string, map: (rows: Record<string, unknown>[]) => T): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return map((await c.query(sql)).rows);
  } finally {
    await c.end();
  }
}

// Every simulated client places on the main board (paths and /ws without a board mean it).
function readDb(url: string): Promise<DbPlacement[]> {
  return query(url, `select seq, x, y, color, user_id, placed_at from placements where board_id = '${MAIN_BOARD}' order by seq`, (rows) =>
    rows.map((r) => ({ seq: Number(r.seq), x: r.x as number, y: r.y as number, color: r.color as number, userId: r.user_id as string, placedAt: Number(r.placed_at) })),
  );
}

/** The main board's last committed seq in the database. */
export function dbMaxSeq(url: string): Promise<number> {
  return query(url, `select seq from boards where id = '${MAIN_BOARD}'`, (rows) => Number(rows[0].seq));
}

async function session(url: string, name: string): Promise<{ cookie: string; id: string }> {
  const res = await fetch(`${url}/api/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name }) });
  const body = await res.json();
  return { cookie: res.headers.get("set-cookie")!.split(";")[0], id: body.user.id };
}

export class FaultRun {
  readonly clients: SimClient[] = [];
  readonly httpAcks: AckedPlacement[] = [];
  private readonly timeline: string[] = [];
  private readonly t0 = Date.now();
  private stopped = false;
  private readonly loops: Promise<void>[] = [];
  private readonly leftovers: string[] = [];

  constructor(
    /** Replicas by instance id and URL (a restarted replica keeps its port, so the list is fixed). */
    private readonly replicas: readonly SimReplica[],
    private readonly dbUrl: string,
    readonly seed: number,
  ) {}

  /** Add a line to the printed timeline, stamped with the time since the run began. */
  mark(what: string): void {
    this.timeline.push(`${((Date.now() - this.t0) / 1000).toFixed(1).padStart(6)} s  ${what}`);
  }

  allAcks(): AckedPlacement[] {
    return [...this.clients.flatMap((c) => c.acked), ...this.httpAcks];
  }

  /** Acks that arrived after `t` (on `replica` only, when given). */
  acksSince(t: number, replica?: string): number {
    return this.allAcks().filter((a) => a.at > t && (!replica || a.replica === replica)).length;
  }

  /** Sessions, WebSocket clients spread over the replicas, placing loops and HTTP placers; returns once acks flow. */
  async start(): Promise<void> {
    const live = this.replicas;
    const n = live.length;
    const users = await Promise.all(
      Array.from({ length: NORMAL_CLIENTS + WATCHERS + HAMMER_USERS }, (_, i) => session(live[i % n].url, `sim${i}`)),
    );
    users.forEach((u, i) => this.clients.push(new SimClient(`sim${i}`, u.id, u.cookie, () => live, i % n, W, H, forkPrng(this.seed, i))));
    // Hammer users get a second tab on another replica.
    for (let h = 0; h < HAMMER_USERS; h++) {
      const u = users[NORMAL_CLIENTS + WATCHERS + h];
      this.clients.push(new SimClient(`hammer${h}-b`, u.id, u.cookie, () => live, (h + 1) % n, W, H, forkPrng(this.seed, users.length + h)));
    }
    let started = 0;
    const starting = this.clients.map((c) => c.start().then(() => started++));
    await waitFor(() => started === this.clients.length, 60_000, "every client to load the board and be welcomed");
    await Promise.all(starting);
    this.mark(`${this.clients.length} WebSocket clients connected`);

    const stop = () => this.stopped;
    this.clients.forEach((c, i) => {
      if (i < NORMAL_CLIENTS) this.loops.push(c.run(NORMAL_INTERVAL_MS, stop));
      else if (i >= NORMAL_CLIENTS + WATCHERS) this.loops.push(c.run(HAMMER_INTERVAL_MS, stop)); // hammers
    });
    const httpUsers = await Promise.all(Array.from({ length: HTTP_PLACERS }, (_, i) => session(live[i % n].url, `http${i}`)));
    httpUsers.forEach((u, i) => this.loops.push(this.httpPlacer(u, forkPrng(this.seed, HTTP_STREAMS + i))));

    await waitFor(() => this.allAcks().length >= WARM_UP_ACKS, 30_000, "traffic to get going");
    this.mark(`traffic running (${this.allAcks().length} acks)`);
  }

  private async httpPlacer(u: { cookie: string; id: string }, rand: () => number): Promise<void> {
    while (!this.stopped) {
      const r = this.replicas[randInt(rand, this.replicas.length)];
      const body = { x: randInt(rand, W), y: randInt(rand, H), color: randInt(rand, 32) };
      const sentAt = Date.now();
      try {
        const res = await fetch(`${r.url}/api/pixel`, {
          method: "PUT",
          headers: { cookie: u.cookie, "content-type": "application/json" },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(HTTP_ANSWER_DEADLINE_MS),
        });
        if (res.status === 200) {
          const a = await res.json();
          this.httpAcks.push({ seq: a.seq, ...body, userId: u.id, replica: r.id, at: Date.now() });
        }
      } catch (err) {
        // A replica that is down refuses the connection: try another next time. One that keeps the
        // request open without an answer is a finding.
        if ((err as Error).name === "TimeoutError") {
          this.leftovers.push(`PUT /api/pixel on ${r.id} sent at ${sentAt - this.t0} ms unanswered after ${HTTP_ANSWER_DEADLINE_MS} ms`);
        }
      }
      await new Promise((res) => setTimeout(res, COOLDOWN_MS + 20));
    }
  }

  /**
   * Stop placing, wait until every client and replica has the database's last seq, and collect what
   * the checks read. `outages`: the Redis outages whose local service guarantee 5 checks.
   */
  async finish(outages: Observed["outages"]): Promise<Observed> {
    this.stopped = true;
    await Promise.all(this.loops);
    // Every placement sent on a connection that stayed open gets its ack or reject.
    const unanswered = () => this.clients.flatMap((c) => c.unanswered().map((u) => `${c.name} on ${u.replica} since ${u.sentAt - this.t0} ms`));
    try {
      await waitFor(() => unanswered().length === 0, 10_000, "an answer to every placement sent");
    } catch {
      this.leftovers.push(...unanswered().map((u) => `never answered: a placement of ${u}`));
    }
    const finalSeq = await dbMaxSeq(this.dbUrl);
    await waitFor(() => this.clients.every((c) => c.board.seq >= finalSeq), 15_000, "every client to converge");
    for (const r of this.replicas) {
      await waitFor(async () => Number((await fetch(`${r.url}/api/canvas`)).headers.get("x-canvas-seq")) >= finalSeq, 15_000, `${r.id} to converge`);
    }
    this.mark(`quiet: final seq ${finalSeq}`);
    const replicaBoards = await Promise.all(
      this.replicas.map(async (r) => {
        const res = await fetch(`${r.url}/api/canvas`);
        return { replica: r.id, seq: Number(res.headers.get("x-canvas-seq")), bytes: new Uint8Array(await res.arrayBuffer()) };
      }),
    );
    return {
      width: W,
      height: H,
      cooldownMs: COOLDOWN_MS,
      acked: this.allAcks(),
      db: await readDb(this.dbUrl),
      replicaBoards,
      clients: this.clients.map((c) => ({ name: c.name, startSeq: c.startSeq, stayedConnected: c.stayedConnected, board: c.board })),
      outages,
      replicas: this.replicas.map((r) => r.id),
    };
  }

  /** Protocol expectations the server broke, over all clients. */
  problems(): string[] {
    return [...this.clients.flatMap((c) => c.problems), ...this.leftovers];
  }

  /** Where a run that did not finish got to: for the test's output when it fails or times out. */
  diagnosis(): string {
    const pending = this.clients.reduce((n, c) => n + c.unanswered().length, 0);
    const connected = this.clients.filter((c) => c.connected).length;
    const problems = this.problems();
    return (
      `\nFault run (TESSERA_SEED=${this.seed}) did not finish; timeline so far\n${this.timeline.join("\n")}\n` +
      `${this.allAcks().length} acks, ${connected}/${this.clients.length} clients connected, ${pending} placements unanswered; ` +
      `${problems.length} problems${problems.length ? `:\n${problems.slice(0, 20).join("\n")}` : ""}\n`
    );
  }

  /** The printed report: seed, timeline, the guarantees table, totals and the scenario's own figures. */
  report(title: string, observed: Observed, results: readonly CheckResult[], figures: string): string {
    const rejects = this.clients.reduce<Record<string, number>>((acc, c) => {
      for (const [k, v] of Object.entries(c.rejects)) acc[k] = (acc[k] ?? 0) + v;
      return acc;
    }, {});
    return (
      `\n${title} (TESSERA_SEED=${this.seed}) timeline\n${this.timeline.join("\n")}\n\nGuarantees (SPEC §6)\n${formatTable(results)}\n\n` +
      `acked ${observed.acked.length} (HTTP ${this.httpAcks.length}), rejected ${JSON.stringify(rejects)}, ${figures}\n`
    );
  }

  close(): void {
    this.stopped = true;
    for (const c of this.clients) c.close();
  }
}

/**
 * The same observations with one fault injected at a time, each with the guarantees it must make
 * fail: the checks are shown able to fail on every kind of fault a run could hide.
 */
function injectedFaults(o: Observed): Array<{ fault: string; mustFail: string[]; observed: Observed }> {
  const cases: Array<{ fault: string; mustFail: string[]; observed: Observed }> = [];
  // One acked placement missing from what the database returned.
  const lost = o.acked[Math.floor(o.acked.length / 2)];
  cases.push({ fault: `acked seq ${lost.seq} lost`, mustFail: ["0 dense seq", "1 no lost placement"], observed: { ...o, db: o.db.filter((r) => r.seq !== lost.seq) } });
  // An acked placement stored with another colour.
  const altered = o.db.map((r) => (r.seq === lost.seq ? { ...r, color: (r.color + 1) % 32 } : r));
  cases.push({ fault: `acked seq ${lost.seq} altered`, mustFail: ["1 no lost placement"], observed: { ...o, db: altered } });
  // A client that missed the last record.
  const c0 = o.clients[0];
  const copy = (seq: number) => {
    const b = new Board(o.width, o.height);
    b.load(c0.board.pixels, seq);
    return b;
  };
  const behind = copy(c0.board.seq - 1);
  cases.push({ fault: `${c0.name} one record behind`, mustFail: ["2 every client sees everything"], observed: { ...o, clients: [{ ...c0, board: behind }, ...o.clients.slice(1)] } });
  // A replica whose board drifted by one pixel.
  const flipped = new Uint8Array(o.replicaBoards[0].bytes);
  flipped[0] ^= 1;
  cases.push({
    fault: `${o.replicaBoards[0].replica} board drifted`,
    mustFail: ["3 convergence"],
    observed: { ...o, replicaBoards: [{ ...o.replicaBoards[0], bytes: flipped }, ...o.replicaBoards.slice(1)] },
  });
  // A client whose drawing drifted by one pixel (its seq is right).
  const drawn = copy(c0.board.seq);
  drawn.pixels[drawn.pixels.length - 1] ^= 1;
  cases.push({ fault: `${c0.name} drew a wrong pixel`, mustFail: ["3 convergence"], observed: { ...o, clients: [{ ...c0, board: drawn }, ...o.clients.slice(1)] } });
  // Two accepts of one user closer than the run's cooldown (two users' rows placed under it).
  const rows = o.db.slice();
  const underRunCooldown = (i: number) => rows[i].seq > (o.earlierCooldown?.lastSeq ?? 0) && rows[i].userId !== MODERATION_USER_ID;
  const pair = rows.findIndex((_, i) => i + 1 < rows.length && underRunCooldown(i) && underRunCooldown(i + 1));
  rows[pair + 1] = { ...rows[pair + 1], userId: rows[pair].userId, placedAt: rows[pair].placedAt + o.cooldownMs - 1 };
  cases.push({ fault: "two accepts 1 ms inside the cooldown", mustFail: ["4 exact cooldown"], observed: { ...o, db: rows } });
  // One replica that acked nothing during the last Redis outage (the others keep theirs).
  if (o.outages.length > 0) {
    const { from, to } = o.outages[o.outages.length - 1];
    const silent = o.replicas[0];
    cases.push({
      fault: `${silent} silent during outage ${o.outages.length}`,
      mustFail: ["5 service during Redis outage"],
      observed: { ...o, acked: o.acked.filter((a) => !(a.replica === silent && a.at > from && a.at < to)) },
    });
  }
  if (o.rollback) cases.push(...rollbackFaults(o, o.rollback));
  return cases;
}

/** Faults of a rollback (SPEC §12) that the rows M1–M3 (and 0–3) must catch. */
function rollbackFaults(o: Observed, rb: NonNullable<Observed["rollback"]>): Array<{ fault: string; mustFail: string[]; observed: Observed }> {
  const cases: Array<{ fault: string; mustFail: string[]; observed: Observed }> = [];
  const mod = o.db.filter((r) => r.userId === MODERATION_USER_ID);
  if (mod.length === 0 || !rb.answer || !rb.logEntry) return cases;
  // A pixel the rollback restored and nobody placed on afterwards: its revert is the pixel's last placement.
  const lastAt = new Map(o.db.map((r) => [r.y * o.width + r.x, r]));
  const final = mod.find((m) => lastAt.get(m.y * o.width + m.x)?.seq === m.seq);
  // One of its placements lost from the database (it had been answered for): a pixel of the griefer's stays.
  const lost = final ?? mod[Math.floor(mod.length / 2)];
  cases.push({
    fault: `rollback placement seq ${lost.seq} lost`,
    mustFail: ["0 dense seq", "1 no lost placement", "M2 rollback = replay"],
    observed: { ...o, db: o.db.filter((r) => r.seq !== lost.seq) },
  });
  if (final) {
    // The rollback wrote a wrong colour (in the database, and so on every board drawn from it).
    const i = final.y * o.width + final.x;
    const wrongColor = (final.color + 1) % 32;
    const drawn = o.replicaBoards.map((b) => {
      const bytes = new Uint8Array(b.bytes);
      bytes[i] = wrongColor;
      return { ...b, bytes };
    });
    cases.push({
      fault: `rollback seq ${final.seq} wrote colour ${wrongColor} instead of ${final.color}`,
      mustFail: ["M2 rollback = replay", "M3 griefer's pixels restored"],
      observed: { ...o, db: o.db.map((r) => (r.seq === final.seq ? { ...r, color: wrongColor } : r)), replicaBoards: drawn },
    });
    // A replica that still shows the griefer's colour there (its board drifted back).
    const stale = new Uint8Array(o.replicaBoards[0].bytes);
    stale[i] = (stale[i] + 1) % 32;
    cases.push({
      fault: `${o.replicaBoards[0].replica} shows a restored pixel with another colour`,
      mustFail: ["3 convergence", "M3 griefer's pixels restored"],
      observed: { ...o, replicaBoards: [{ ...o.replicaBoards[0], bytes: stale }, ...o.replicaBoards.slice(1)] },
    });
  }
  // The rollback overwrote a pixel that was not the griefer's any more: one of its placements
  // moved onto a pixel whose latest placement then was someone else's.
  const latestBefore = new Map<number, DbPlacement>();
  for (const r of o.db) if (r.seq < mod[0].seq) latestBefore.set(r.y * o.width + r.x, r);
  const someoneElse = [...latestBefore.values()].find((r) => r.userId !== rb.userId && r.userId !== MODERATION_USER_ID);
  if (someoneElse) {
    cases.push({
      fault: `rollback seq ${mod[0].seq} wrote over ${someoneElse.userId}'s pixel ${someoneElse.x},${someoneElse.y}`,
      mustFail: ["M2 rollback = replay"],
      observed: { ...o, db: o.db.map((r) => (r.seq === mod[0].seq ? { ...r, x: someoneElse.x, y: someoneElse.y } : r)) },
    });
  }
  // The answer and the audit log disagree; the log has no entry; Redis died after it was over.
  const result = { ...rb.logEntry.result, reverted: rb.answer.reverted + 1 };
  cases.push({ fault: "audit log entry with another count", mustFail: ["M1 rollback answered and logged"], observed: { ...o, rollback: { ...rb, logEntry: { ...rb.logEntry, result } } } });
  cases.push({ fault: "no audit log entry", mustFail: ["M1 rollback answered and logged"], observed: { ...o, rollback: { ...rb, logEntry: null } } });
  cases.push({
    fault: "Redis killed after the rollback finished",
    mustFail: ["M1 rollback answered and logged"],
    observed: { ...o, rollback: { ...rb, atKill: { before: rb.answer.reverted, after: rb.answer.reverted } } },
  });
  // A rollback that failed (its answer never came).
  cases.push({ fault: "rollback answered 503", mustFail: ["M1 rollback answered and logged"], observed: { ...o, rollback: { ...rb, status: 503, answer: null } } });
  return cases;
}

/** For each injected fault, which of its guarantees the checks wrongly passed (empty = all caught). */
export function undetectedFaults(o: Observed): string[] {
  const missed: string[] = [];
  for (const c of injectedFaults(o)) {
    const ok = Object.fromEntries(checkGuarantees(c.observed).map((r) => [r.guarantee, r.ok]));
    for (const g of c.mustFail) if (ok[g] !== false) missed.push(`${c.fault}: '${g}' ${g in ok ? "passed" : "was not checked"}`);
  }
  // Every guarantee in the table is among those some fault must make fail.
  const covered = new Set(injectedFaults(o).flatMap((c) => c.mustFail));
  for (const r of checkGuarantees(o)) if (!covered.has(r.guarantee)) missed.push(`no injected fault exercises '${r.guarantee}'`);
  return missed;
}
