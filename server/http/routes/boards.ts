// Boards (SPEC §9): list public boards (most active first), read one, create one.

import * as v from "valibot";
import { BOARD_LIST_MAX_LIMIT, BOARD_LIST_MAX_OFFSET, BOARD_TITLE_MAX_CHARS, DEFAULT_COOLDOWN_MS, MAX_BOARD_COOLDOWN_MS, MAX_BOARD_SIDE } from "../../../lib/limits";
import { isBoardId } from "../../../lib/protocol";
import { boardInfo } from "../../canvas/boards";
import type { BoardRow } from "../../canvas/store";
import type { ApiDeps } from "../deps";
import { requireBoard, requireUser, sameSite, withDb } from "../guards";
import { HttpError, intParam, parseBody, readJson, sendJson } from "../respond";
import type { ApiRouter } from "../router";


const side = v.pipe(v.number("must be a number"), v.integer("must be an integer"), v.minValue(1, "must be at least 1"), v.maxValue(MAX_BOARD_SIDE, `must be at most ${MAX_BOARD_SIDE}`));

const NewBoardBody = v.object({
  title: v.pipe(
    v.string("must be a string"),
    v.transform((s) => s.normalize("NFC").trim()),
    v.check((s) => [...s].length >= 1 && [...s].length <= BOARD_TITLE_MAX_CHARS, `must be 1-${BOARD_TITLE_MAX_CHARS} characters`),
    // No control characters, no invisible formatting: titles are shown to everyone.
    v.check((s) => !/[\p{Cc}\p{Cf}\p{Co}\p{Cs}]/u.test(s), "must not contain control or invisible characters"),
  ),
  width: side,
  height: side,
  cooldownMs: v.optional(
    v.pipe(v.number("must be a number"), v.integer("must be an integer"), v.minValue(0, "must be at least 0"), v.maxValue(MAX_BOARD_COOLDOWN_MS, `must be at most ${MAX_BOARD_COOLDOWN_MS}`)),
    DEFAULT_COOLDOWN_MS,
  ),
  visibility: v.optional(v.picklist(["public", "unlisted"], "must be 'public' or 'unlisted'"), "public"),
  id: v.optional(v.pipe(v.string("must be a string"), v.check((s: string) => isBoardId(s), "must be 1-32 characters of a-z, 0-9 and '-', not starting with '-'"))),
});

/** An id made from a title: lower-case ASCII letters and digits joined by '-', at most 32 characters. */
function slugOf(title: string): string {
  const slug = title
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 32)
    .replace(/-+$/, "");
  return slug || "board";
}

export function boardRoutes(r: ApiRouter, d: ApiDeps): void {
  /** A row with its live counts: the seq of the held room if this replica holds it. */
  const info = async (row: BoardRow) => {
    const w = await d.presence.read(row.id);
    return boardInfo(row, d.rooms.get(row.id)?.seq ?? row.seq, w.total);
  };

  r.on("GET", "/api/boards", async (ctx) => {
    const limit = Math.max(1, intParam(ctx.url, "limit", 20, BOARD_LIST_MAX_LIMIT));
    const afterRaw = ctx.url.searchParams.get("after");
    let offset = 0;
    if (afterRaw) {
      if (!/^[0-9a-z]{1,6}$/.test(afterRaw)) throw new HttpError(400, "invalid_cursor", "after must be the `next` of a previous page");
      offset = parseInt(afterRaw, 36);
      if (offset > BOARD_LIST_MAX_OFFSET) throw new HttpError(400, "invalid_cursor", "that page is too deep; the list shows the most active boards first");
    }
    // Most active first: boards with people on them (from presence), then the others, newest first.
    const active = await d.presence.activeBoards();
    const activeRows = await withDb(d, () => d.storage.getBoards(active.map((a) => a.board)));
    const byId = new Map(activeRows.filter((b) => b.visibility === "public").map((b) => [b.id, b]));
    const first = active.filter((a) => byId.has(a.board)).map((a) => ({ row: byId.get(a.board)!, activeUsers: a.activeUsers }));
    const page: Array<{ row: BoardRow; activeUsers: number | null }> = first.slice(offset, offset + limit);
    if (page.length < limit) {
      const skip = Math.max(0, offset - first.length);
      const want = limit - page.length;
      const rest = await withDb(d, () => d.storage.listPublicBoards(0, skip + want + byId.size));
      page.push(...rest.filter((b) => !byId.has(b.id)).slice(skip, skip + want).map((row) => ({ row, activeUsers: null })));
    }
    const boards = await Promise.all(page.map(async (p) => (p.activeUsers === null ? info(p.row) : boardInfo(p.row, d.rooms.get(p.row.id)?.seq ?? p.row.seq, p.activeUsers))));
    const next = page.length === limit && offset + limit <= BOARD_LIST_MAX_OFFSET ? (offset + limit).toString(36) : null;
    sendJson(ctx.res, 200, { boards, next });
  });

  r.on("GET", "/api/boards/:id", async (ctx) => {
    const row = await requireBoard(d, ctx);
    sendJson(ctx.res, 200, { board: await info(row) });
  });

  r.on("POST", "/api/boards", async (ctx) => {
    sameSite(d, ctx);
    const raw = await readJson(ctx.req);
    const user = await requireUser(d, ctx);
    const body = parseBody(NewBoardBody, raw, "invalid_board");
    const base = { title: body.title, width: body.width, height: body.height, cooldownMs: body.cooldownMs, visibility: body.visibility, createdBy: user.id };
    // A given id must be free (409); a made-up one takes the first free of slug, slug-2, slug-3…
    const candidates = body.id ? [body.id] : [slugOf(body.title), ...Array.from({ length: 8 }, (_, i) => `${slugOf(body.title).slice(0, 29)}-${i + 2}`)];
    for (const id of candidates) {
      const result = await withDb(d, () => d.storage.createBoard({ ...base, id }, d.config.boardsPerUserPerDay));
      if (result.ok) {
        d.boards.put(result.board.id, result.board);
        sendJson(ctx.res, 201, { board: boardInfo(result.board, 0, 0) });
        return;
      }
      if (result.code === "rate_limited") {
        throw new HttpError(429, "rate_limited", `at most ${d.config.boardsPerUserPerDay} boards per user per day`, { retryAfterMs: 3_600_000 }, { "Retry-After": "3600" });
      }
    }
    throw new HttpError(409, "board_exists", body.id ? `a board '${body.id}' already exists` : "a board with that title already exists: give an id");
  });
}
