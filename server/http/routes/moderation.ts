// Moderation per board (SPEC §12): ban, unban, rollback, wipe, freeze and the audit log, for
// moderators (their session cookie) and the admin token. The work itself is in
// server/moderation/moderation.ts; here are who may ask, and how the bodies must look.

import * as v from "valibot";
import { BAN_MAX_DURATION_MS, BAN_REASON_MAX_CHARS, MAX_WIPE_PIXELS, MOD_LOG_MAX_LIMIT } from "../../../lib/limits";
import { PALETTE_SIZE } from "../../../lib/palette";
import type { BoardRow, ModActor } from "../../canvas/store";
import type { ApiDeps } from "../deps";
import { requireBoard, requireSession, sameSite, withDb } from "../guards";
import { HttpError, intParam, parseBody, readJson, sendJson } from "../respond";
import type { ApiRouter, Ctx } from "../router";
import { bearerOf, moderationHttpError, tokenMatches, USER_ID } from "./admin";

const int = (min: number, max: number) =>
  v.pipe(v.number("must be a number"), v.integer("must be an integer"), v.minValue(min, `must be at least ${min}`), v.maxValue(max, `must be at most ${max}`));

const BanBody = v.object({
  userId: USER_ID,
  reason: v.pipe(
    v.string("must be a string"),
    v.transform((s) => s.normalize("NFC").trim()),
    v.check((s) => [...s].length >= 1 && [...s].length <= BAN_REASON_MAX_CHARS, `must be 1-${BAN_REASON_MAX_CHARS} characters`),
    // Shown to other moderators in the log: no control or invisible characters.
    v.check((s) => !/[\p{Cc}\p{Cf}\p{Co}\p{Cs}]/u.test(s), "must not contain control or invisible characters"),
  ),
  durationMs: v.optional(v.nullable(int(1, BAN_MAX_DURATION_MS)), null),
});

const UnbanBody = v.object({ userId: USER_ID });

const RollbackBody = v.object({
  userId: USER_ID,
  afterSeq: v.optional(int(0, Number.MAX_SAFE_INTEGER), 0),
});

const coord = int(0, 65_535);
const WipeBody = v.object({ x0: coord, y0: coord, x1: coord, y1: coord, color: int(0, PALETTE_SIZE - 1) });

const FreezeBody = v.object({ frozen: v.boolean("must be true or false") });

export function moderationRoutes(r: ApiRouter, d: ApiDeps): void {
  /**
   * Who is asking: the admin token (any Authorization header is taken as an attempt at it), or a
   * moderator's session. State-changing cookie requests must come from the site itself.
   */
  const actorOf = async (ctx: Ctx, changes: boolean): Promise<ModActor> => {
    const token = bearerOf(ctx.req);
    if (token !== null) {
      if (d.config.adminToken && tokenMatches(token, d.config.adminToken)) return { admin: true };
      throw new HttpError(403, "forbidden", "that is not the admin token");
    }
    if (changes) sameSite(d, ctx);
    const s = await requireSession(d, ctx);
    if (!s.stored.moderator) throw new HttpError(403, "forbidden", "only moderators may do this");
    return { id: s.user.id, name: s.user.name };
  };

  /** A moderation POST: who, which board, which body (read before anything is refused, so the connection stays usable). */
  const post = <S extends v.GenericSchema>(suffix: string, schema: S, code: string, act: (ctx: Ctx, args: { actor: ModActor; board: BoardRow; body: v.InferOutput<S> }) => Promise<unknown>) => {
    r.on("POST", `/api/boards/:id/mod/${suffix}`, async (ctx) => {
      const raw = await readJson(ctx.req);
      const actor = await actorOf(ctx, true);
      const board = await requireBoard(d, ctx);
      const body = parseBody(schema, raw, code);
      const result = await withDb(d, () => act(ctx, { actor, board, body }).catch((err: unknown) => Promise.reject(moderationHttpError(err))));
      sendJson(ctx.res, 200, result);
    });
  };

  post("ban", BanBody, "invalid_ban", (_ctx, { actor, board, body }) => d.moderation.ban(board, actor, body.userId, body.reason, body.durationMs));
  post("unban", UnbanBody, "invalid_user", (_ctx, { actor, board, body }) => d.moderation.unban(board, actor, body.userId));
  post("rollback", RollbackBody, "invalid_rollback", (_ctx, { actor, board, body }) => d.moderation.rollback(board, actor, body.userId, body.afterSeq));
  post("wipe", WipeBody, "invalid_rect", (_ctx, { actor, board, body }) =>
    d.moderation.wipe(board, actor, { x0: body.x0, y0: body.y0, x1: body.x1, y1: body.y1 }, body.color, MAX_WIPE_PIXELS),
  );
  post("freeze", FreezeBody, "invalid_freeze", (_ctx, { actor, board, body }) => d.moderation.freeze(board, actor, body.frozen));

  r.on("GET", "/api/boards/:id/mod/log", async (ctx) => {
    await actorOf(ctx, false);
    const board = await requireBoard(d, ctx);
    const limit = Math.max(1, intParam(ctx.url, "limit", 50, MOD_LOG_MAX_LIMIT));
    const afterRaw = ctx.url.searchParams.get("after");
    const after = afterRaw ? intParam(ctx.url, "after", 0, Number.MAX_SAFE_INTEGER, "invalid_cursor") : null;
    const page = await withDb(d, () => d.moderation.log(board.id, after, limit));
    sendJson(ctx.res, 200, {
      entries: page.entries.map((e) => ({ id: e.id, at: new Date(e.at).toISOString(), actor: e.actor, action: e.action, params: e.params, result: e.result })),
      next: page.next === null ? null : String(page.next),
    });
  });
}
