// History reads (SPEC §13): the board as it was after any seq, and pages of placements as a
// PIXELS body or JSON. Both read the database only, so every replica answers alike.

import { PLACEMENTS_PAGE_MAX_LIMIT } from "../../lib/limits";
import { PIXEL_RECORD_BYTES, PIXELS_FRAME } from "../../lib/protocol";
import { buildBoard } from "./snapshots";
import { PACKED_RECORD_BYTES, type Storage, type StoredPlacement, UnknownBoardError } from "./store";

/** A history request outside what the board holds (seq beyond its current one, bad limit…); the message says what is allowed. */
export class HistoryRangeError extends Error {}


export interface BoardAtSeq {
  width: number;
  height: number;
  /** The board after every placement with seq ≤ `seq` and none above it, at the board's current size. */
  pixels: Uint8Array;
  seq: number;
}

/**
 * The board after seq `seq`: the newest snapshot at or below it plus the placements up to it. The
 * image has the board's current size (a resized `main` shows its old pixels where they overlap).
 * Throws UnknownBoardError, or HistoryRangeError when `seq` is not an integer in 0…current seq.
 */
export async function boardAtSeq(storage: Storage, boardId: string, seq: number): Promise<BoardAtSeq> {
  const board = await storage.getBoard(boardId);
  if (!board) throw new UnknownBoardError(boardId);
  if (!Number.isSafeInteger(seq) || seq < 0 || seq > board.seq) {
    throw new HistoryRangeError(`seq must be an integer from 0 to ${board.seq} (the board's current seq), got ${seq}`);
  }
  const image = await buildBoard(storage, boardId, board.width, board.height, { through: seq });
  if (image.seq !== seq) throw new Error(`board ${boardId}: replay to ${seq} stopped at ${image.seq}`);
  return { width: board.width, height: board.height, pixels: image.pixels, seq };
}

function checkPage(after: number, limit: number): void {
  if (!Number.isSafeInteger(after) || after < 0) throw new HistoryRangeError(`after must be an integer ≥ 0, got ${after}`);
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > PLACEMENTS_PAGE_MAX_LIMIT) {
    throw new HistoryRangeError(`limit must be an integer from 1 to ${PLACEMENTS_PAGE_MAX_LIMIT}, got ${limit}`);
  }
}

/** One page of placements as JSON objects; `next` is the `after` of the following page, null when this page reached the board's current seq. */
export async function placementsPage(
  storage: Storage,
  boardId: string,
  after: number,
  limit: number,
): Promise<{ placements: StoredPlacement[]; next: number | null }> {
  checkPage(after, limit);
  const current = await storage.currentSeq(boardId);
  const placements = await storage.placementsAfter(boardId, after, limit);
  const last = placements.length > 0 ? placements[placements.length - 1].seq : after;
  return { placements, next: last < current ? last : null };
}

/** One page of placements as a PIXELS body (0x01 + 9-byte little-endian records, seq order), with `next` as in placementsPage. */
export async function placementsPixels(
  storage: Storage,
  boardId: string,
  after: number,
  limit: number,
): Promise<{ body: Uint8Array; count: number; next: number | null }> {
  checkPage(after, limit);
  const current = await storage.currentSeq(boardId);
  const page = await storage.placementsPacked(boardId, after, Number.MAX_SAFE_INTEGER, limit);
  const body = new Uint8Array(1 + page.count * PIXEL_RECORD_BYTES);
  body[0] = PIXELS_FRAME;
  const src = new DataView(page.records.buffer, page.records.byteOffset, page.records.byteLength);
  const dst = new DataView(body.buffer);
  for (let i = 0; i < page.count; i++) {
    const hi = src.getUint32(i * PACKED_RECORD_BYTES);
    const lo = src.getUint32(i * PACKED_RECORD_BYTES + 4);
    const o = 1 + i * PIXEL_RECORD_BYTES;
    dst.setUint32(o, hi, true);
    dst.setUint16(o + 4, lo >>> 20, true);
    dst.setUint16(o + 6, (lo >>> 8) & 0xfff, true);
    dst.setUint8(o + 8, lo & 0xff);
  }
  return { body, count: page.count, next: page.lastSeq < current ? page.lastSeq : null };
}
