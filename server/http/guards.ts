// Checks shared by route modules: the signed-in user, same-site requests, the database as 503,
// and the board a path names.

import { isBoardId, MAIN_BOARD, type PublicUser } from "../../lib/protocol";
import type { BoardRow } from "../canvas/store";
import { originAllowed } from "../origin";
import type { Session } from "../sessions";
import type { ApiDeps } from "./deps";
import { HttpError } from "./respond";
import type { Ctx } from "./router";

/** Run a database call; its failures become 503 `unavailable`. */
export async function withDb<T>(d: ApiDeps, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof HttpError) throw err;
    d.log.warn({ err: (err as Error).message }, "database call failed");
    throw new HttpError(503, "unavailable", "the database is unavailable; try again shortly");
  }
}

/** Refuse a state-changing request a browser sent from another site (login CSRF and the like). */
export function sameSite(d: ApiDeps, ctx: Ctx): void {
  if (!originAllowed(ctx.req, d.config) || ctx.req.headers["sec-fetch-site"] === "cross-site") {
    throw new HttpError(403, "forbidden_origin", "this request must come from the site itself");
  }
}

/** The signed-in session; 401 `no_session` without one. */
export async function requireSession(d: ApiDeps, ctx: Ctx): Promise<Session> {
  const s = await withDb(d, () => d.sessions.sessionOf(ctx.req));
  if (!s) throw new HttpError(401, "no_session", "no valid session: POST /api/session with a name first");
  return s;
}

export async function requireUser(d: ApiDeps, ctx: Ctx): Promise<PublicUser> {
  return (await requireSession(d, ctx)).user;
}

/** The board a path names (`:id`, or `main` on the revision-1 paths); 404 `no_board` when there is none. */
export async function requireBoard(d: ApiDeps, ctx: Ctx): Promise<BoardRow> {
  const id = ctx.params.id ?? MAIN_BOARD;
  const row = isBoardId(id) ? await withDb(d, () => d.boards.get(id)) : null;
  if (!row) throw new HttpError(404, "no_board", `there is no board '${id.slice(0, 40)}'`);
  return row;
}
