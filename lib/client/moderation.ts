// The moderation panel's side of SPEC §12: who is a moderator, the actions (ban, unban, rollback,
// wipe, freeze) and the audit log over HTTP, and the pure checks and wording the panel shows.
// The server checks everything again; these checks only spare a round trip and say what is wrong
// next to the field.

import { BAN_REASON_MAX_CHARS, MAX_WIPE_PIXELS, MOD_LOG_MAX_LIMIT } from "../limits";
import type { BoardState, PublicUser } from "../protocol";
import { boardPath } from "./api";
import { query, requestJson } from "./extras-http";

/** A board's open/frozen state (GET /api/boards/{id}). */
export async function getBoardState(board: string): Promise<BoardState> {
  const body = await requestJson<{ board?: { state?: unknown } }>(boardPath(board, ""));
  return body.board?.state === "frozen" ? "frozen" : "open";
}

// ------------------------------------------------------------------ actions

export interface BanResult {
  user: PublicUser;
  /** Epoch ms; BANNED_FOREVER-like huge values mean "until unbanned". */
  until: number;
}

export function ban(board: string, userId: string, reason: string, durationMs: number | null): Promise<BanResult> {
  return requestJson(boardPath(board, "/mod/ban"), durationMs === null ? { userId, reason } : { userId, reason, durationMs });
}

export function unban(board: string, userId: string): Promise<{ user: PublicUser }> {
  return requestJson(boardPath(board, "/mod/unban"), { userId });
}

export interface WriteResult {
  firstSeq: number | null;
  lastSeq: number | null;
}

export function rollback(board: string, userId: string, afterSeq: number | null): Promise<{ reverted: number } & WriteResult> {
  return requestJson(boardPath(board, "/mod/rollback"), afterSeq === null ? { userId } : { userId, afterSeq });
}

export function wipe(board: string, rect: Rect, color: number): Promise<{ pixels: number } & WriteResult> {
  return requestJson(boardPath(board, "/mod/wipe"), { ...rect, color });
}

export function freeze(board: string, frozen: boolean): Promise<{ state: BoardState }> {
  return requestJson(boardPath(board, "/mod/freeze"), { frozen });
}

// ------------------------------------------------------------------ audit log

export type ModActor = { admin: true } | { id: string; name: string };

export interface ModLogEntry {
  id?: number;
  /** ISO-8601. */
  at: string;
  actor: ModActor;
  action: string;
  params: Record<string, unknown> | null;
  result: Record<string, unknown> | null;
}

/** Audit log entries shown per page. */
const MOD_LOG_PAGE = Math.min(20, MOD_LOG_MAX_LIMIT);

/** One page of the audit log, newest first; `next` is the `after` of the following page. */
export async function getModLog(board: string, after: string | null, limit = MOD_LOG_PAGE): Promise<{ entries: ModLogEntry[]; next: string | null }> {
  const body = await requestJson<{ entries?: ModLogEntry[]; next?: string | null }>(boardPath(board, `/mod/log${query({ after, limit })}`));
  return { entries: Array.isArray(body.entries) ? body.entries : [], next: typeof body.next === "string" && body.next !== "" ? body.next : null };
}

export function actorName(actor: ModActor | null | undefined): string {
  if (!actor) return "someone";
  return "admin" in actor ? "the admin" : actor.name || actor.id;
}

const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** "Bob (u_1)" from a result's user object, or the bare id from the params. */
function userLabel(result: Record<string, unknown> | null, params: Record<string, unknown> | null): string {
  const u = result?.user as { id?: unknown; name?: unknown } | undefined;
  const name = str(u?.name);
  const id = str(u?.id) ?? str(params?.userId);
  if (name && id) return `${name} (${id})`;
  return name ?? id ?? "a user";
}

/** What an audit entry did, in a sentence without its actor and time (the panel shows those apart). */
export function describeEntry(e: Pick<ModLogEntry, "action" | "params" | "result">): string {
  const p = e.params ?? {};
  const r = e.result ?? {};
  const failed = str(r.error);
  const tail = failed ? ` — failed: ${failed}` : "";
  switch (e.action) {
    case "ban": {
      const ms = num(p.durationMs);
      const reason = str(p.reason);
      return `banned ${userLabel(r, p)} ${ms === null ? "until unbanned" : `for ${formatDuration(ms)}`}${reason ? ` — “${reason}”` : ""}${tail}`;
    }
    case "unban":
      return `unbanned ${userLabel(r, p)}${tail}`;
    case "rollback": {
      const after = num(p.afterSeq);
      const n = num(r.reverted) ?? 0;
      return `rolled back ${userLabel(null, p)}${after ? ` after #${after}` : ""}: ${pixels(n)} reverted${seqRange(r)}${tail}`;
    }
    case "wipe": {
      const [x0, y0, x1, y1] = [num(p.x0), num(p.y0), num(p.x1), num(p.y1)];
      const n = num(r.pixels) ?? 0;
      return `wiped (${x0}, ${y0})–(${x1}, ${y1}) to colour ${num(p.color)}: ${pixels(n)}${seqRange(r)}${tail}`;
    }
    case "freeze":
      return `froze the board${tail}`;
    case "unfreeze":
      return `unfroze the board${tail}`;
    case "moderator_grant":
      return `made ${userLabel(r, p)} a moderator${tail}`;
    case "moderator_revoke":
      return `took moderation from ${userLabel(r, p)}${tail}`;
    default:
      return `${e.action} ${JSON.stringify(p)}${tail}`;
  }
}

const pixels = (n: number) => `${n.toLocaleString("en-US")} pixel${n === 1 ? "" : "s"}`;

function seqRange(r: Record<string, unknown>): string {
  const a = num(r.firstSeq);
  const b = num(r.lastSeq);
  if (a === null || b === null) return "";
  return a === b ? ` (#${a})` : ` (#${a}–#${b})`;
}

/** "45 s", "10 min", "2 h", "7 days" — the largest whole unit, for ban lengths. */
export function formatDuration(ms: number): string {
  const units: Array<[number, string, string]> = [
    [86_400_000, "day", "days"],
    [3_600_000, "h", "h"],
    [60_000, "min", "min"],
    [1_000, "s", "s"],
  ];
  for (const [size, one, many] of units) {
    if (ms >= size && ms % size === 0) {
      const n = ms / size;
      return `${n} ${n === 1 ? one : many}`;
    }
  }
  for (const [size, , many] of units) if (ms >= size) return `${(ms / size).toFixed(1)} ${many}`;
  return `${ms} ms`;
}

// ------------------------------------------------------------------ ban

/** The ban lengths offered (null: until unbanned). */
export const BAN_DURATIONS: ReadonlyArray<{ label: string; ms: number | null }> = [
  { label: "1 hour", ms: 3_600_000 },
  { label: "24 hours", ms: 86_400_000 },
  { label: "7 days", ms: 7 * 86_400_000 },
  { label: "30 days", ms: 30 * 86_400_000 },
  { label: "Until unbanned", ms: null },
];

/** Why a ban reason would be refused, or null when it is fine (the server's rule: 1–200 visible characters). */
export function banReasonProblem(reason: string): string | null {
  const r = reason.normalize("NFC").trim();
  const n = [...r].length;
  if (n === 0) return "Say why (the reason is kept in the audit log).";
  if (n > BAN_REASON_MAX_CHARS) return `At most ${BAN_REASON_MAX_CHARS} characters (this has ${n}).`;
  if (/[\p{Cc}\p{Cf}\p{Co}\p{Cs}]/u.test(r)) return "No control or invisible characters.";
  return null;
}

/** A user id as the API accepts it. */
export function isUserId(s: string): boolean {
  return /^[A-Za-z0-9_-]{1,64}$/.test(s);
}

/**
 * The rollback's optional "only after seq" field: null when empty (every placement of the user),
 * the number when it is a whole number ≥ 0, "invalid" otherwise.
 */
export function parseAfterSeq(text: string): number | null | "invalid" {
  const t = text.trim();
  if (t === "") return null;
  if (!/^\d{1,15}$/.test(t)) return "invalid";
  return Number(t);
}

// ------------------------------------------------------------------ wipe rectangle

export interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** The rectangle with corners a and b (inclusive), whatever order they were drawn in. */
export function rectFromCorners(a: { x: number; y: number }, b: { x: number; y: number }): Rect {
  return { x0: Math.min(a.x, b.x), y0: Math.min(a.y, b.y), x1: Math.max(a.x, b.x), y1: Math.max(a.y, b.y) };
}

/** Pixels in an inclusive rectangle. */
export function rectArea(r: Rect): number {
  return Math.max(0, r.x1 - r.x0 + 1) * Math.max(0, r.y1 - r.y0 + 1);
}

/** Why the API would refuse this wipe rectangle on a width × height board, or null when it is fine. */
export function wipeProblem(r: Rect, width: number, height: number, maxPixels = MAX_WIPE_PIXELS): string | null {
  for (const v of [r.x0, r.y0, r.x1, r.y1]) if (!Number.isInteger(v) || v < 0) return "Corners are whole numbers from 0.";
  if (r.x0 > r.x1 || r.y0 > r.y1) return "The first corner must be above and left of the second.";
  if (r.x1 >= width || r.y1 >= height) return `The board is ${width} × ${height}: x up to ${width - 1}, y up to ${height - 1}.`;
  const area = rectArea(r);
  if (area > maxPixels) return `A wipe covers at most ${maxPixels.toLocaleString("en-US")} pixels; this one has ${area.toLocaleString("en-US")}.`;
  return null;
}
