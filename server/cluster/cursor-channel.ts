// Cursor moves across replicas (SPEC §11): one signed batch per board per tick on `cursors:{board}`.
// Volatile — a lost batch is a cursor a tenth of a second late. Everything received is verified
// and bounded before it reaches the board's cursors; a bad batch is dropped and counted.

import { NAME_MAX_CHARS, REDIS_CURSOR_MOVES_MAX } from "../../lib/limits";
import type { BoardRow } from "../canvas/store";
import type { Logger } from "../logger";
import type { CursorMove, CursorRelay } from "../realtime/cursors";
import type { RedisLink } from "./redis-link";
import { cursorChannel } from "./redis-names";
import type { Signer } from "./signing";

const CURSOR_KIND = "cursors";


/** Validate a verified batch for a board; null when anything in it is off. */
export function readCursorMessage(msg: Record<string, unknown>, board: BoardRow): { origin: string; moves: CursorMove[] } | null {
  if (msg.type !== "cursors" || msg.board !== board.id || typeof msg.origin !== "string" || !Array.isArray(msg.moves)) return null;
  if (msg.moves.length > REDIS_CURSOR_MOVES_MAX) return null;
  const moves: CursorMove[] = [];
  for (const item of msg.moves as unknown[]) {
    if (typeof item !== "object" || item === null) return null;
    const m = item as Record<string, unknown>;
    if (typeof m.id !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(m.id)) return null;
    if (m.gone === true) {
      moves.push({ id: m.id, gone: true });
      continue;
    }
    const { x, y, name } = m;
    if (typeof name !== "string" || name.length === 0 || [...name].length > NAME_MAX_CHARS) return null;
    if (!Number.isInteger(x) || !Number.isInteger(y) || (x as number) < 0 || (y as number) < 0 || (x as number) >= board.width || (y as number) >= board.height) return null;
    moves.push({ id: m.id, name, x: x as number, y: y as number });
  }
  return { origin: msg.origin, moves };
}

export class CursorChannel implements CursorRelay {
  constructor(
    private readonly link: RedisLink,
    private readonly signer: Signer,
    private readonly instanceId: string,
    private readonly log: Logger,
  ) {}

  publish(board: string, moves: CursorMove[]): void {
    for (let i = 0; i < moves.length; i += REDIS_CURSOR_MOVES_MAX) {
      const text = this.signer.sign({ type: "cursors", board, origin: this.instanceId, moves: moves.slice(i, i + REDIS_CURSOR_MOVES_MAX) });
      void this.link.publish(cursorChannel(board), CURSOR_KIND, text);
    }
  }

  /** Follow a board's cursors from other replicas; the returned function stops. */
  follow(board: BoardRow, onMoves: (moves: CursorMove[]) => void): Promise<() => Promise<void>> {
    const counters = this.link.channel(CURSOR_KIND);
    return this.link.subscribe(cursorChannel(board.id), CURSOR_KIND, (text) => {
      const verified = this.signer.verify(text);
      const msg = verified && readCursorMessage(verified, board);
      if (!msg) {
        counters.rejected++;
        this.log.debug({ board: board.id }, "dropped a bad cursors message");
        return;
      }
      if (msg.origin !== this.instanceId) onMoves(msg.moves);
    });
  }
}
