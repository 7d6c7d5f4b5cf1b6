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
  results.push({
    guarantee: "1 no lost placement",
    ok: missing.length === 0 && o.acked.length > 0,
    detail: `${o.acked.length} acked, ${missing.length} missing or altered${missing.length ? ` (first seq ${missing[0].seq})` : ""}`,
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

  // 4. Exact cooldown: per user, accepted placements at least cooldownMs apart (database clock).
  const byUser = new Map<string, number[]>();
  for (const r of o.db) byUser.set(r.userId, [...(byUser.get(r.userId) ?? []), r.placedAt]);
  let closest = Infinity;
  let violations = 0;
  for (const times of byUser.values()) {
    times.sort((a, b) => a - b);
    for (let i = 1; i < times.length; i++) {
      const gap = times[i] - times[i - 1];
      closest = Math.min(closest, gap);
      if (gap < o.cooldownMs) violations++;
    }
  }
  results.push({
    guarantee: "4 exact cooldown",
    ok: violations === 0,
    detail: `${byUser.size} users, closest gap ${closest === Infinity ? "-" : closest} ms (cooldown ${o.cooldownMs} ms), ${violations} violations`,
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
  return results;
}

/** The results as a fixed-width table. */
export function formatTable(results: readonly CheckResult[]): string {
  const w = Math.max(...results.map((r) => r.guarantee.length));
  return results.map((r) => `${r.ok ? "PASS" : "FAIL"}  ${r.guarantee.padEnd(w)}  ${r.detail}`).join("\n");
}
