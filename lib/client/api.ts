// The canvas API over HTTP (same origin), as the browser uses it.

import type { HttpErrorBody, PublicUser } from "../protocol";

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

/** The current session's user, or null when there is none (401). `prefetched`: see getCanvas. */
export async function getSession(prefetched?: Promise<Response> | null): Promise<PublicUser | null> {
  const res = await prefetchedOr(
    prefetched,
    (r) => r.ok || r.status === 401,
    () => fetch("/api/session", { credentials: "same-origin", cache: "no-store" }),
  );
  if (res.status === 401) return null;
  if (!res.ok) throw await failure(res);
  const body = (await res.json()) as { user: PublicUser };
  return body.user;
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
export function takePrefetched(path: "/api/session" | "/api/canvas", maxAgeMs: number): Promise<Response> | null {
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

/** Who placed pixel (x, y) last, or null when nobody ever did (404 not_placed). */
export async function getPixel(x: number, y: number): Promise<PixelDetails | null> {
  const res = await fetch(`/api/pixel?x=${x}&y=${y}`, { credentials: "same-origin", cache: "no-store" });
  if (res.status === 404) return null;
  if (!res.ok) throw await failure(res);
  return (await res.json()) as PixelDetails;
}

/** The WebSocket URL on this page's origin (ws: or wss: by the page's protocol). */
export function socketUrl(loc: { protocol: string; host: string }): string {
  return `${loc.protocol === "https:" ? "wss:" : "ws:"}//${loc.host}/ws`;
}
