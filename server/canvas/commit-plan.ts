// The pure decision inside a group commit: which placements of a group are accepted, which are
// cooling down, and which seqs the accepted ones get. Free of the database so it is unit-tested alone.

export interface PlacementRequest {
  userId: string;
  x: number;
  y: number;
  color: number;
}

export type PlacementDecision =
  | { ok: true; seq: number; placedAt: number; cooldownUntil: number }
  | { ok: false; code: "cooldown"; retryAfterMs: number; cooldownUntil: number };

export interface CommitPlan {
  decisions: PlacementDecision[];
  /** Accepted placements in seq order, with their seq. */
  accepted: Array<PlacementRequest & { seq: number }>;
  /** Users whose last placement time becomes `now`. */
  touchedUsers: string[];
  nextSeq: number;
}

/**
 * Decide a group of placements in arrival order. `lastPlacedAt` maps user id → epoch ms of the
 * user's last accepted placement (database clock); `now` is the database clock at commit.
 * A user may get several placements accepted in one group only when the cooldown is 0.
 */
export function planCommit(
  requests: readonly PlacementRequest[],
  lastPlacedAt: ReadonlyMap<string, number | null>,
  now: number,
  cooldownMs: number,
  baseSeq: number,
): CommitPlan {
  const last = new Map(lastPlacedAt);
  const decisions: PlacementDecision[] = [];
  const accepted: CommitPlan["accepted"] = [];
  const touched = new Set<string>();
  let seq = baseSeq;
  for (const r of requests) {
    const prev = last.get(r.userId) ?? null;
    if (prev !== null && now - prev < cooldownMs) {
      const until = prev + cooldownMs;
      decisions.push({ ok: false, code: "cooldown", retryAfterMs: until - now, cooldownUntil: until });
      continue;
    }
    seq += 1;
    last.set(r.userId, now);
    touched.add(r.userId);
    accepted.push({ ...r, seq });
    decisions.push({ ok: true, seq, placedAt: now, cooldownUntil: now + cooldownMs });
  }
  return { decisions, accepted, touchedUsers: [...touched], nextSeq: seq };
}
