// The canvas API over HTTP (same origin), as the browser uses it.

import type { Board } from "../canvas";
import type { HttpErrorBody, PublicUser } from "../protocol";
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

async function failure(res: Response): Promise<ApiError> {
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

/** The current session's user, or null when there is none. `prefetched`: see getCanvas. */
export async function getSession(prefetched?: Promise<Response> | null): Promise<PublicUser | null> {
  const res = await prefetchedOr(
    prefetched,
    (r) => r.ok || r.status === 401,
    () => fetch(SESSION_PATH, { credentials: "same-origin", cache: "no-store" }),
  );
  if (res.status === 401) return null;
  if (!res.ok) throw await failure(res);
  const body = (await res.json()) as { user: PublicUser | null };
  return body.user ?? null;
}

/** Start a session under `name`; the server sets the cookie. */
export async function createSession(name: string): Promise<PublicUser> {
  const res = await fetch("/api/session", {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name }),
  });
  if (!res.ok) throw await failure(res);
  const body = (await res.json()) as { user: PublicUser };
  return body.user;
}

/**
 * A request the page's inline head script started before any bundle loaded (app/layout.tsx),
 * taken at most once and only while fresh; null otherwise.
 */
export function takePrefetched(path: typeof SESSION_PATH | "/api/canvas", maxAgeMs: number): Promise<Response> | null {
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

/**
 * The whole board as palette indices, with the seq it includes. `prefetched` (a response already
 * on its way) is used when it succeeds; otherwise the board is requested now.
 */
export async function getCanvas(prefetched?: Promise<Response> | null): Promise<CanvasSnapshot> {
  const res = await prefetchedOr(prefetched, (r) => r.ok, () => fetch("/api/canvas", { credentials: "same-origin", cache: "no-store" }));
  return readSnapshot(res);
}

async function readSnapshot(res: Response): Promise<CanvasSnapshot> {
  if (!res.ok) throw await failure(res);
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
export async function getPixel(x: number, y: number): Promise<PixelDetails | null> {
  const res = await fetch(`/api/pixel?x=${x}&y=${y}&optional=1`, { credentials: "same-origin", cache: "no-store" });
  if (res.status === 404) return null;
  if (!res.ok) throw await failure(res);
  const d = (await res.json()) as Partial<PixelDetails> | null;
  return d && d.user && typeof d.seq === "number" ? (d as PixelDetails) : null;
}

/** True when the server answers HTTP at all (a cheap, in-memory endpoint): used while the live link is down. */
export async function probeServer(): Promise<boolean> {
  const res = await fetch("/api/canvas/info", { credentials: "same-origin", cache: "no-store" });
  return res.ok;
}

/** Active users and (up to 100) names, for a visitor who is only watching. */
export async function getStats(): Promise<{ activeUsers: number; users: string[] }> {
  const res = await fetch("/api/stats", { credentials: "same-origin", cache: "no-store" });
  if (!res.ok) throw await failure(res);
  const body = (await res.json()) as { activeUsers?: unknown; users?: unknown };
  const users = Array.isArray(body.users)
    ? body.users
        // Protocol 1 lists names; revision 2 lists {id, name}.
        .map((u: unknown) => (typeof u === "string" ? u : typeof (u as { name?: unknown })?.name === "string" ? (u as { name: string }).name : null))
        .filter((n): n is string => n !== null)
    : [];
  return { activeUsers: typeof body.activeUsers === "number" ? body.activeUsers : users.length, users };
}

/**
 * The watchers' source (lib/client/board-poller.ts): the whole board with `If-None-Match`, so an
 * unchanged board costs a 304 and no body. The first answer may be the head script's prefetch.
 */
export function canvasWatchSource(first?: () => Promise<Response> | null): WatchSource {
  let etag: string | null = null;
  let firstTaken = false;
  return {
    async next(board: Board | null): Promise<WatchUpdate> {
      const pre = firstTaken ? null : (first?.() ?? null);
      firstTaken = true;
      const headers: Record<string, string> = {};
      if (board && etag) headers["If-None-Match"] = etag;
      const res = await prefetchedOr(pre, (r) => r.ok, () => fetch("/api/canvas", { credentials: "same-origin", cache: "no-store", headers }));
      if (res.status === 304) return { kind: "same" };
      const snap = await readSnapshot(res);
      etag = res.headers.get("ETag");
      return { kind: "snapshot", ...snap };
    },
  };
}

/** The WebSocket URL on this page's origin (ws: or wss: by the page's protocol). */
export function socketUrl(loc: { protocol: string; host: string }): string {
  return `${loc.protocol === "https:" ? "wss:" : "ws:"}//${loc.host}/ws`;
}
