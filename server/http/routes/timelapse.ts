// GET /api/boards/{id}/timelapse.gif?from=&to=&frames= (SPEC §13): the board's history from seq
// `from` to seq `to` (default: all of it) as an animated GIF of at most TIMELAPSE_MAX_FRAMES
// frames, rendered in the render worker (server/canvas/timelapse.ts). The response says what it
// holds: X-Timelapse-From/To/Frames, and X-Timelapse-Scale when a large board was scaled down.

import { TIMELAPSE_DEFAULT_FRAMES, TIMELAPSE_MAX_FRAMES } from "../../../lib/limits";
import { planTimelapse, TimelapseBusyError } from "../../canvas/timelapse";
import { TOO_LARGE_PREFIX } from "../../canvas/timelapse-gif";
import type { ApiDeps } from "../deps";
import { requireBoard, withDb } from "../guards";
import { HttpError, intParam } from "../respond";
import type { ApiRouter } from "../router";

export function timelapseRoutes(r: ApiRouter, d: ApiDeps): void {
  r.on("GET", ["/api/boards/:id/timelapse.gif", "/api/timelapse.gif"], async (ctx) => {
    const row = await requireBoard(d, ctx);
    const current = await withDb(d, () => d.storage.currentSeq(row.id));
    const from = intParam(ctx.url, "from", 0, Number.MAX_SAFE_INTEGER, "invalid_range");
    const toGiven = ctx.url.searchParams.get("to");
    const to = intParam(ctx.url, "to", current, Number.MAX_SAFE_INTEGER, "invalid_range");
    if (to > current || from > to) {
      throw new HttpError(400, "invalid_range", `need 0 ≤ from ≤ to ≤ ${current} (the board's current seq); got from=${from}, to=${to}`);
    }
    const frames = intParam(ctx.url, "frames", TIMELAPSE_DEFAULT_FRAMES, TIMELAPSE_MAX_FRAMES, "invalid_frames");
    if (frames < 1) throw new HttpError(400, "invalid_frames", `frames must be an integer from 1 to ${TIMELAPSE_MAX_FRAMES}`);

    const plan = planTimelapse(row.id, row.width, row.height, from, to, frames);
    const n = plan.frameSeqs.length;
    const etag = `"${row.id}-${row.width}x${row.height}-tl-${from}-${to}-${n}"`;
    const headers: Record<string, string> = {
      "Content-Type": "image/gif",
      "Content-Disposition": `inline; filename="tessera-${row.id}-${from}-${to}.gif"`,
      // A range named in full is history and never changes; "up to now" is a new GIF tomorrow.
      "Cache-Control": toGiven ? "public, max-age=31536000, immutable" : "no-cache",
      ETag: etag,
      "X-Timelapse-From": String(from),
      "X-Timelapse-To": String(to),
      "X-Timelapse-Frames": String(n),
      "X-Timelapse-Scale": String(plan.scale),
      "X-Timelapse-Width": String(plan.out.width),
      "X-Timelapse-Height": String(plan.out.height),
    };
    if (ctx.req.headers["if-none-match"] === etag) {
      ctx.res.writeHead(304, headers);
      ctx.res.end();
      return;
    }
    const gif = await withDb(d, () => d.timelapses.gif(plan).catch((err: unknown) => Promise.reject(httpErrorOf(err))));
    headers["Content-Length"] = String(gif.length);
    ctx.res.writeHead(200, headers);
    ctx.res.end(ctx.req.method === "HEAD" ? undefined : gif);
  });
}

function httpErrorOf(err: unknown): unknown {
  if (err instanceof TimelapseBusyError) {
    return new HttpError(503, "busy", err.message, { retryAfterMs: 2_000 }, { "Retry-After": "2" });
  }
  if (err instanceof Error && err.message.startsWith(TOO_LARGE_PREFIX)) return new HttpError(413, "too_large", err.message);
  return err;
}
