// History on the page (SPEC §13), the parts the board page needs up front: a pixel's last
// placements, and the address of a moment (?seq= or ?t=) that opens the timelapse there. The
// timelapse's engine is lib/client/timelapse.ts, loaded only when the timelapse opens.

import { PIXEL_HISTORY_MAX_LIMIT } from "../limits";
import type { PublicUser } from "../protocol";
import { boardPath } from "./api";
import { query, requestJson } from "./extras-http";

// ------------------------------------------------------------------ one pixel's history

/** Placements listed in the pixel details (newest first). */
const PIXEL_HISTORY_SHOWN = Math.min(8, PIXEL_HISTORY_MAX_LIMIT);

export interface PixelPlacement {
  seq: number;
  color: number;
  user: PublicUser;
  /** ISO-8601. */
  placedAt: string;
}

/** The last `limit` placements at (x, y), newest first; empty for an untouched pixel. */
export async function getPixelHistory(board: string, x: number, y: number, limit = PIXEL_HISTORY_SHOWN): Promise<PixelPlacement[]> {
  const body = await requestJson<{ placements?: unknown }>(boardPath(board, `/pixel/history${query({ x, y, limit })}`));
  if (!Array.isArray(body.placements)) return [];
  return body.placements.filter(
    (p): p is PixelPlacement =>
      typeof p === "object" && p !== null && typeof p.seq === "number" && typeof p.color === "number" && typeof p.placedAt === "string" && typeof p.user?.id === "string",
  );
}

// ------------------------------------------------------------------ the address of a moment

export type Moment = { kind: "seq"; seq: number } | { kind: "time"; t: number };

/** `?seq=N` or `?t=` (ISO-8601 or epoch ms) of a page address: the moment to open the timelapse at. */
export function parseMoment(search: string): Moment | null {
  const q = new URLSearchParams(search);
  const seq = q.get("seq");
  if (seq !== null && /^\d{1,15}$/.test(seq)) return { kind: "seq", seq: Number(seq) };
  const t = q.get("t");
  if (t !== null && t.trim() !== "") {
    const ms = /^\d{1,15}$/.test(t.trim()) ? Number(t.trim()) : Date.parse(t);
    if (Number.isFinite(ms)) return { kind: "time", t: ms };
  }
  return null;
}

/** The page address's query with the moment set to `seq` (or removed: null); other parameters kept. */
export function withMoment(search: string, seq: number | null): string {
  const q = new URLSearchParams(search);
  q.delete("t");
  if (seq === null) q.delete("seq");
  else q.set("seq", String(seq));
  const s = q.toString();
  return s ? `?${s}` : "";
}
