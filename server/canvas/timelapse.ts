// Timelapse GIFs of a board's history (SPEC §13), rendered off the event loop: the board at `from`
// is built here (newest snapshot plus a short replay), then the placements up to `to` stream from
// the database in packed pages into the render worker, which replays them once and draws each
// frame as its seq is passed (server/canvas/timelapse-gif.ts). The next page is read while the
// worker works on the last one; no replay per frame, and the whole history is never held at once.
//
// History up to `to` never changes, so a GIF is cached per (board, size, from, to, frames), and
// concurrent requests for the same one share its rendering.

import {
  EMBEDDED_REPLAY_PAGE_PLACEMENTS,
  RENDER_QUEUE_MAX,
  REPLAY_PAGE_PLACEMENTS,
  TIMELAPSE_BUILDS_MAX,
  TIMELAPSE_CACHE_BYTES,
  TIMELAPSE_FRAME_DELAY_MS,
  TIMELAPSE_LAST_FRAME_MS,
  TIMELAPSE_MAX_GIF_BYTES,
  TIMELAPSE_MAX_SIDE_PX,
} from "../../lib/limits";
import { PALETTE } from "../../lib/palette";
import type { Logger } from "../logger";
import type { RenderPool } from "./render-pool";
import { buildBoard } from "./snapshots";
import { PACKED_RECORD_BYTES, type Storage } from "./store";
import { scaledSize } from "./timelapse-gif";

/** The renderer has enough work queued; the request should come back shortly. */
export class TimelapseBusyError extends Error {}

export interface TimelapsePlan {
  board: string;
  /** The board's size now (history is drawn at that size, as `canvas?seq=` is). */
  width: number;
  height: number;
  from: number;
  to: number;
  /** The seq each frame shows, ascending: the first is `from`, the last is `to`. */
  frameSeqs: number[];
  /** Output pixel (x, y) shows board pixel (x·scale, y·scale). */
  scale: number;
  out: { width: number; height: number };
}

/**
 * Which seqs the frames show: `frames` of them spread evenly over from…to (both included), fewer
 * when the range holds fewer seqs, so no two frames are alike by construction. Boards wider or
 * higher than TIMELAPSE_MAX_SIDE_PX are scaled down by the smallest integer factor that fits.
 */
export function planTimelapse(board: string, width: number, height: number, from: number, to: number, frames: number): TimelapsePlan {
  if (!(Number.isSafeInteger(from) && Number.isSafeInteger(to) && 0 <= from && from <= to)) throw new Error(`bad timelapse range ${from}…${to}`);
  if (!(Number.isSafeInteger(frames) && frames >= 1)) throw new Error(`bad frame count ${frames}`);
  const n = Math.min(frames, to - from + 1);
  const frameSeqs = n === 1 ? [to] : Array.from({ length: n }, (_, i) => from + Math.round(((to - from) * i) / (n - 1)));
  const scale = Math.max(1, Math.ceil(Math.max(width, height) / TIMELAPSE_MAX_SIDE_PX));
  return { board, width, height, from, to, frameSeqs, scale, out: scaledSize(width, height, scale) };
}

export class Timelapses {
  /** Finished GIFs by key, oldest first (Map order), at most TIMELAPSE_CACHE_BYTES together. */
  private readonly cache = new Map<string, Uint8Array>();
  private cachedBytes = 0;
  private readonly building = new Map<string, Promise<Uint8Array>>();
  private nextToken = 1;

  constructor(
    private readonly storage: Storage,
    private readonly render: Pick<RenderPool, "run" | "queued">,
    private readonly log: Logger,
  ) {}

  /** The GIF of a plan: cached, shared with a render of the same one in progress, or rendered now. */
  gif(plan: TimelapsePlan): Promise<Uint8Array> {
    const key = `${plan.board}/${plan.width}x${plan.height}/${plan.from}-${plan.to}/${plan.frameSeqs.length}`;
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return Promise.resolve(hit);
    }
    const pending = this.building.get(key);
    if (pending) return pending;
    if (this.building.size >= TIMELAPSE_BUILDS_MAX || this.render.queued >= RENDER_QUEUE_MAX) {
      return Promise.reject(new TimelapseBusyError("the image renderer is busy; try again shortly"));
    }
    const p = this.build(plan)
      .then((gif) => {
        this.remember(key, gif);
        return gif;
      })
      .finally(() => this.building.delete(key));
    this.building.set(key, p);
    return p;
  }

  private remember(key: string, gif: Uint8Array): void {
    // One huge GIF may not push out everything else.
    if (gif.length > TIMELAPSE_CACHE_BYTES / 4) return;
    for (const [k, v] of this.cache) {
      if (this.cachedBytes + gif.length <= TIMELAPSE_CACHE_BYTES) break;
      this.cache.delete(k);
      this.cachedBytes -= v.length;
    }
    this.cache.set(key, gif);
    this.cachedBytes += gif.length;
  }

  private async build(plan: TimelapsePlan): Promise<Uint8Array> {
    const { board, width, height, from, to } = plan;
    const token = this.nextToken++;
    const started = performance.now();
    const base = await buildBoard(this.storage, board, width, height, { through: from });
    if (base.seq !== from) throw new Error(`board ${board}: replay to ${from} stopped at ${base.seq}`);
    await this.render.run(
      {
        kind: "gif_begin",
        token,
        width,
        height,
        scale: plan.scale,
        base: base.pixels,
        frameAfter: plan.frameSeqs.map((s) => s - from),
        palette: [...PALETTE],
        delayMs: TIMELAPSE_FRAME_DELAY_MS,
        lastDelayMs: TIMELAPSE_LAST_FRAME_MS,
        maxBytes: TIMELAPSE_MAX_GIF_BYTES,
      },
      [base.pixels.buffer as ArrayBuffer],
    );
    let done = false;
    try {
      let seq = from;
      let feeding: Promise<unknown> = Promise.resolve();
      // PGlite runs its queries on this thread: smaller pages keep each stall short.
      const pageSize = this.storage.kind === "pglite" ? EMBEDDED_REPLAY_PAGE_PLACEMENTS : REPLAY_PAGE_PLACEMENTS;
      while (seq < to) {
        const page = await this.storage.placementsPacked(board, seq, to, pageSize);
        // Seqs are dense: a page that does not continue exactly where the last one ended is not history.
        if (page.count === 0 || page.lastSeq - seq !== page.count) {
          throw new Error(`board ${board}: history after ${seq} gave ${page.count} placements ending at ${page.lastSeq}`);
        }
        const records = page.records.slice(0, page.count * PACKED_RECORD_BYTES); // our own buffer, to hand over
        await feeding;
        feeding = this.render.run({ kind: "gif_feed", token, records, count: page.count }, [records.buffer as ArrayBuffer]);
        feeding.catch(() => {}); // awaited before the next feed or the end
        seq = page.lastSeq;
      }
      await feeding;
      const gif = await this.render.run({ kind: "gif_end", token });
      done = true;
      this.log.info({ board, from, to, frames: plan.frameSeqs.length, scale: plan.scale, bytes: gif.length, ms: Math.round(performance.now() - started) }, "timelapse rendered");
      return gif;
    } finally {
      if (!done) this.render.run({ kind: "gif_abort", token }).catch(() => {});
    }
  }
}
