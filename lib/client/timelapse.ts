// The timelapse's engine (SPEC §13): the board at any seq, rebuilt in the browser from a
// snapshot plus pages of binary placements, and the mapping between the board's seqs and the
// times they were placed. Loaded with the timelapse only.
//
// Why replay in the browser: a frame fetched as `canvas?seq=N` costs width × height bytes (1 MB
// for 1000×1000) however little changed, while a placement costs 9 bytes in a PIXELS page. Playing
// forward therefore replays pages (prefetched ahead, cached), and a jump farther than replaying is
// worth — backwards past every kept keyframe, or forwards over more placements than a snapshot
// weighs — fetches `canvas?seq=N` (immutable on the server) and continues from there.

import { PLACEMENTS_PAGE_MAX_LIMIT } from "../limits";
import { PIXEL_RECORD_BYTES, PIXELS_FRAME } from "../protocol";
import { ApiError, boardPath, failureOf } from "./api";
import { query, requestJson, send } from "./extras-http";

// ------------------------------------------------------------------ where the history comes from

/** What the timelapse reads; over HTTP on the page (`httpHistory`), in memory in the unit tests. */
export interface HistorySource {
  /** The board's size and current seq. */
  info(): Promise<{ width: number; height: number; seq: number }>;
  /** The board after seq N, row-major palette indices. */
  canvasAt(seq: number): Promise<Uint8Array>;
  /** A PIXELS body (0x01 + 9-byte records in seq order) of the placements after `after`, at most `limit`. */
  placements(after: number, limit: number): Promise<Uint8Array>;
  /** When placement `seq` was committed (epoch ms). */
  placedAt(seq: number): Promise<number>;
}

/** The board's history over the HTTP API of SPEC §13. */
export function httpHistory(board: string): HistorySource {
  const bytes = async (path: string) => {
    const res = await send(path);
    if (!res.ok) throw await failureOf(res);
    return new Uint8Array(await res.arrayBuffer());
  };
  return {
    async info() {
      const b = await requestJson<{ width?: unknown; height?: unknown; seq?: unknown }>(boardPath(board, "/canvas/info"));
      const [width, height, seq] = [b.width, b.height, b.seq];
      if (typeof width !== "number" || typeof height !== "number" || typeof seq !== "number") throw new ApiError(200, "bad_info", "the board's info was incomplete");
      return { width, height, seq };
    },
    // Immutable on the server, so the browser's cache may answer a second visit.
    canvasAt: (seq) => bytes(boardPath(board, `/canvas${query({ seq })}`)),
    placements: (after, limit) => bytes(boardPath(board, `/placements${query({ after, limit })}`)),
    async placedAt(seq) {
      const body = await requestJson<{ placements?: Array<{ seq?: unknown; placedAt?: unknown }> }>(
        boardPath(board, `/placements${query({ after: seq - 1, limit: 1 })}`),
      );
      const p = body.placements?.[0];
      const t = typeof p?.placedAt === "string" ? Date.parse(p.placedAt) : NaN;
      if (p?.seq !== seq || !Number.isFinite(t)) throw new ApiError(200, "bad_history", `placement #${seq} is missing from the history`);
      return t;
    },
  };
}

// ------------------------------------------------------------------ seqs and times

/** Seqs placed at known times, from which any other seq's time is estimated. */
export interface TimeSample {
  seq: number;
  /** Epoch ms. */
  t: number;
}

/** `n` seqs spread evenly over 1…maxSeq, both ends included, without repeats. */
export function sampleSeqs(maxSeq: number, n: number): number[] {
  if (maxSeq < 1 || n < 1) return [];
  if (n === 1) return [maxSeq];
  const out = new Set<number>();
  for (let i = 0; i < n; i++) out.add(1 + Math.round((i * (maxSeq - 1)) / (n - 1)));
  return [...out].sort((a, b) => a - b);
}

/**
 * Seq ↔ time along a board's history, linear between samples. Equal seq steps between samples
 * bound the error: an estimate is never off by more than one segment's placements, and
 * `exactSeqAt` narrows one segment down with a binary search.
 */
export class TimeMap {
  private readonly s: TimeSample[];

  constructor(samples: readonly TimeSample[]) {
    const sorted = [...samples].filter((x) => Number.isFinite(x.t) && x.seq >= 1).sort((a, b) => a.seq - b.seq);
    // Commit times never decrease with seq (one lock per board); a clock step back must not fold the line.
    for (let i = 1; i < sorted.length; i++) if (sorted[i].t < sorted[i - 1].t) sorted[i] = { ...sorted[i], t: sorted[i - 1].t };
    this.s = sorted;
  }

  get empty(): boolean {
    return this.s.length === 0;
  }

  /** Time of the first placement (the timeline starts just before it, on the empty board). */
  get start(): number {
    return this.s.length ? this.s[0].t : 0;
  }

  get end(): number {
    return this.s.length ? this.s[this.s.length - 1].t : 0;
  }

  get lastSeq(): number {
    return this.s.length ? this.s[this.s.length - 1].seq : 0;
  }

  /** Estimated last seq placed at or before `t` (0 before the first placement). */
  seqAt(t: number): number {
    const s = this.s;
    if (s.length === 0 || t < s[0].t) return 0;
    if (t >= s[s.length - 1].t) return s[s.length - 1].seq;
    const i = this.segment(t);
    const a = s[i];
    const b = s[i + 1];
    if (b.t === a.t) return b.seq;
    return Math.min(b.seq - 1, a.seq + Math.floor(((t - a.t) / (b.t - a.t)) * (b.seq - a.seq)));
  }

  /** Estimated time of seq (the start for 0). */
  timeAt(seq: number): number {
    const s = this.s;
    if (s.length === 0) return 0;
    if (seq <= s[0].seq) return s[0].t;
    if (seq >= s[s.length - 1].seq) return s[s.length - 1].t;
    let lo = 0;
    let hi = s.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (s[mid].seq <= seq) lo = mid;
      else hi = mid;
    }
    const a = s[lo];
    const b = s[hi];
    return a.t + ((seq - a.seq) / (b.seq - a.seq)) * (b.t - a.t);
  }

  /**
   * The exact last seq placed at or before `t`, asking `placedAt` for a few seqs (a binary search
   * inside the one segment that holds `t`: about log2(segment length) questions).
   */
  async exactSeqAt(t: number, placedAt: (seq: number) => Promise<number>): Promise<number> {
    const s = this.s;
    if (s.length === 0 || t < s[0].t) return 0;
    if (t >= s[s.length - 1].t) return s[s.length - 1].seq;
    const i = this.segment(t);
    let lo = s[i].seq; // placed at or before t
    let hi = s[i + 1].seq; // placed after t
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if ((await placedAt(mid)) <= t) lo = mid;
      else hi = mid;
    }
    return lo;
  }

  /** Index i of the samples with s[i].t ≤ t < s[i+1].t (t inside the range). */
  private segment(t: number): number {
    const s = this.s;
    let lo = 0;
    let hi = s.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (s[mid].t <= t) lo = mid;
      else hi = mid;
    }
    return lo;
  }
}

/** Seqs whose times are asked for when the timelapse opens. */
const TIME_SAMPLES = 48;
/** Time questions in flight at once while sampling. */
const SAMPLE_CONCURRENCY = 6;

/** The board's seq ↔ time map up to `maxSeq`, from TIME_SAMPLES questions. */
export async function loadTimeMap(source: HistorySource, maxSeq: number, samples = TIME_SAMPLES): Promise<TimeMap> {
  const seqs = sampleSeqs(maxSeq, samples);
  const out: TimeSample[] = [];
  let next = 0;
  const worker = async () => {
    while (next < seqs.length) {
      const seq = seqs[next++];
      out.push({ seq, t: await source.placedAt(seq) });
    }
  };
  await Promise.all(Array.from({ length: Math.min(SAMPLE_CONCURRENCY, seqs.length) }, worker));
  return new TimeMap(out);
}

// ------------------------------------------------------------------ playback

/** At speed 1 the whole history plays in this long. */
export const TIMELAPSE_BASE_PLAY_MS = 30_000;
/** Speeds offered (multiples of the base). */
export const TIMELAPSE_SPEEDS: readonly number[] = [0.25, 0.5, 1, 2, 4, 8];

/** History milliseconds that pass per real millisecond at `speed`, for a history `spanMs` long. */
export function playbackRate(spanMs: number, speed: number): number {
  return (Math.max(spanMs, 1) / TIMELAPSE_BASE_PLAY_MS) * speed;
}

/** "≈ 2 h of history per second" for the speed control. */
export function rateLabel(spanMs: number, speed: number): string {
  const perS = playbackRate(spanMs, speed) * 1000;
  const units: Array<[number, string]> = [
    [86_400_000, "days"],
    [3_600_000, "h"],
    [60_000, "min"],
    [1_000, "s"],
  ];
  for (const [size, name] of units) {
    if (perS >= size) return `≈ ${(perS / size).toFixed(perS / size < 10 ? 1 : 0)} ${name} of history per second`;
  }
  return `≈ ${Math.max(1, Math.round(perS))} ms of history per second`;
}

// ------------------------------------------------------------------ the board at any seq

export interface ReplayerOptions {
  /** Placements per fetched page (default: about as many bytes as one snapshot, within bounds). */
  pagePlacements?: number;
  /** Memory kept for keyframes (board copies), bytes. */
  keyframeBytes?: number;
  /** Memory kept for placement pages, bytes. */
  pageCacheBytes?: number;
  /** A pixel changed (index, palette index): draw it. */
  onPixel?: (index: number, color: number) => void;
  /** Every pixel may have changed: redraw all. */
  onReset?: () => void;
}

/** Replay at most as many placements as a snapshot weighs in bytes, within these bounds. */
const MIN_PAGE_PLACEMENTS = 1_000;
const MAX_PAGE_PLACEMENTS = Math.min(20_000, PLACEMENTS_PAGE_MAX_LIMIT);
const DEFAULT_KEYFRAME_BYTES = 32 * 1024 * 1024;
const DEFAULT_PAGE_CACHE_BYTES = 16 * 1024 * 1024;

/** A seek that a newer one replaced; not an error to show. */
export class Superseded extends Error {
  constructor() {
    super("superseded by a newer seek");
  }
}

/**
 * The board at one seq of its history, moved with `goTo`. Keeps keyframes (copies of the board)
 * every `keyframeEvery` seqs it passes, so going back is a copy plus a short replay.
 */
export class Replayer {
  readonly pixels: Uint8Array;
  /** The seq the pixels show (every placement ≤ seq applied). */
  seq = 0;
  readonly pagePlacements: number;
  /** A keyframe is kept at every multiple of this seq passed while replaying. */
  readonly keyframeEvery: number;
  /** Counters for the page's debug view and the tests. */
  readonly stats = { pagesFetched: 0, snapshotsFetched: 0, keyframesUsed: 0, placementsApplied: 0 };

  private readonly keyframes = new Map<number, Uint8Array>();
  private readonly maxKeyframes: number;
  private readonly pages = new Map<number, Promise<Uint8Array>>();
  private readonly maxPages: number;
  private gen = 0;

  constructor(
    readonly width: number,
    readonly height: number,
    /** The history ends here: nothing after it is asked for. */
    readonly maxSeq: number,
    private readonly source: HistorySource,
    private readonly opts: ReplayerOptions = {},
  ) {
    const size = width * height;
    this.pixels = new Uint8Array(size);
    this.pagePlacements = opts.pagePlacements ?? Math.max(MIN_PAGE_PLACEMENTS, Math.min(MAX_PAGE_PLACEMENTS, Math.ceil(size / PIXEL_RECORD_BYTES)));
    this.keyframeEvery = Math.max(this.pagePlacements, Math.ceil(size / PIXEL_RECORD_BYTES));
    this.maxKeyframes = Math.max(2, Math.floor((opts.keyframeBytes ?? DEFAULT_KEYFRAME_BYTES) / Math.max(1, size)));
    this.maxPages = Math.max(4, Math.floor((opts.pageCacheBytes ?? DEFAULT_PAGE_CACHE_BYTES) / (this.pagePlacements * PIXEL_RECORD_BYTES)));
    // Before the first placement every pixel is palette index 0 (SPEC §3).
    this.keyframes.set(0, new Uint8Array(size));
  }

  /** True when every page between the current seq and `target` is here or on its way (replaying asks for nothing new). */
  ready(target: number): boolean {
    if (target <= this.seq) return false;
    for (let k = this.pageOf(this.seq + 1); k <= this.pageOf(target); k++) if (!this.pages.has(k)) return false;
    return true;
  }

  /** Start fetching the pages that cover (seq, seq + count], for smooth playback. */
  prefetch(fromSeq: number, count: number): void {
    const last = Math.min(this.maxSeq, fromSeq + count);
    if (last <= fromSeq) return;
    // A failed prefetch is only a missed head start: goTo asks again and reports the failure.
    for (let k = this.pageOf(fromSeq + 1); k <= this.pageOf(last); k++) this.page(k).catch(() => {});
  }

  /**
   * Show the board after seq `target` (clamped to 0…maxSeq). A later call supersedes an earlier one
   * still waiting (which then rejects with Superseded). The pixels always show one whole seq.
   */
  async goTo(target: number): Promise<void> {
    const gen = ++this.gen;
    const to = Math.max(0, Math.min(this.maxSeq, Math.floor(target)));
    if (to === this.seq) return;
    const replayLimit = this.keyframeEvery;
    const forwardCheap = to > this.seq && (to - this.seq <= replayLimit || this.ready(to));
    if (!forwardCheap) {
      const k = this.nearestKeyframe(to);
      if (to - k <= replayLimit) {
        this.restore(k);
      } else {
        const bytes = await this.source.canvasAt(to);
        if (gen !== this.gen) throw new Superseded();
        if (bytes.length !== this.pixels.length) throw new ApiError(200, "bad_snapshot", `the board at #${to} has ${bytes.length} bytes, not ${this.pixels.length}`);
        this.stats.snapshotsFetched++;
        this.pixels.set(bytes);
        this.seq = to;
        this.keep(to);
        this.opts.onReset?.();
        return;
      }
    }
    while (this.seq < to) {
      const k = this.pageOf(this.seq + 1);
      const page = await this.page(k);
      if (gen !== this.gen) throw new Superseded();
      this.apply(page, to);
    }
  }

  /** The keyframe with the highest seq ≤ `seq`. */
  private nearestKeyframe(seq: number): number {
    let best = 0;
    for (const k of this.keyframes.keys()) if (k <= seq && k > best) best = k;
    return best;
  }

  private restore(k: number): void {
    const frame = this.keyframes.get(k)!;
    // Most recently used last, so the oldest use is evicted first.
    this.keyframes.delete(k);
    this.keyframes.set(k, frame);
    this.pixels.set(frame);
    this.seq = k;
    this.stats.keyframesUsed++;
    this.opts.onReset?.();
  }

  private keep(seq: number): void {
    if (this.keyframes.has(seq)) return;
    this.keyframes.set(seq, this.pixels.slice());
    while (this.keyframes.size > this.maxKeyframes) {
      // Never evict the empty board (seq 0): it is the one start every replay can fall back on.
      const oldest = [...this.keyframes.keys()].find((k) => k !== 0);
      if (oldest === undefined) break;
      this.keyframes.delete(oldest);
    }
  }

  /** Apply the page's records with seq in (this.seq, to], in order. */
  private apply(page: Uint8Array, to: number): void {
    const n = (page.length - 1) / PIXEL_RECORD_BYTES;
    const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
    const { width, height, pixels } = this;
    const onPixel = this.opts.onPixel;
    const before = this.seq;
    for (let i = 0; i < n; i++) {
      const o = 1 + i * PIXEL_RECORD_BYTES;
      const seq = view.getUint32(o, true);
      if (seq <= this.seq) continue;
      if (seq > to) break;
      if (seq !== this.seq + 1) throw new ApiError(200, "bad_history", `the history skips from #${this.seq} to #${seq}`);
      const x = view.getUint16(o + 4, true);
      const y = view.getUint16(o + 6, true);
      const color = view.getUint8(o + 8);
      if (x < width && y < height) {
        const index = y * width + x;
        pixels[index] = color;
        onPixel?.(index, color);
      }
      this.seq = seq;
      if (seq % this.keyframeEvery === 0) this.keep(seq);
    }
    this.stats.placementsApplied += this.seq - before;
    if (this.seq === before) throw new ApiError(200, "bad_history", `the history has no placement #${before + 1}`);
  }

  private pageOf(seq: number): number {
    return Math.floor((Math.max(1, seq) - 1) / this.pagePlacements);
  }

  /** Page k: the placements (k·P, (k+1)·P], fetched once and kept while the cache has room. */
  private page(k: number): Promise<Uint8Array> {
    let p = this.pages.get(k);
    if (p) {
      this.pages.delete(k);
      this.pages.set(k, p);
      return p;
    }
    const after = k * this.pagePlacements;
    const limit = Math.min(this.pagePlacements, this.maxSeq - after);
    p = this.source.placements(after, limit).then((body) => {
      if (body.length < 1 || body[0] !== PIXELS_FRAME || (body.length - 1) % PIXEL_RECORD_BYTES !== 0) {
        throw new ApiError(200, "bad_history", "a page of placements was not a PIXELS body");
      }
      this.stats.pagesFetched++;
      return body;
    });
    // A failed page is asked for again next time.
    p.catch(() => this.pages.delete(k));
    this.pages.set(k, p);
    while (this.pages.size > this.maxPages) this.pages.delete(this.pages.keys().next().value as number);
    return p;
  }
}
