// HTTP for the board's extra panels (moderation, history, timelapse, stats): query strings and
// JSON requests whose failures carry the server's error code and message (as ApiError, like the
// live page's requests in lib/client/api.ts).

import type { PublicUser } from "../protocol";
import { ApiError, failureOf } from "./api";

/** A query string from defined values only (`?a=1&b=x`, or "" when none). */
export function query(params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** fetch on this origin with the session cookie; a network failure becomes a ApiError. */
export async function send(path: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(path, { credentials: "same-origin", cache: "no-store", ...init });
  } catch (e) {
    throw new ApiError(0, "network", `the server could not be reached (${e instanceof Error ? e.message : "network error"})`);
  }
}

/** GET (or, with `body`, POST) JSON; resolves with the parsed answer, rejects with a ApiError. */
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
  if (e instanceof ApiError) return e.message;
  return e instanceof Error ? e.message : "something went wrong";
}

/** GET /api/session as the extra tools need it: who is signed in, and whether they moderate. */
export async function getSessionRole(): Promise<{ user: PublicUser | null; moderator: boolean }> {
  const body = await requestJson<{ user?: PublicUser | null; moderator?: unknown }>("/api/session?optional=1");
  return { user: body.user ?? null, moderator: body.moderator === true };
}
