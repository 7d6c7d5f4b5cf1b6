// The pure decision inside a group commit on one board: which placements of a group are accepted,
// which are refused (cooldown, banned, frozen), and which seqs the accepted ones get. Free of the
// database so it is unit-tested alone; the database function `tessera_commit`
// (drizzle/0001_boards.sql) makes the same decision under the board's lock, and storage.ts checks
// that the two agree seq for seq.

export interface PlacementRequest {
  userId: string;
  x: number;
  y: number;
  color: number;
}

export type PlacementDecision =
  | { ok: true; seq: number; placedAt: number; cooldownUntil: number }
  | { ok: false; code: "cooldown"; retryAfterMs: number; cooldownUntil: number }
  | { ok: false; code: "banned"; bannedUntil: number }
  | { ok: false; code: "frozen" };

export interface CommitPlan {
  decisions: PlacementDecision[];
  /** Accepted placements in seq order, with their seq. */
  accepted: Array<PlacementRequest & { seq: number }>;
  /** Users whose last placement time on the board becomes `now`. */
  touchedUsers: string[];
  nextSeq: number;
}

/** What the decision depends on, as the database saw it under the board's lock. */
export interface CommitState {
  /** User id → epoch ms of the user's last accepted placement on this board (database clock); absent or null: never. */
  lastPlacedAt: ReadonlyMap<string, number | null>;
  /** User id → epoch ms until which the user is banned; absent or null: not banned. */
  bannedUntil?: ReadonlyMap<string, number | null>;
  /** The database clock at commit. */
  now: number;
  cooldownMs: number;
  /** The board's seq before this group. */
  baseSeq: number;
  frozen?: boolean;
  /** Rollback and wipe chunks: no cooldown, ban or freeze check (SPEC §12). */
  moderation?: boolean;
}

/**
 * Decide a group of placements in arrival order. Refusals, in order of precedence: `frozen` (the
 * board refuses everything), `banned` (until the ban's end), `cooldown` (the user's last
 * placement is younger than the cooldown; with a positive cooldown a user gets at most one
 * placement per group). A moderation group is accepted whole and starts no cooldown.
 */
export function planCommit(requests: readonly PlacementRequest[], state: CommitState): CommitPlan {
  const { now, baseSeq, moderation = false, frozen = false } = state;
  const cooldownMs = moderation ? 0 : state.cooldownMs;
  const last = new Map(state.lastPlacedAt);
  const decisions: PlacementDecision[] = [];
  const accepted: CommitPlan["accepted"] = [];
  const touched = new Set<string>();
  let seq = baseSeq;
  for (const r of requests) {
    if (!moderation) {
      if (frozen) {
        decisions.push({ ok: false, code: "frozen" });
        continue;
      }
      const bannedUntil = state.bannedUntil?.get(r.userId) ?? null;
      if (bannedUntil !== null && bannedUntil > now) {
        decisions.push({ ok: false, code: "banned", bannedUntil });
        continue;
      }
    }
    const prev = last.get(r.userId) ?? null;
    if (!moderation && prev !== null && now - prev < cooldownMs) {
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
