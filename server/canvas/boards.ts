// The boards this deployment has (SPEC §9): their rows cached per replica. Size, palette and
// cooldown never change once a board exists (main's follow the configuration at start), so the
// cache is exact for them; the state (open/frozen) is re-read after BOARD_META_TTL_MS and at once
// when a moderation event says it changed. The commit re-checks the state under the board's lock,
// so a stale cache never lets a placement through a freeze.

import { BOARD_CACHE_MAX_BOARDS, BOARD_META_TTL_MS, BOARD_MISS_TTL_MS } from "../../lib/limits";
import { PALETTE } from "../../lib/palette";
import type { BoardInfo } from "../../lib/protocol";
import type { BoardRow, Storage } from "./store";

interface Entry {
  row: BoardRow | null;
  at: number;
}


export class BoardDirectory {
  private readonly cache = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<BoardRow | null>>();

  constructor(private readonly storage: Storage) {}

  /** The board's row, or null when there is no such board. Rejects when the database is down. */
  get(id: string): Promise<BoardRow | null> {
    const hit = this.cache.get(id);
    const now = performance.now();
    if (hit && now - hit.at < (hit.row ? BOARD_META_TTL_MS : BOARD_MISS_TTL_MS)) return Promise.resolve(hit.row);
    const pending = this.loading.get(id);
    if (pending) return pending;
    const load = this.storage
      .getBoard(id)
      .then((row) => {
        this.put(id, row);
        return row;
      })
      .finally(() => this.loading.delete(id));
    this.loading.set(id, load);
    return load;
  }

  /** The cached row, if any (no database read). */
  peek(id: string): BoardRow | null {
    return this.cache.get(id)?.row ?? null;
  }

  /** Remember a row just written (created, frozen) or read elsewhere. */
  put(id: string, row: BoardRow | null): void {
    this.cache.delete(id);
    this.cache.set(id, { row, at: performance.now() });
    if (this.cache.size > BOARD_CACHE_MAX_BOARDS) this.cache.delete(this.cache.keys().next().value as string);
  }

  /** Forget a board's row (another replica changed it). */
  invalidate(id: string): void {
    this.cache.delete(id);
  }
}

/** The board object of the API and `welcome` (SPEC §9), from its row, its live seq and its active users. */
export function boardInfo(row: BoardRow, seq: number, activeUsers: number): BoardInfo {
  return {
    id: row.id,
    title: row.title,
    width: row.width,
    height: row.height,
    palette: [...PALETTE],
    cooldownMs: row.cooldownMs,
    visibility: row.visibility,
    state: row.state,
    createdAt: new Date(row.createdAt).toISOString(),
    createdBy: row.createdBy,
    seq,
    activeUsers,
  };
}
