// Shared by the benchmark's orchestrator and its load-generator workers: the message types between
// them, the send-time encoding of placements, and a latency histogram that merges across processes.

/** Board side used by every scenario (the default 1000×1000 board). */
export const BOARD_SIDE = 1000;

/**
 * Each placement carries its own send time in its coordinates, so any client that receives the
 * record (a 9-byte PIXELS record or a Socket.IO JSON event) knows when it was sent without any
 * lookup: v = sendTimeMs mod PERIOD; color = v % 16; x = (v / 16) % 1000; y = v / 16000.
 * All workers run on one machine and share its clock, so `Date.now()` is comparable across them.
 */
const COLORS_USED = 16;
const STAMP_PERIOD_MS = BOARD_SIDE * BOARD_SIDE * COLORS_USED; // 16,000,000 ms ≈ 4.4 h

export function stampPlacement(nowMs: number): { x: number; y: number; color: number } {
  const v = nowMs % STAMP_PERIOD_MS;
  const r = Math.floor(v / COLORS_USED);
  return { x: r % BOARD_SIDE, y: Math.floor(r / BOARD_SIDE), color: v % COLORS_USED };
}

/** Latency in ms of a record stamped by `stampPlacement`, received at `nowMs`. */
export function latencyOf(nowMs: number, x: number, y: number, color: number): number {
  const sent = (y * BOARD_SIDE + x) * COLORS_USED + color;
  let d = (nowMs % STAMP_PERIOD_MS) - sent;
  if (d < 0) d += STAMP_PERIOD_MS;
  return d;
}

/** 1-ms buckets up to this; slower samples land in the last bucket (max is kept exactly). */
const HIST_BUCKETS = 30_001;

export class Histogram {
  readonly counts: Uint32Array;
  n = 0;
  max = 0;
  sum = 0;

  constructor(counts?: Uint32Array) {
    this.counts = counts ?? new Uint32Array(HIST_BUCKETS);
  }

  add(ms: number, times = 1): void {
    const b = ms < HIST_BUCKETS - 1 ? (ms < 0 ? 0 : Math.floor(ms)) : HIST_BUCKETS - 1;
    this.counts[b] += times;
    this.n += times;
    this.sum += ms * times;
    if (ms > this.max) this.max = ms;
  }

  merge(o: HistogramJson): void {
    for (const [b, c] of o.sparse) this.counts[b] += c;
    this.n += o.n;
    this.sum += o.sum;
    if (o.max > this.max) this.max = o.max;
  }

  /** The q-quantile (0…1) in ms; bucket b covers [b, b+1). */
  quantile(q: number): number | null {
    if (this.n === 0) return null;
    const target = Math.max(1, Math.ceil(q * this.n));
    let acc = 0;
    for (let b = 0; b < this.counts.length; b++) {
      acc += this.counts[b];
      if (acc >= target) return b === HIST_BUCKETS - 1 ? this.max : b;
    }
    return this.max;
  }

  toJson(): HistogramJson {
    const sparse: Array<[number, number]> = [];
    for (let b = 0; b < this.counts.length; b++) if (this.counts[b] > 0) sparse.push([b, this.counts[b]]);
    return { sparse, n: this.n, max: this.max, sum: this.sum };
  }

  reset(): void {
    this.counts.fill(0);
    this.n = 0;
    this.max = 0;
    this.sum = 0;
  }

  summary(): { n: number; p50: number | null; p99: number | null; max: number | null; mean: number | null } {
    return {
      n: this.n,
      p50: this.quantile(0.5),
      p99: this.quantile(0.99),
      max: this.n ? Math.round(this.max) : null,
      mean: this.n ? Math.round((this.sum / this.n) * 10) / 10 : null,
    };
  }
}

export interface HistogramJson {
  sparse: Array<[number, number]>;
  n: number;
  max: number;
  sum: number;
}

// ---------------------------------------------------------------- orchestrator ⇄ worker

export type Target = "tessera" | "socketio";

/**
 * How the load workers' placements are spread in time. `poisson` (default): independent users —
 * exponential gaps, so some placements come close together at any rate. `even`: the workers'
 * schedules interleave, one placement every 1/rate s exactly. `lockstep`: every worker places at
 * the same instants (the generator before issue 15: k placements at once every k/rate s).
 */
export type Arrivals = "poisson" | "even" | "lockstep";
export const ARRIVALS: readonly Arrivals[] = ["poisson", "even", "lockstep"];

export interface ConnectSpec {
  target: Target;
  /** One URL per replica; this worker's client j goes to urls[(j + urlOffset) % urls.length]. */
  urls: string[];
  urlOffset?: number;
  count: number;
  /** How many of this worker's clients place (the first `placers`, spread over the replicas). */
  placers: number;
  /** Session cookies (Tessera) used round-robin by the clients: one per client gives distinct users. */
  cookies: string[];
  /** Socket.IO display names are `${namePrefix}${j}`. */
  namePrefix?: string;
  /** Local source addresses to spread connections over (ephemeral ports per address). */
  localAddresses: string[];
  /** Connections opening at once (at most). */
  concurrency: number;
  /**
   * Opening pace of this worker in connections per second (0: as fast as `concurrency` allows).
   * With `phase` (0…1) the workers' schedules interleave, so a server's clients alternate between
   * workers and its write loop reaches the latency sample at every position.
   */
  ratePerS?: number;
  phase?: number;
  /** These clients decode every record for latency (the sample); the others only count and check seqs. */
  latency?: boolean;
  /** Count presence traffic (text frames `stats` and `user_list`: bytes on the wire, sizes). */
  presence?: boolean;
  /** Idle mode: no message handling beyond the welcome (scenario 3). */
  idle?: boolean;
  /** Count `cursors` frames (scenario 8: bytes on the wire, frames, cursor entries, gone ids). */
  cursors?: boolean;
}

/**
 * Scenario 8's clients: `start` sends each cursor client a `view` (a square of `viewSide` board
 * pixels at a random place) and begins moving its pointer `movesPerS` times a second (a random walk
 * over the board, each client at its own phase); `collect` hands over and resets the counters;
 * `stop` ends the moves.
 */
export type CursorAction = { action: "start"; movesPerS: number; viewSide: number; seed: number } | { action: "collect" } | { action: "stop" };

export interface CursorResult {
  /** Cursor clients held by this worker (open at collect time). */
  clients: number;
  closed: number;
  /** Σ over clients of the seconds since the last collect. */
  clientSeconds: number;
  /** `cursor` and `view` messages sent, and their bytes on the wire (client frames are masked: 6-byte header). */
  sent: number;
  sentBytes: number;
  /** `cursors` frames received, bytes on the wire, cursor entries and `gone` ids they carried. */
  frames: number;
  bytes: number;
  entries: number;
  gone: number;
  largestFrame: number;
  /** Per client: entries received per second (sorted, for percentiles across workers). */
  entriesPerClientPerS: number[];
}

export type WorkerCommand =
  | { id: number; cmd: "connect"; spec: ConnectSpec }
  | { id: number; cmd: "place"; ratePerS: number; durationMs: number; arrivals: Arrivals; phase: number; seed: number }
  | { id: number; cmd: "collect"; toSeq: number | null; expectedCount: number }
  | { id: number; cmd: "received" }
  | { id: number; cmd: "presence"; sinceMs: number; untilMs: number; lists: boolean }
  | { id: number; cmd: "durable"; durationMs: number; window: number }
  | ({ id: number; cmd: "cursors" } & CursorAction)
  | { id: number; cmd: "close" }
  | { id: number; cmd: "exit" };

export interface ConnectResult {
  opened: number;
  failed: number;
  ms: number;
  firstError?: string;
  /** Lowest and highest welcome.seq of the clients opened (Tessera). */
  minWelcomeSeq: number | null;
  maxWelcomeSeq: number | null;
}

export interface PlaceResult {
  sent: number;
  acked: number;
  rejected: number;
  minSeq: number | null;
  maxSeq: number | null;
  ackHist: HistogramJson;
}

export interface CollectResult {
  /** Records counted at every client (from frame lengths; events for Socket.IO). */
  received: number;
  /** Latency of every record at the sampled clients. */
  hist: HistogramJson;
  /** Clients of this worker that were open at the end of the step. */
  clients: number;
  /** Clients that decoded for latency. */
  sampled: number;
  /** Connections that closed during the step. */
  closed: number;
  /** Per-client delivery check, summed: owed, never arrived, repeated, old, beyond. */
  expected: number;
  missing: number;
  duplicates: number;
  old: number;
  beyond: number;
  /** Clients with nothing missing; the others are incomplete. */
  complete: number;
  incomplete: number;
  /** Binary frames that were not well-formed PIXELS frames. */
  malformed: number;
}

/** Presence traffic of one worker's clients (crowd scenario). */
export interface PresenceResult {
  clients: number;
  /** Σ over clients of the seconds each was connected within [sinceMs, untilMs]. */
  clientSeconds: number;
  /** Bytes on the wire (payload + WebSocket header) of `stats` and `user_list` frames. */
  statsBytes: number;
  statsFrames: number;
  listBytes: number;
  listFrames: number;
  /** Largest single presence frame, bytes on the wire. */
  largestFrame: number;
  /** What the clients' last frames said: active users (stats) and the user_list's size and total. */
  lastActiveUsers: { min: number; max: number } | null;
  lastListUsers: { min: number; max: number } | null;
  lastListTotal: { min: number; max: number } | null;
  /** "strings" (protocol 1: names) or "objects" (protocol 2: {id, name} with `total`). */
  listShape: string | null;
  closed: number;
}

export interface DurableResult {
  acked: number;
  rejected: number;
  ackHist: HistogramJson;
  ms: number;
}

export type WorkerReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
