// The admin API (SPEC §12): with `Authorization: Bearer $ADMIN_TOKEN`, grant and take back
// moderation. Without ADMIN_TOKEN the routes do not exist (404). The token travels in a header a
// browser never adds by itself, so these routes need no same-site check.

import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import * as v from "valibot";
import { ModerationError } from "../../moderation/moderation";
import type { ApiDeps } from "../deps";
import { withDb } from "../guards";
import { HttpError, parseBody, readJson, sendJson } from "../respond";
import type { ApiRouter, Ctx } from "../router";

export const USER_ID = v.pipe(v.string("must be a string"), v.regex(/^[A-Za-z0-9_-]{1,64}$/, "must be a user id"));

const GrantBody = v.object({ userId: USER_ID });

/** The bearer token of a request, or null when it sends none. */
export function bearerOf(req: IncomingMessage): string | null {
  const h = req.headers.authorization;
  if (typeof h !== "string") return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1] : "";
}

/** Compare in time independent of where the strings differ (hashing first also hides the length). */
export function tokenMatches(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** 401 without a bearer token, 403 with a wrong one. */
function requireAdmin(d: ApiDeps, ctx: Ctx): void {
  const token = bearerOf(ctx.req);
  if (token === null) {
    throw new HttpError(401, "unauthorized", "send Authorization: Bearer <ADMIN_TOKEN>", {}, { "WWW-Authenticate": 'Bearer realm="tessera-admin"' });
  }
  if (!tokenMatches(token, d.config.adminToken ?? "")) throw new HttpError(403, "forbidden", "that is not the admin token");
}

/** ModerationError → its HTTP status; anything else is the database's (503). */
export function moderationHttpError(err: unknown): unknown {
  if (!(err instanceof ModerationError)) return err;
  const status = err.code === "no_user" ? 404 : 400;
  return new HttpError(status, err.code, err.message);
}

export function adminRoutes(r: ApiRouter, d: ApiDeps): void {
  if (!d.config.adminToken) return;

  const setModerator = async (ctx: Ctx, userId: string, moderator: boolean) => {
    const user = await withDb(d, () => d.moderation.setModerator(userId, moderator).catch((err: unknown) => Promise.reject(moderationHttpError(err))));
    sendJson(ctx.res, 200, { user: { id: user.id, name: user.name }, moderator: user.moderator });
  };

  r.on("POST", "/api/admin/moderators", async (ctx) => {
    const raw = await readJson(ctx.req);
    requireAdmin(d, ctx);
    const body = parseBody(GrantBody, raw, "invalid_user");
    await setModerator(ctx, body.userId, true);
  });

  r.on("DELETE", "/api/admin/moderators/:userId", async (ctx) => {
    requireAdmin(d, ctx);
    const userId = parseBody(USER_ID, ctx.params.userId, "invalid_user");
    await setModerator(ctx, userId, false);
  });
}
