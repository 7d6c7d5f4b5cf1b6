// The guarantees of SPEC §6 as pure checks over what a fault run observed. Pure so that a test can
// feed them a run with a deliberately injected fault and see them fail.

import { Board } from "../../lib/canvas";
import type { StoredPlacement } from "../../server/canvas/storage";

export interface AckedPlacement {
  seq: number;
  x: number;
  y: number;
  color: number;
  userId: string;
  replica: string;
  /** Local time the ack arrived (ms). */
  at: number;
}

/** A row of the placements table, as the storage layer reads it. */
export type DbPlacement = StoredPlacement;

/**
 * SPEC §12: rollback and wipe are written as placements of this user. No cooldown applies to them
 * (a rollback writes a thousand pixels in one chunk); every other guarantee does.
 */
export const MODERATION_USER_ID = "moderation";

/** A rollback (SPEC §12) that ran during a fault run, as the scenario saw it. */
export interface RollbackObserved {
  /** Whose placements were rolled back, and the request's `afterSeq`. */
  userId: string;
  afterSeq: number;
  /**
   * The board's seq when the request was sent. "The user's pixels at the start" are those whose
   * latest placement up to this seq is theirs (with seq > afterSeq).
   */
  startSeq: number;
  /** The HTTP answer: its status, and its body when that was 200. */
  status: number;
  answer: { reverted: number; firstSeq: number | null; lastSeq: number | null } | null;
  /** This rollback's entry in the board's audit log (GET …/mod/log), null when none was found. */
  logEntry: { actor: unknown; action: string; params: Record<string, unknown>; result: Record<string, unknown> } | null;
  /** Rollback placements in the database just before and just after Redis was killed. */
  atKill: { before: number; after: number };
}

export interface ClientOutcome {
  name: string;
  /** Seq of the snapshot the client started from. */
  startSeq: number;
  /** Whether the connection stayed up for the whole run. */
  stayedConnected: boolean;
  board: Board;
}

export interface Observed {
  width: number;
  height: number;
  cooldownMs: number;
  acked: AckedPlacement[];
  db: DbPlacement[];
  replicaBoards: Array<{ replica: string; seq: number; bytes: Uint8Array }>;
  clients: ClientOutcome[];
  /** Redis outages (local times, ms) during which guarantee 5 asks for acks on every replica. */
  outages: Array<{ from: number; to: number }>;
  replicas: string[];
  /**
   * Placements up to `lastSeq` were made while the board had another cooldown (a scenario that
   * writes a history at cooldown 0 before the run, then restarts the replicas with the run's).
   */
  earlierCooldown?: { lastSeq: number; cooldownMs: number };
  /** A rollback that ran during the run: checked as SPEC §12 describes it (rows M1–M3). */
  rollback?: RollbackObserved;
}

export interface CheckResult {
  guarantee: string;
  ok: boolean;
  detail: string;
}

/** Rebuild the board from database rows (last writer wins by seq). */
function boardFromRows(width: number, height: number, rows: readonly DbPlacement[]): Board {
  const b = new Board(width, height);
  for (const r of rows) b.apply(r.seq, r.x, r.y, r.color);
  return b;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}

export function checkGuarantees(o: Observed): CheckResult[] {
  const results: CheckResult[] = [];
  const bySeq = new Map(o.db.map((r) => [r.seq, r]));
  const maxSeq = o.db.reduce((m, r) => Math.max(m, r.seq), 0);

  // 0. Dense seqs: every integer 1…max is exactly one stored placement.
  const dense = o.db.length === maxSeq && bySeq.size === maxSeq;
  results.push({ guarantee: "0 dense seq", ok: dense, detail: `${o.db.length} rows, max seq ${maxSeq}` });

  // 1. No lost placement: every ack is in the database, unchanged, and on the board.
  const truth = boardFromRows(o.width, o.height, o.db);
  const missing = o.acked.filter((a) => {
    const r = bySeq.get(a.seq);
    return !r || r.x !== a.x || r.y !== a.y || r.color !== a.color || r.userId !== a.userId;
  });
  // A rollback's answer acknowledges `reverted` placements of the moderation user from firstSeq to
  // lastSeq (other users' placements interleave between its chunks): all of them must be stored.
  let rollbackAck = "";
  let rollbackLost = 0;
  const answer = o.rollback?.answer;
  if (answer && answer.firstSeq !== null && answer.lastSeq !== null) {
    const { firstSeq, lastSeq } = answer;
    const stored = o.db.filter((r) => r.userId === MODERATION_USER_ID && r.seq >= firstSeq && r.seq <= lastSeq).length;
    const ends = [firstSeq, lastSeq].filter((seq) => bySeq.get(seq)?.userId === MODERATION_USER_ID).length;
    rollbackLost = Math.abs(answer.reverted - stored) + (2 - ends);
    rollbackAck = ` + the rollback's ${answer.reverted} (seqs ${firstSeq}…${lastSeq}, ${stored} stored)`;
  }
  results.push({
    guarantee: "1 no lost placement",
    ok: missing.length === 0 && rollbackLost === 0 && o.acked.length > 0,
    detail: `${o.acked.length} acked${rollbackAck}, ${missing.length + rollbackLost} missing or altered${missing.length ? ` (first seq ${missing[0].seq})` : ""}`,
  });

  // 2. Every client saw everything after its start (stayed connected, or reconnected and synced).
  const behind = o.clients.filter((c) => c.board.seq < maxSeq);
  const stayed = o.clients.filter((c) => c.stayedConnected);
  results.push({
    guarantee: "2 every client sees everything",
    ok: behind.length === 0,
    detail: `${stayed.length} stayed connected, ${o.clients.length - stayed.length} reconnected; ${behind.length} behind${behind.length ? ` (${behind[0].name} at ${behind[0].board.seq}/${maxSeq})` : ""}`,
  });

  // 3. Convergence: replicas' boards and clients' boards equal the database's.
  const badReplicas = o.replicaBoards.filter((r) => r.seq !== maxSeq || !sameBytes(r.bytes, truth.pixels));
  const badClients = o.clients.filter((c) => !sameBytes(c.board.pixels, truth.pixels));
  results.push({
    guarantee: "3 convergence",
    ok: badReplicas.length === 0 && badClients.length === 0 && o.replicaBoards.length === o.replicas.length,
    detail: `${o.replicaBoards.length - badReplicas.length}/${o.replicas.length} replicas and ${o.clients.length - badClients.length}/${o.clients.length} clients equal the database board`,
  });

  // 4. Exact cooldown: per user, accepted placements at least the cooldown apart (database clock),
  // the cooldown being the one in force when the later of the two was placed. The moderation user
  // has none (SPEC §12); a rollback is checked by rows M1–M3 instead.
  const cooldownAt = (seq: number) => (o.earlierCooldown && seq <= o.earlierCooldown.lastSeq ? o.earlierCooldown.cooldownMs : o.cooldownMs);
  const byUser = new Map<string, DbPlacement[]>();
  for (const r of o.db) {
    if (r.userId === MODERATION_USER_ID) continue;
    let rows = byUser.get(r.userId);
    if (!rows) byUser.set(r.userId, (rows = []));
    rows.push(r);
  }
  let closest = Infinity;
  let closestEarlier = Infinity;
  let violations = 0;
  for (const rows of byUser.values()) {
    rows.sort((a, b) => a.placedAt - b.placedAt || a.seq - b.seq);
    for (let i = 1; i < rows.length; i++) {
      const gap = rows[i].placedAt - rows[i - 1].placedAt;
      const cooldown = cooldownAt(rows[i].seq);
      if (cooldown === o.cooldownMs) closest = Math.min(closest, gap);
      else closestEarlier = Math.min(closestEarlier, gap);
      if (gap < cooldown) violations++;
    }
  }
  const earlier = o.earlierCooldown
    ? `; seqs ≤ ${o.earlierCooldown.lastSeq} placed at cooldown ${o.earlierCooldown.cooldownMs} ms, closest gap ${closestEarlier === Infinity ? "-" : closestEarlier} ms`
    : "";
  results.push({
    guarantee: "4 exact cooldown",
    ok: violations === 0,
    detail: `${byUser.size} users, closest gap ${closest === Infinity ? "-" : closest} ms (cooldown ${o.cooldownMs} ms)${earlier}, ${violations} violations`,
  });

  // 5. Local service survives Redis: acks on every replica during every outage.
  if (o.outages.length > 0) {
    const during = o.outages.map(({ from, to }) => o.replicas.map((rep) => ({ rep, n: o.acked.filter((a) => a.replica === rep && a.at > from && a.at < to).length })));
    results.push({
      guarantee: "5 service during Redis outage",
      ok: during.every((outage) => outage.every((d) => d.n > 0)),
      detail: during.map((outage, i) => (during.length > 1 ? `outage ${i + 1}: ` : "") + outage.map((d) => `${d.rep}: ${d.n}`).join(", ")).join("; "),
    });
  }
  if (o.rollback) results.push(...checkRollback(o, o.rollback, truth));
  return results;
}

/**
 * SPEC §12's rollback, replayed from the database: M1 it finished and was logged as answered (and
 * the scenario's Redis kill fell inside it), M2 each of its placements put back the latest colour
 * by anyone else on a pixel whose latest placement was the user's, leaving none of the user's
 * pixels of the start, M3 the pixels the user held at the start that nobody placed on since show
 * their earlier colour on the database board and on every replica.
 */
function checkRollback(o: Observed, rb: RollbackObserved, truth: Board): CheckResult[] {
  const results: CheckResult[] = [];
  const a = rb.answer;
  const lastSeq = a?.lastSeq ?? Infinity;

  // M1: the answer, the audit log's account of it, and where the kill fell.
  const log = rb.logEntry;
  const logged =
    log !== null &&
    log.action === "rollback" &&
    log.params.userId === rb.userId &&
    log.params.afterSeq === rb.afterSeq &&
    a !== null &&
    log.result.reverted === a.reverted &&
    log.result.firstSeq === a.firstSeq &&
    log.result.lastSeq === a.lastSeq &&
    !("error" in log.result);
  const midway = a !== null && rb.atKill.before > 0 && rb.atKill.after < a.reverted;
  results.push({
    guarantee: "M1 rollback answered and logged",
    ok: rb.status === 200 && a !== null && a.reverted > 0 && logged && midway,
    detail:
      `HTTP ${rb.status}` +
      (a ? ` {reverted ${a.reverted}, firstSeq ${a.firstSeq}, lastSeq ${a.lastSeq}}` : "") +
      `; audit log ${log === null ? "has no entry" : logged ? `entry equal (actor ${JSON.stringify(log.actor)})` : `entry differs: ${JSON.stringify(log.result)}`}` +
      `; Redis killed with ${rb.atKill.before}–${rb.atKill.after} of them written`,
  });

  // M2 and M3 from one replay in seq order.
  const n = o.width * o.height;
  const owner: Array<string | undefined> = new Array(n);
  const ownerSeq = new Float64Array(n);
  const otherColor = new Uint8Array(n); // latest colour by anyone but the user (0: nobody)
  const heldAtStart = new Uint8Array(n);
  const colorAtStart = new Uint8Array(n);
  const touchedSince = new Uint8Array(n); // someone other than the moderation user placed here after the start
  let modRows = 0;
  let wrong = 0;
  let firstWrong = "";
  let left = -1;
  const held = (i: number) => owner[i] === rb.userId && ownerSeq[i] > rb.afterSeq;
  const snapshotStart = () => {
    for (let i = 0; i < n; i++) {
      heldAtStart[i] = held(i) ? 1 : 0;
      colorAtStart[i] = otherColor[i];
    }
  };
  const countLeft = () => {
    // The user's pixels of the start still theirs: missed by the rollback.
    left = 0;
    for (let i = 0; i < n; i++) if (heldAtStart[i] && held(i) && ownerSeq[i] <= rb.startSeq) left++;
  };
  const rows = [...o.db].sort((x, y) => x.seq - y.seq);
  let started = false;
  for (const r of rows) {
    if (!started && r.seq > rb.startSeq) {
      snapshotStart();
      started = true;
    }
    if (left < 0 && r.seq > lastSeq) countLeft();
    const i = r.y * o.width + r.x;
    if (r.userId === MODERATION_USER_ID) {
      modRows++;
      const inRange = a !== null && a.firstSeq !== null && r.seq >= a.firstSeq && r.seq <= lastSeq;
      if (!inRange || !held(i) || r.color !== otherColor[i]) {
        wrong++;
        firstWrong ||= ` (first: seq ${r.seq} at ${r.x},${r.y} colour ${r.color}, the pixel's latest other colour ${otherColor[i]}, ${held(i) ? "the user's" : "not the user's"})`;
      }
    } else if (started) {
      touchedSince[i] = 1;
    }
    owner[i] = r.userId;
    ownerSeq[i] = r.seq;
    if (r.userId !== rb.userId) otherColor[i] = r.color;
  }
  if (!started) snapshotStart();
  if (left < 0) countLeft();
  results.push({
    guarantee: "M2 rollback = replay",
    ok: a !== null && modRows > 0 && wrong === 0 && left === 0,
    detail: `${modRows} rollback placements replayed, ${wrong} not restoring a pixel of the user's to its latest other colour${firstWrong}; ${left} of the user's pixels left after it`,
  });

  // M3: on the final boards.
  let heldN = 0;
  let untouched = 0;
  let restored = 0;
  let notBlank = 0;
  for (let i = 0; i < n; i++) {
    if (!heldAtStart[i]) continue;
    heldN++;
    if (touchedSince[i]) continue;
    untouched++;
    const want = colorAtStart[i];
    if (want !== 0) notBlank++;
    if (truth.pixels[i] === want && o.replicaBoards.every((b) => b.bytes[i] === want)) restored++;
  }
  results.push({
    guarantee: "M3 griefer's pixels restored",
    ok: untouched > 0 && restored === untouched && o.replicaBoards.length === o.replicas.length,
    detail: `${heldN} held at seq ${rb.startSeq}, ${untouched} untouched since: ${restored} show their earlier colour (${notBlank} not blank) in the database and on ${o.replicaBoards.length} replicas`,
  });
  return results;
}

/** The results as a fixed-width table. */
export function formatTable(results: readonly CheckResult[]): string {
  const w = Math.max(...results.map((r) => r.guarantee.length));
  return results.map((r) => `${r.ok ? "PASS" : "FAIL"}  ${r.guarantee.padEnd(w)}  ${r.detail}`).join("\n");
}
