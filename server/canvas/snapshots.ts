// Board images from the database: the newest snapshot plus the placements after it (SPEC §13,
// docs/ARCHITECTURE.md "Decisions"). Snapshots keep start-up and history reads independent of how
// long a board has lived.
//
//   loadBoard(storage, id, w, h)   the board now, for a room that starts following it
//   buildBoard(storage, id, w, h, { through })   the board after seq `through` (history)
//   SnapshotWriter                 writes a snapshot at every SNAPSHOT_EVERY_PLACEMENTS-th seq
//
// Snapshots are always built from the database (a snapshot plus placements), never from a
// replica's live board, so a replica's bug or gap can never be frozen into one. A snapshot is one
// row inserted in its own transaction (`on conflict do nothing`): two replicas writing the same
// one are harmless and a crash mid-write leaves nothing behind.

import {
  EMBEDDED_REPLAY_PAGE_PLACEMENTS,
  REPLAY_PAGE_PLACEMENTS,
  SNAPSHOT_EVERY_PLACEMENTS,
  SNAPSHOT_RETRY_MS,
} from "../../lib/limits";
import type { PixelRecord } from "../../lib/protocol";
import { PACKED_RECORD_BYTES, type PackedPlacements, type Snapshot, type Storage } from "./store";

/** Every seq: the `through` of a replay that reads to the end of what is committed. */
const ALL = Number.MAX_SAFE_INTEGER;

export interface BoardImage {
  /** width × height bytes, row-major, palette indexes. */
  pixels: Uint8Array;
  /** Every placement with seq ≤ this is in `pixels`, and none above it. */
  seq: number;
}

/** Calls `fn` for each packed record in order (see PackedPlacements for the layout). */
export function forEachPacked(packed: PackedPlacements, fn: (seq: number, x: number, y: number, color: number) => void): void {
  const view = new DataView(packed.records.buffer, packed.records.byteOffset, packed.records.byteLength);
  for (let i = 0; i < packed.count; i++) {
    const hi = view.getUint32(i * PACKED_RECORD_BYTES);
    const lo = view.getUint32(i * PACKED_RECORD_BYTES + 4);
    fn(hi, lo >>> 20, (lo >>> 8) & 0xfff, lo & 0xff);
  }
}

/** Paints packed records onto a board (last writer wins: they come in seq order); records outside it are skipped. */
function applyPacked(pixels: Uint8Array, width: number, height: number, packed: PackedPlacements): void {
  const view = new DataView(packed.records.buffer, packed.records.byteOffset, packed.records.byteLength);
  for (let i = 0; i < packed.count; i++) {
    const lo = view.getUint32(i * PACKED_RECORD_BYTES + 4);
    const x = lo >>> 20;
    const y = (lo >>> 8) & 0xfff;
    if (x < width && y < height) pixels[y * width + x] = lo & 0xff;
  }
}

/** Copies the area a snapshot and a width × height board have in common (the board may have been resized since). */
function copyOverlap(pixels: Uint8Array, width: number, height: number, snap: Snapshot): void {
  if (snap.width === width && snap.height === height) {
    pixels.set(snap.pixels);
    return;
  }
  const w = Math.min(width, snap.width);
  const h = Math.min(height, snap.height);
  for (let y = 0; y < h; y++) pixels.set(snap.pixels.subarray(y * snap.width, y * snap.width + w), y * width);
}

export interface BuildOptions {
  /** Build the board after this seq (default: everything committed when the replay reaches the end). */
  through?: number;
  /** Start from this snapshot instead of looking one up (it must hold no placement above `through`). */
  from?: Snapshot | null;
  /** Sees each replayed placement after the snapshot, in seq order (a room fills its replay ring). */
  onTail?: (record: PixelRecord) => void;
  /** Placements per read (default REPLAY_PAGE_PLACEMENTS, EMBEDDED_REPLAY_PAGE_PLACEMENTS on PGlite). */
  pagePlacements?: number;
}

/**
 * The board `boardId` as a width × height image: the newest snapshot at or below `through`, then
 * the placements after it, read in pages. When `through` is not given the replay reads until a
 * page comes back short, and `seq` is the last placement it saw (every seq below it is visible
 * once it is: a board's commits are serialised).
 */
export async function buildBoard(
  storage: Storage,
  boardId: string,
  width: number,
  height: number,
  opts: BuildOptions = {},
): Promise<BoardImage> {
  const through = opts.through ?? ALL;
  // PGlite runs on this thread: smaller pages keep each stall of the event loop short.
  const page = opts.pagePlacements ?? (storage.kind === "pglite" ? EMBEDDED_REPLAY_PAGE_PLACEMENTS : REPLAY_PAGE_PLACEMENTS);
  const snap = opts.from !== undefined ? opts.from : await storage.latestSnapshot(boardId, opts.through);
  const pixels = new Uint8Array(width * height);
  let seq = 0;
  if (snap) {
    if (snap.seq > through) throw new Error(`snapshot ${boardId}@${snap.seq} is past seq ${through}`);
    copyOverlap(pixels, width, height, snap);
    seq = snap.seq;
    // A snapshot smaller than the board (the board grew since) lacks what lies outside it:
    // replay only that part of the history below the snapshot.
    if (snap.width < width || snap.height < height) {
      await replay(storage, boardId, 0, snap.seq, pixels, width, height, page, undefined, { width: snap.width, height: snap.height });
    }
  }
  seq = await replay(storage, boardId, seq, through, pixels, width, height, page, opts.onTail);
  return { pixels, seq };
}

/** Applies the placements after `after` up to `through` (or to the end); returns the last seq applied (or `after`). */
async function replay(
  storage: Storage,
  boardId: string,
  after: number,
  through: number,
  pixels: Uint8Array,
  width: number,
  height: number,
  pageSize: number,
  onTail?: (record: PixelRecord) => void,
  outside?: { width: number; height: number },
): Promise<number> {
  let seq = after;
  while (seq < through) {
    const page = await storage.placementsPacked(boardId, seq, through, pageSize, outside);
    applyPacked(pixels, width, height, page);
    if (onTail) forEachPacked(page, (s, x, y, color) => onTail({ seq: s, x, y, color }));
    seq = page.lastSeq;
    if (page.count < pageSize) break;
  }
  return seq;
}

/** The board as committed now: newest snapshot plus tail (a room starting to follow a board). */
export function loadBoard(
  storage: Storage,
  boardId: string,
  width: number,
  height: number,
  onTail?: (record: PixelRecord) => void,
): Promise<BoardImage> {
  return buildBoard(storage, boardId, width, height, { onTail });
}

export interface SnapshotWriterOptions {
  /** Snapshot every this many seqs (default SNAPSHOT_EVERY_PLACEMENTS). */
  every?: number;
  /** A write failed (it is tried again after SNAPSHOT_RETRY_MS, when the board's seq is next noted). */
  onError?: (boardId: string, err: Error) => void;
  /** A snapshot was stored (`stored` false: another replica had stored that one already). */
  onSaved?: (boardId: string, seq: number, stored: boolean) => void;
  /** About to store the snapshot at `seq` (it is built; compressing and inserting follow). */
  onSaving?: (boardId: string, seq: number) => void;
}

/**
 * Writes snapshots in the background, one board at a time, off the commit path. Tell it a board's
 * seq after commits (`noteSeq`, cheap: a map look-up until a snapshot is due); when the seq has
 * reached the next multiple of `every` past the board's newest snapshot, it builds every missing
 * multiple from that snapshot and the placements after it (from the database), and stores each.
 * Catching up several multiples — a board loaded after an upgrade, or after a crash — reads the
 * placements once.
 */
export class SnapshotWriter {
  private readonly every: number;
  /** Board → seq of its newest snapshot, once known. */
  private readonly newest = new Map<string, number>();
  /** Board → highest seq noted. */
  private readonly noted = new Map<string, number>();
  /** Board → performance.now() before which a failed board is not tried again. */
  private readonly retryAt = new Map<string, number>();
  private readonly queue = new Set<string>();
  private running: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly storage: Storage,
    private readonly opts: SnapshotWriterOptions = {},
  ) {
    this.every = opts.every ?? SNAPSHOT_EVERY_PLACEMENTS;
    if (!Number.isInteger(this.every) || this.every < 1) throw new Error(`snapshot interval must be a positive integer, got ${this.every}`);
  }

  noteSeq(boardId: string, seq: number): void {
    if (this.closed) return;
    if (seq > (this.noted.get(boardId) ?? -1)) this.noted.set(boardId, seq);
    const newest = this.newest.get(boardId);
    if (newest !== undefined && seq < this.nextDue(newest)) return;
    if ((this.retryAt.get(boardId) ?? 0) > performance.now()) return;
    this.queue.add(boardId);
    this.running ??= this.drain().finally(() => (this.running = null));
  }

  /** Resolves when no write is queued or running. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stop taking work and wait for the write in progress (graceful shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    this.queue.clear();
    await this.idle();
  }

  private nextDue(newest: number): number {
    return (Math.floor(newest / this.every) + 1) * this.every;
  }

  private async drain(): Promise<void> {
    for (const boardId of this.queue) {
      this.queue.delete(boardId);
      if (this.closed) return;
      try {
        await this.writeDue(boardId);
        this.retryAt.delete(boardId);
      } catch (err) {
        this.retryAt.set(boardId, performance.now() + SNAPSHOT_RETRY_MS);
        this.opts.onError?.(boardId, err as Error);
      }
    }
  }

  private async writeDue(boardId: string): Promise<void> {
    let newest = this.newest.get(boardId);
    if (newest === undefined) {
      newest = await this.storage.latestSnapshotSeq(boardId);
      this.newest.set(boardId, newest);
    }
    const upTo = this.noted.get(boardId) ?? 0;
    if (upTo < this.nextDue(newest)) return;
    const board = await this.storage.getBoard(boardId);
    if (!board) return;
    const { width, height } = board;
    // The newest snapshot is read in full here and then carried forward in memory: each further
    // multiple costs only its own placements.
    let image = await buildBoard(this.storage, boardId, width, height, { through: newest });
    for (let target = this.nextDue(newest); target <= upTo && !this.closed; target += this.every) {
      image = await buildBoard(this.storage, boardId, width, height, {
        through: target,
        from: { seq: image.seq, width, height, pixels: image.pixels },
      });
      if (image.seq !== target) throw new Error(`board ${boardId}: replay to ${target} stopped at ${image.seq}`);
      this.opts.onSaving?.(boardId, target);
      const stored = await this.storage.saveSnapshot(boardId, { seq: target, width, height, pixels: image.pixels });
      this.newest.set(boardId, target);
      this.opts.onSaved?.(boardId, target, stored);
    }
  }
}
