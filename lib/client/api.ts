// The canvas API over HTTP (same origin), as the browser uses it. Every board call goes to
// /api/boards/{id}/… (SPEC §9), board `main` included; only the session is board-less.

import type { Board } from "../canvas";
import { decodePixelsToArray, type BoardInfo, type BoardVisibility, type HttpErrorBody, type PublicUser } from "../protocol";
import type { WatchSource, WatchUpdate } from "./board-poller";

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly retryAfterMs?: number;
  constructor(status: number, code: string, message: string, retryAfterMs?: number) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }
}

export interface CanvasSnapshot {
  bytes: Uint8Array;
  seq: number;
  width: number;
  height: number;
}

export interface PixelDetails {
  x: number;
  y: number;
  color: number;
  seq: number;
  user: PublicUser;
  placedAt: string;
}

/** The signed-in user and whether they may moderate (GET /api/session). */
export interface SessionInfo {
  user: PublicUser;
  moderator: boolean;
}

/** One page of the people on a board (GET …/users). */
export interface UsersPage {
  users: PublicUser[];
  total: number;
  next: string | null;
}

const GET: RequestInit = { credentials: "same-origin", cache: "no-store" };

/** The API path of board `board` plus `suffix` ("/canvas", "/pixel?x=1&y=2", "" for the board itself). */
export function boardPath(board: string, suffix = ""): string {
  return `/api/boards/${encodeURIComponent(board)}${suffix}`;
}

/** The error a non-2xx response stands for: the body's code and message when it has them. */
export async function failureOf(res: Response): Promise<ApiError> {
  let body: Partial<HttpErrorBody> | null = null;
  try {
    body = (await res.json()) as Partial<HttpErrorBody>;
  } catch {
    // Not JSON (a proxy error page, say): fall back to the status line.
  }
  const e = body?.error;
  return new ApiError(
    res.status,
    typeof e?.code === "string" ? e.code : `http_${res.status}`,
    typeof e?.message === "string" ? e.message : `The server answered ${res.status} ${res.statusText}`.trim(),
    typeof e?.retryAfterMs === "number" ? e.retryAfterMs : undefined,
  );
}

/**
 * The session question as the page asks it. `optional=1` asks the server to answer "no session"
 * with 200 `{"user":null}` instead of 401, because browsers log every 4xx as a console error and
 * having no session is the normal first visit. A server that does not know the parameter answers
 * 401 as SPEC §3 says, which is understood too. (app/layout.tsx's head script asks the same URL.)
 */
export const SESSION_PATH = "/api/session?optional=1";

/** The current session, or null when there is none. `prefetched`: see getCanvas. */
export async function getSessionInfo(prefetched?: Promise<Response> | null): Promise<SessionInfo | null> {
  const res = await prefetchedOr(prefetched, (r) => r.ok || r.status === 401, () => fetch(SESSION_PATH, GET));
  if (res.status === 401) return null;
  if (!res.ok) throw await failureOf(res);
  const body = (await res.json()) as { user: PublicUser | null; moderator?: unknown };
  return body.user ? { user: body.user, moderator: body.moderator === true } : null;
}

/** The current session's user, or null when there is none. */
export async function getSession(prefetched?: Promise<Response> | null): Promise<PublicUser | null> {
  return (await getSessionInfo(prefetched))?.user ?? null;
}

/** Start a session under `name`; the server sets the cookie. */
export async function createSession(name: string): Promise<PublicUser> {
  const res = await fetch("/api/session", {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name }),
  });
  if (!res.ok) throw await failureOf(res);
  const body = (await res.json()) as { user: PublicUser };
  return body.user;
}

/**
 * A request the page's inline head script started before any bundle loaded (app/layout.tsx),
 * taken at most once and only while fresh; null otherwise. `path` is the exact URL it asked.
 */
export function takePrefetched(path: string, maxAgeMs: number): Promise<Response> | null {
  const w = globalThis as unknown as { __tesseraPrefetch?: Record<string, { at: number; res: Promise<Response> } | undefined> };
  const p = w.__tesseraPrefetch?.[path];
  if (!p) return null;
  delete w.__tesseraPrefetch![path];
  if (!(Date.now() - p.at <= maxAgeMs)) return null;
  // Nobody may be left with an unhandled rejection; the caller falls back to a fresh request.
  p.res.catch(() => {});
  return p.res;
}

/** The prefetched response if it arrives and is usable (`accept`), else a fresh request. */
async function prefetchedOr(prefetched: Promise<Response> | null | undefined, accept: (r: Response) => boolean, fresh: () => Promise<Response>): Promise<Response> {
  if (prefetched) {
    try {
      const r = await prefetched;
      if (accept(r)) return r;
    } catch {
      // fall through to a fresh request
    }
  }
  return fresh();
}

/** A board's description (SPEC §9); null when there is no such board (404). */
export async function getBoard(board: string, prefetched?: Promise<Response> | null): Promise<BoardInfo | null> {
  const res = await prefetchedOr(prefetched, (r) => r.ok || r.status === 404, () => fetch(boardPath(board), GET));
  if (res.status === 404) return null;
  if (!res.ok) throw await failureOf(res);
  return ((await res.json()) as { board: BoardInfo }).board;
}

/** A page of public boards, most active first. */
export async function listBoards(after: string | null, limit: number): Promise<{ boards: BoardInfo[]; next: string | null }> {
  const q = new URLSearchParams({ limit: String(limit) });
  if (after) q.set("after", after);
  const res = await fetch(`/api/boards?${q}`, GET);
  if (!res.ok) throw await failureOf(res);
  const body = (await res.json()) as { boards?: BoardInfo[]; next?: string | null };
  return { boards: Array.isArray(body.boards) ? body.boards : [], next: typeof body.next === "string" ? body.next : null };
}

export interface NewBoard {
  title: string;
  width: number;
  height: number;
  cooldownMs: number;
  visibility: BoardVisibility;
  id?: string;
}

/** Create a board (needs a session). Throws ApiError: 400 invalid_board, 409 board_exists, 429 rate_limited. */
export async function createBoard(board: NewBoard): Promise<BoardInfo> {
  const res = await fetch("/api/boards", {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(board),
  });
  if (!res.ok) throw await failureOf(res);
  return ((await res.json()) as { board: BoardInfo }).board;
}

/**
 * The whole board as palette indices, with the seq it includes. `prefetched` (a response already
 * on its way) is used when it succeeds; otherwise the board is requested now.
 */
export async function getCanvas(board: string, prefetched?: Promise<Response> | null): Promise<CanvasSnapshot> {
  const res = await prefetchedOr(prefetched, (r) => r.ok, () => fetch(boardPath(board, "/canvas"), GET));
  return readSnapshot(res);
}

async function readSnapshot(res: Response): Promise<CanvasSnapshot> {
  if (!res.ok) throw await failureOf(res);
  const seq = Number(res.headers.get("X-Canvas-Seq"));
  const width = Number(res.headers.get("X-Canvas-Width"));
  const height = Number(res.headers.get("X-Canvas-Height"));
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (!Number.isInteger(seq) || seq < 0 || !(width > 0) || !(height > 0) || bytes.length !== width * height) {
    throw new ApiError(res.status, "bad_snapshot", "The board snapshot was incomplete");
  }
  return { bytes, seq, width, height };
}

/**
 * Who placed pixel (x, y) last, or null when nobody ever did. As with the session, `optional=1`
 * asks for 200 with `"user":null` instead of 404 `not_placed` (an expected answer, not an error);
 * a server without it answers 404, understood the same.
 */
export async function getPixel(board: string, x: number, y: number): Promise<PixelDetails | null> {
  const res = await fetch(boardPath(board, `/pixel?x=${x}&y=${y}&optional=1`), GET);
  if (res.status === 404) {
    const e = await failureOf(res);
    if (e.code === "no_board") throw e;
    return null;
  }
  if (!res.ok) throw await failureOf(res);
  const d = (await res.json()) as Partial<PixelDetails> | null;
  return d && d.user && typeof d.seq === "number" ? (d as PixelDetails) : null;
}

/** True when the server answers HTTP at all (a cheap, in-memory endpoint): used while the live link is down. */
export async function probeServer(board: string): Promise<boolean> {
  const res = await fetch(boardPath(board, "/canvas/info"), GET);
  return res.ok;
}

function publicUsers(raw: unknown): PublicUser[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter((u): u is PublicUser => typeof u === "object" && u !== null && typeof u.id === "string" && typeof u.name === "string");
}

/** Active users and the first (up to 100) people, for a visitor who is only watching. */
export async function getStats(board: string): Promise<{ activeUsers: number; users: PublicUser[]; total: number }> {
  const res = await fetch(boardPath(board, "/stats"), GET);
  if (!res.ok) throw await failureOf(res);
  const body = (await res.json()) as { activeUsers?: unknown; users?: unknown; total?: unknown };
  const users = publicUsers(body.users);
  const total = typeof body.total === "number" ? body.total : typeof body.activeUsers === "number" ? body.activeUsers : users.length;
  return { activeUsers: typeof body.activeUsers === "number" ? body.activeUsers : total, users, total };
}

/** People on a board after `after` (the `next` of the previous page; null: from the start), in the list's order. */
export async function getUsersPage(board: string, after: string | null, limit: number): Promise<UsersPage> {
  const q = new URLSearchParams({ limit: String(limit) });
  if (after) q.set("after", after);
  const res = await fetch(boardPath(board, `/users?${q}`), GET);
  if (!res.ok) throw await failureOf(res);
  const body = (await res.json()) as { users?: unknown; total?: unknown; next?: unknown };
  const users = publicUsers(body.users);
  return { users, total: typeof body.total === "number" ? body.total : users.length, next: typeof body.next === "string" && body.next !== "" ? body.next : null };
}

/**
 * The watchers' source (lib/client/board-poller.ts): the whole board once, then the placements
 * after the board's seq (`GET …/placements?after=`, a binary PIXELS body). When more than
 * `maxRecords` are missing (`X-Next-After` names a further page: the tab slept, say) the whole
 * board is loaded again instead — one body instead of many pages. The first answer may be the
 * head script's prefetch.
 */
export function placementsWatchSource(board: string, maxRecords: number, first?: () => Promise<Response> | null): WatchSource {
  let firstTaken = false;
  const snapshot = async (): Promise<WatchUpdate> => {
    const pre = firstTaken ? null : (first?.() ?? null);
    firstTaken = true;
    return { kind: "snapshot", ...(await getCanvas(board, pre)) };
  };
  return {
    async next(b: Board | null): Promise<WatchUpdate> {
      if (!b) return snapshot();
      const res = await fetch(boardPath(board, `/placements?after=${b.seq}&limit=${maxRecords}`), GET);
      if (!res.ok) throw await failureOf(res);
      const more = res.headers.get("X-Next-After");
      const bytes = new Uint8Array(await res.arrayBuffer());
      if (more) return snapshot();
      if (bytes.length <= 1) return { kind: "same" };
      const records = decodePixelsToArray(bytes);
      if (!records) throw new ApiError(res.status, "bad_placements", "The placements page was malformed");
      return { kind: "records", records };
    },
  };
}

/** The WebSocket URL of board `board` on this page's origin (ws: or wss: by the page's protocol). */
export function socketUrl(loc: { protocol: string; host: string }, board: string): string {
  return `${loc.protocol === "https:" ? "wss:" : "ws:"}//${loc.host}/ws?board=${encodeURIComponent(board)}`;
}
