// A board's activity for its stats page (issue 14): top placers all time and in the last 24 h,
// placements per minute over the last hours, and — with a session — your own count. The rankings
// sort a board's rows, so one answer per board is shared for ACTIVITY_CACHE_MS.

import { ACTIVITY_CACHE_MS, ACTIVITY_HOURS, ACTIVITY_TOP } from "../../../lib/limits";
import type { PublicUser } from "../../../lib/protocol";
import type { ApiDeps } from "../deps";
import { requireBoard, withDb } from "../guards";
import { sendJson } from "../respond";
import type { ApiRouter } from "../router";

interface Activity {
  board: string;
  topAllTime: Array<{ user: PublicUser; placements: number }>;
  top24h: Array<{ user: PublicUser; placements: number }>;
  perMinute: Array<{ minute: string; placements: number }>;
  from: string;
  to: string;
}

export function activityRoutes(r: ApiRouter, d: ApiDeps): void {
  const cache = new Map<string, { at: number; value: Promise<Activity> }>();

  const build = async (board: string): Promise<Activity> => {
    const to = Date.now();
    const from = to - ACTIVITY_HOURS * 3_600_000;
    const [topAllTime, top24h, perMinute] = await Promise.all([
      d.storage.topPlacers(board, null, ACTIVITY_TOP),
      d.storage.topPlacers(board, to - 24 * 3_600_000, ACTIVITY_TOP),
      d.storage.placementsPerMinute(board, from, to),
    ]);
    return {
      board,
      topAllTime,
      top24h,
      perMinute: perMinute.map((m) => ({ minute: new Date(m.minute).toISOString(), placements: m.placements })),
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
    };
  };

  r.on("GET", ["/api/boards/:id/activity", "/api/activity"], async (ctx) => {
    const row = await requireBoard(d, ctx);
    const now = performance.now();
    let hit = cache.get(row.id);
    if (!hit || now - hit.at > ACTIVITY_CACHE_MS) {
      hit = { at: now, value: build(row.id) };
      cache.set(row.id, hit);
      // A failed read is not cached.
      hit.value.catch(() => cache.delete(row.id));
      if (cache.size > 1_000) cache.delete(cache.keys().next().value as string);
    }
    const activity = await withDb(d, () => hit.value);
    const session = await withDb(d, () => d.sessions.sessionOf(ctx.req));
    const you = session ? { user: session.user, placements: await withDb(d, () => d.storage.userPlacements(row.id, session.user.id)) } : null;
    sendJson(ctx.res, 200, { ...activity, you });
  });
}
