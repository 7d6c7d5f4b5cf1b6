// Who is on a board (SPEC §3, §10): stats with the first users, and paging through everyone.

import { USERS_PAGE_MAX_LIMIT } from "../../../lib/limits";
import { PresenceCursorError } from "../../realtime/presence";
import type { ApiDeps } from "../deps";
import { requireBoard } from "../guards";
import { HttpError, intParam, sendJson } from "../respond";
import type { ApiRouter } from "../router";

export function presenceRoutes(r: ApiRouter, d: ApiDeps): void {
  r.on("GET", ["/api/boards/:id/stats", "/api/stats"], async (ctx) => {
    const row = await requireBoard(d, ctx);
    const w = await d.presence.read(row.id);
    const pubsub = d.pubsub();
    sendJson(ctx.res, 200, {
      activeUsers: w.total,
      connections: w.connections,
      users: w.users,
      total: w.total,
      scope: w.scope,
      instances: d.presence.instances(),
      pubsub,
    });
  });

  r.on("GET", ["/api/boards/:id/users", "/api/users"], async (ctx) => {
    const row = await requireBoard(d, ctx);
    const limit = Math.max(1, intParam(ctx.url, "limit", 100, USERS_PAGE_MAX_LIMIT));
    const after = ctx.url.searchParams.get("after");
    try {
      sendJson(ctx.res, 200, await d.presence.page(row.id, after || null, limit));
    } catch (err) {
      if (err instanceof PresenceCursorError) throw new HttpError(400, "invalid_cursor", err.message);
      throw err;
    }
  });
}
