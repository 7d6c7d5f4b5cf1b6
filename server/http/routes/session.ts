// Sessions (SPEC §3): create one with a name, read it back, log out.

import { cleanName } from "../../../lib/protocol";
import { PerMinuteLimit } from "../../realtime/rate-limit";
import type { ApiDeps } from "../deps";
import { sameSite, withDb } from "../guards";
import { HttpError, readJson, sendJson } from "../respond";
import type { ApiRouter } from "../router";

export function sessionRoutes(r: ApiRouter, d: ApiDeps): void {
  const perIp = new PerMinuteLimit(d.config.sessionsPerIpPerMin);

  r.on("POST", "/api/session", async (ctx) => {
    sameSite(d, ctx);
    const body = await readJson(ctx.req);
    const name = cleanName(body.name);
    if (name === null) {
      throw new HttpError(400, "invalid_name", "name must be 1-24 characters: letters, digits, space, '_' or '-'");
    }
    if (!perIp.hit(d.clientIp(ctx.req), Date.now())) {
      throw new HttpError(429, "rate_limited", "too many sessions created from this address; try again in a minute", { retryAfterMs: 60_000 }, { "Retry-After": "60" });
    }
    const user = await withDb(d, () => d.storage.createUser(name));
    d.sessions.remember(user);
    sendJson(ctx.res, 200, { user: { id: user.id, name: user.name } }, { "Set-Cookie": d.sessions.cookieHeader(user.id, ctx.https) });
  });

  r.on("GET", "/api/session", async (ctx) => {
    const s = await withDb(d, () => d.sessions.sessionOf(ctx.req));
    // `optional=1`: "no session" is an expected answer for a page on its first visit, not an error
    // (browsers log every 4xx of a fetch to the console).
    if (!s && ctx.url.searchParams.get("optional") === "1") return sendJson(ctx.res, 200, { user: null });
    if (!s) throw new HttpError(401, "no_session", "no valid session: POST /api/session with a name first");
    // Sliding expiry: a session in use is renewed before it runs out.
    const headers: Record<string, string> = d.sessions.needsRenewal(s.token) ? { "Set-Cookie": d.sessions.cookieHeader(s.user.id, ctx.https) } : {};
    sendJson(ctx.res, 200, { user: s.user, moderator: s.stored.moderator }, headers);
  });

  r.on("DELETE", "/api/session", (ctx) => {
    sameSite(d, ctx);
    const secure = ctx.https ? "; Secure" : "";
    sendJson(ctx.res, 200, { ok: true }, { "Set-Cookie": `tessera_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0${secure}` });
  });
}
