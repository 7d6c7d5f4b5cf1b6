// HTTP for the board's extra panels (moderation, history, timelapse, stats): per-board paths and
// JSON requests whose failures carry the server's error code and message. Kept apart from
// lib/client/api.ts so these panels depend on nothing the live page's modules may rename.

import type { HttpErrorBody, PublicUser } from "../protocol";

/** A failed request: the HTTP status (0 when the network failed) and the server's error code. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** `/api/boards/{board}{suffix}`, the board id escaped. */
export function boardPath(board: string, suffix: string): string {
  return `/api/boards/${encodeURIComponent(board)}${suffix}`;
}

/** A query string from defined values only (`?a=1&b=x`, or "" when none). */
export function query(params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** The error a non-2xx response stands for: the body's code and message when it has them. */
export async function failureOf(res: Response): Promise<RequestError> {
  let body: Partial<HttpErrorBody> | null = null;
  try {
    body = (await res.json()) as Partial<HttpErrorBody>;
  } catch {
    // A proxy's HTML error page, say: the status line is all there is.
  }
  const e = body?.error;
  return new RequestError(
    res.status,
    typeof e?.code === "string" ? e.code : `http_${res.status}`,
    typeof e?.message === "string" ? e.message : `the server answered ${res.status} ${res.statusText}`.trim(),
  );
}

/** fetch on this origin with the session cookie; a network failure becomes a RequestError. */
export async function send(path: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(path, { credentials: "same-origin", cache: "no-store", ...init });
  } catch (e) {
    throw new RequestError(0, "network", `the server could not be reached (${e instanceof Error ? e.message : "network error"})`);
  }
}

/** GET (or, with `body`, POST) JSON; resolves with the parsed answer, rejects with a RequestError. */
export async function requestJson<T>(path: string, body?: unknown): Promise<T> {
  const res = await send(
    path,
    body === undefined
      ? { headers: { accept: "application/json" } }
      : { method: "POST", headers: { accept: "application/json", "content-type": "application/json" }, body: JSON.stringify(body) },
  );
  if (!res.ok) throw await failureOf(res);
  return (await res.json()) as T;
}

/** A message for the page from any error. */
export function errorText(e: unknown): string {
  if (e instanceof RequestError) return e.message;
  return e instanceof Error ? e.message : "something went wrong";
}

/** GET /api/session as the extra tools need it: who is signed in, and whether they moderate. */
export async function getSessionRole(): Promise<{ user: PublicUser | null; moderator: boolean }> {
  const body = await requestJson<{ user?: PublicUser | null; moderator?: unknown }>("/api/session?optional=1");
  return { user: body.user ?? null, moderator: body.moderator === true };
}
