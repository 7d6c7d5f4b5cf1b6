// One load-generator process of the benchmark (forked by bench/run.ts; several run at once so the
// generator is spread over the cores). It holds WebSocket clients of Tessera (`ws`, binary PIXELS
// frames) or of the Socket.IO baseline (`socket.io-client`, one JSON event per pixel) and places
// stamped pixels at a given rate.
//
// Every client proves delivery: it counts every record from the frame's length and checks its seqs
// against the step's range with a bitmap (bench/delivery.ts) — a few ns per record. Only the
// latency sample (clients opened with `latency`, held by the probe process) decodes each record's
// stamp and feeds the histogram; decoding at every client made the generator, not the servers, the
// limit of the 5,000/s step (issue 15).

import { io, type Socket } from "socket.io-client";
import WebSocket from "ws";
import { prng } from "../test/prng";
import {
  type Arrivals,
  type CollectResult,
  type ConnectResult,
  type ConnectSpec,
  type CursorAction,
  type CursorResult,
  type DurableResult,
  Histogram,
  latencyOf,
  type PlaceResult,
  type PresenceResult,
  stampPlacement,
  type WorkerCommand,
  type WorkerReply,
} from "./common";
import { countCursorFrame } from "./cursor-count";
import { DeliveryTracker } from "./delivery";

/** Presence traffic seen by one client (crowd scenario). */
class PresenceCounter {
  statsBytes = 0;
  statsFrames = 0;
  listBytes = 0;
  listFrames = 0;
  largest = 0;
  lastActiveUsers: number | null = null;
  lastList: Buffer | null = null;

  text(data: Buffer): void {
    const type = messageType(data);
    if (type !== "stats" && type !== "user_list") return;
    const wire = data.length + wsHeaderBytes(data.length);
    if (wire > this.largest) this.largest = wire;
    if (type === "stats") {
      this.statsBytes += wire;
      this.statsFrames++;
      const m = JSON.parse(data.toString()) as { activeUsers?: number };
      if (typeof m.activeUsers === "number") this.lastActiveUsers = m.activeUsers;
    } else {
      this.listBytes += wire;
      this.listFrames++;
      // Parsed once at the end: at quadratic sizes (protocol 1) parsing every list would cost the
      // generator more than the servers spend building them.
      this.lastList = data;
    }
  }
}

/** `cursors` traffic seen by one client (scenario 8), since the last collect. */
class CursorCounter {
  frames = 0;
  bytes = 0;
  entries = 0;
  gone = 0;
  largest = 0;

  text(data: Buffer): boolean {
    const c = countCursorFrame(data);
    if (c === null) return false;
    const wire = data.length + wsHeaderBytes(data.length);
    this.frames++;
    this.bytes += wire;
    this.entries += c.entries;
    this.gone += c.gone;
    if (wire > this.largest) this.largest = wire;
    return true;
  }

  reset(): void {
    this.frames = this.bytes = this.entries = this.gone = this.largest = 0;
  }
}

interface BenchClient {
  placer: boolean;
  sample: boolean;
  open: boolean;
  closedDuringStep: boolean;
  /** Closed, and its last window already checked. */
  checkedClosed: boolean;
  /** Date.now() when the welcome (Tessera) or connect (Socket.IO) arrived. */
  connectedAt: number;
  delivery: DeliveryTracker;
  malformed: number;
  presence: PresenceCounter | null;
  cursors: CursorCounter | null;
  /** Send one text message as it is (Tessera); returns its bytes on the wire, 0 when not open. */
  sendText(text: string): number;
  /** Send one placement; `ref` is echoed by the ack. */
  place(x: number, y: number, color: number, ref: string): void;
  close(): void;
}

const hist = new Histogram();
/** Records counted at every client since the last collect (for the orchestrator's drain). */
let received = 0;
let clients: BenchClient[] = [];

// Per-placement bookkeeping (placers only): outcome counters and ack timing.
let acked = 0;
let rejected = 0;
let minSeq: number | null = null;
let maxSeq: number | null = null;
let onAck: ((ref: string, ok: boolean, client: BenchClient) => void) | null = null;

function noteAck(ref: string, ok: boolean, seq: number | undefined, client: BenchClient): void {
  if (ok) {
    acked++;
    if (seq !== undefined) {
      if (minSeq === null || seq < minSeq) minSeq = seq;
      if (maxSeq === null || seq > maxSeq) maxSeq = seq;
    }
  } else {
    rejected++;
  }
  onAck?.(ref, ok, client);
}

/** Latency of every record of a PIXELS frame from the stamp in (x, y, color): sampled clients only. */
function sampleLatency(buf: Buffer): void {
  const now = Date.now();
  for (let o = 1; o + 9 <= buf.length; o += 9) {
    const x = buf[o + 4] | (buf[o + 5] << 8);
    const y = buf[o + 6] | (buf[o + 7] << 8);
    hist.add(latencyOf(now, x, y, buf[o + 8]));
  }
}

/** Size of the header of an unmasked (server → client) WebSocket frame with this payload. */
function wsHeaderBytes(payload: number): number {
  return payload < 126 ? 2 : payload < 65_536 ? 4 : 10;
}

const TYPE_PREFIX = Buffer.from('{"type":"');

/** The `type` of a server text frame without parsing it (the server writes `type` first), else by parsing. */
function messageType(data: Buffer): string | null {
  if (data.length > TYPE_PREFIX.length && data.subarray(0, TYPE_PREFIX.length).equals(TYPE_PREFIX)) {
    const end = data.indexOf(0x22, TYPE_PREFIX.length, "latin1");
    if (end > 0) return data.toString("latin1", TYPE_PREFIX.length, end);
  }
  try {
    const m = JSON.parse(data.toString()) as { type?: unknown };
    return typeof m.type === "string" ? m.type : null;
  } catch {
    return null;
  }
}

function newClient(placer: boolean, spec: ConnectSpec): Omit<BenchClient, "place" | "close" | "sendText"> {
  return {
    placer,
    sample: !!spec.latency,
    open: false,
    closedDuringStep: false,
    checkedClosed: false,
    connectedAt: 0,
    delivery: new DeliveryTracker(0),
    malformed: 0,
    presence: spec.presence ? new PresenceCounter() : null,
    cursors: spec.cursors ? new CursorCounter() : null,
  };
}

function tesseraClient(url: string, cookie: string, placer: boolean, localAddress: string | undefined, spec: ConnectSpec): Promise<BenchClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace(/^http/, "ws") + "/ws", { headers: { cookie }, localAddress, perMessageDeflate: false });
    let settled = false;
    const idle = !!spec.idle;
    const c: BenchClient = {
      ...newClient(placer, spec),
      place(x, y, color, ref) {
        if (ws.readyState === WebSocket.OPEN) ws.send(`{"type":"place","x":${x},"y":${y},"color":${color},"ref":"${ref}"}`);
      },
      sendText(text) {
        if (ws.readyState !== WebSocket.OPEN) return 0;
        ws.send(text);
        // A client's frames are masked: 2 header bytes + 4 of mask (+2 from 126 bytes on).
        return text.length + (text.length < 126 ? 6 : 8);
      },
      close() {
        ws.terminate();
      },
    };
    ws.on("message", (data: Buffer, isBinary) => {
      if (isBinary) {
        if (idle) return;
        if (data.length < 10 || data[0] !== 0x01) {
          c.malformed++;
          return;
        }
        received += c.delivery.frame(data);
        if (c.sample) sampleLatency(data);
        return;
      }
      if (!settled) {
        // The first text frame is always `welcome`; its seq opens the client's delivery window.
        settled = true;
        const welcome = JSON.parse(data.toString()) as { seq?: number };
        c.delivery = new DeliveryTracker(welcome.seq ?? 0);
        c.open = true;
        c.connectedAt = Date.now();
        resolve(c);
        return;
      }
      if (idle) return;
      if (c.cursors?.text(data)) return;
      if (c.presence) c.presence.text(data);
      // Acks and rejects are short; presence lists can be long and are not for the placer.
      if (!placer || data.length > 512) return;
      const m = JSON.parse(data.toString()) as { type: string; ref?: string; seq?: number };
      if (m.type === "ack") noteAck(m.ref ?? "", true, m.seq, c);
      else if (m.type === "reject") noteAck(m.ref ?? "", false, undefined, c);
    });
    ws.on("close", () => {
      if (c.open) c.closedDuringStep = true;
      c.open = false;
    });
    ws.on("error", (err) => {
      if (!settled) {
        settled = true;
        reject(err);
      }
    });
    ws.on("unexpected-response", (_req, res) => {
      if (!settled) {
        settled = true;
        reject(new Error(`upgrade refused: HTTP ${res.statusCode}`));
      }
    });
  });
}

function socketIoClient(url: string, name: string, placer: boolean, localAddress: string | undefined, spec: ConnectSpec): Promise<BenchClient> {
  return new Promise((resolve, reject) => {
    const s: Socket = io(url, {
      transports: ["websocket"],
      forceNew: true,
      reconnection: false,
      auth: { name },
      timeout: 60_000,
      ...(localAddress ? { localAddress } : {}),
    } as Parameters<typeof io>[1]);
    const c: BenchClient = {
      ...newClient(placer, spec),
      place(x, y, color, ref) {
        if (!s.connected) return;
        s.emit("place", { x, y, color }, (res: { ok: boolean }) => noteAck(ref, !!res?.ok, undefined, c));
      },
      close() {
        s.disconnect();
      },
      sendText() {
        return 0;
      },
    };
    if (!spec.idle) {
      // socket.io-client parses every event whatever we do with it; the sample only adds the histogram.
      s.on("pixel_updated", (m: { x: number; y: number; color: number }) => {
        c.delivery.count(1);
        received++;
        if (c.sample) hist.add(latencyOf(Date.now(), m.x, m.y, m.color));
      });
    }
    s.once("connect", () => {
      c.open = true;
      c.connectedAt = Date.now();
      resolve(c);
    });
    s.on("disconnect", () => {
      if (c.open) c.closedDuringStep = true;
      c.open = false;
    });
    s.once("connect_error", (err) => reject(err));
  });
}

async function connect(spec: ConnectSpec): Promise<ConnectResult> {
  const started = performance.now();
  let opened = 0;
  let failed = 0;
  let firstError: string | undefined;
  let minWelcome: number | null = null;
  let maxWelcome: number | null = null;
  const paced = (spec.ratePerS ?? 0) > 0;
  const openOne = async (j: number) => {
    const url = spec.urls[(j + (spec.urlOffset ?? 0)) % spec.urls.length];
    const placer = j < spec.placers;
    const local = spec.localAddresses.length ? spec.localAddresses[j % spec.localAddresses.length] : undefined;
    try {
      const c =
        spec.target === "tessera"
          ? await tesseraClient(url, spec.cookies[j % spec.cookies.length], placer, local, spec)
          : await socketIoClient(url, `${spec.namePrefix ?? "bench"}${j}`, placer, local, spec);
      clients.push(c);
      opened++;
      if (spec.target === "tessera") {
        const seq = c.delivery.windowBase;
        if (minWelcome === null || seq < minWelcome) minWelcome = seq;
        if (maxWelcome === null || seq > maxWelcome) maxWelcome = seq;
      }
    } catch (err) {
      failed++;
      firstError ??= (err as Error).message;
    }
  };
  let inFlight = 0;
  const slots: Array<() => void> = [];
  const limit = Math.max(1, spec.concurrency);
  const pending: Array<Promise<void>> = [];
  for (let j = 0; j < spec.count; j++) {
    if (paced) {
      // Client j of this worker opens at (j + phase) / rate: the workers' schedules interleave.
      const due = started + ((j + (spec.phase ?? 0)) * 1000) / spec.ratePerS!;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    if (inFlight >= limit) await new Promise<void>((r) => slots.push(r));
    inFlight++;
    pending.push(
      openOne(j).finally(() => {
        inFlight--;
        slots.shift()?.();
      }),
    );
  }
  await Promise.all(pending);
  return { opened, failed, ms: performance.now() - started, firstError, minWelcomeSeq: minWelcome, maxWelcomeSeq: maxWelcome };
}

let refCounter = 0;

/**
 * The send times of one worker's placements, in ms from the start: `rate` per second for
 * `durationMs`. `phase` (0…1) is this worker's place among the workers (see Arrivals).
 */
function schedule(arrivals: Arrivals, ratePerS: number, durationMs: number, phase: number, seed: number): Float64Array {
  if (ratePerS <= 0) return new Float64Array(0);
  const gap = 1000 / ratePerS;
  const out: number[] = [];
  if (arrivals === "poisson") {
    const rnd = prng(seed);
    for (let t = -Math.log(1 - rnd()) * gap; t < durationMs; t += -Math.log(1 - rnd()) * gap) out.push(t);
  } else {
    const offset = arrivals === "even" ? phase * gap : gap;
    for (let t = offset; t < durationMs; t += gap) out.push(t);
  }
  return Float64Array.from(out);
}

/** Place on this worker's placers (round robin) at the scheduled times, then wait for the acks. */
async function place(ratePerS: number, durationMs: number, arrivals: Arrivals, phase: number, seed: number): Promise<PlaceResult> {
  acked = 0;
  rejected = 0;
  minSeq = maxSeq = null;
  const placers = clients.filter((c) => c.placer);
  const ackHist = new Histogram();
  const sentAt = new Map<string, number>();
  onAck = (ref) => {
    const t = sentAt.get(ref);
    if (t === undefined) return;
    sentAt.delete(ref);
    ackHist.add(performance.now() - t);
  };
  const times = placers.length > 0 ? schedule(arrivals, ratePerS, durationMs, phase, seed) : new Float64Array(0);
  let sent = 0;
  let rr = 0;
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const tick = () => {
      const elapsed = performance.now() - started;
      while (sent < times.length && times[sent] <= elapsed) {
        const c = placers[rr++ % placers.length];
        const s = stampPlacement(Date.now());
        const ref = String(++refCounter);
        sentAt.set(ref, performance.now());
        c.place(s.x, s.y, s.color, ref);
        sent++;
      }
      if (sent >= times.length && elapsed >= durationMs) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(tick, 1);
  });
  // Outstanding acks: give them up to 15 s (a saturated baseline may lag far behind).
  const deadline = performance.now() + 15_000;
  while (acked + rejected < sent && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  onAck = null;
  return { sent, acked, rejected, minSeq, maxSeq, ackHist: ackHist.toJson() };
}

/** Every placer keeps `window` placements in flight, sending the next as soon as one is answered. */
async function durable(durationMs: number, window: number): Promise<DurableResult> {
  acked = 0;
  rejected = 0;
  minSeq = maxSeq = null;
  const ackHist = new Histogram();
  const sentAt = new Map<string, number>();
  const placers = clients.filter((c) => c.placer);
  let stopping = false;
  let inFlight = 0;
  const send = (c: BenchClient) => {
    const ref = String(++refCounter);
    const s = stampPlacement(Date.now());
    sentAt.set(ref, performance.now());
    inFlight++;
    c.place(s.x, s.y, s.color, ref);
  };
  const started = performance.now();
  onAck = (ref, _ok, c) => {
    const t = sentAt.get(ref);
    if (t !== undefined) {
      sentAt.delete(ref);
      ackHist.add(performance.now() - t);
    }
    inFlight--;
    if (!stopping) send(c);
  };
  for (const c of placers) for (let k = 0; k < window; k++) send(c);
  await new Promise((r) => setTimeout(r, durationMs));
  stopping = true;
  const ms = performance.now() - started;
  const countedAcked = acked;
  const countedRejected = rejected;
  const deadline = performance.now() + 10_000;
  while (inFlight > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  onAck = null;
  return { acked: countedAcked, rejected: countedRejected, ackHist: ackHist.toJson(), ms };
}

// Scenario 8: every cursor client moves its pointer `movesPerS` times a second.
let cursorTimer: NodeJS.Timeout | null = null;
let cursorSent = 0;
let cursorSentBytes = 0;
let cursorSince = Date.now();

function cursors(a: CursorAction): CursorResult | null {
  if (a.action === "stop" || a.action === "start") {
    if (cursorTimer) clearInterval(cursorTimer);
    cursorTimer = null;
  }
  if (a.action === "start") {
    const movers = clients.filter((c) => c.cursors !== null && c.open);
    const rnd = prng(a.seed);
    const side = 1000;
    const span = Math.max(1, Math.min(side, a.viewSide));
    const period = 1000 / a.movesPerS;
    const started = performance.now();
    const state = movers.map((c, i) => {
      const x0 = Math.floor(rnd() * (side - span + 1));
      const y0 = Math.floor(rnd() * (side - span + 1));
      cursorSentBytes += c.sendText(`{"type":"view","x0":${x0},"y0":${y0},"x1":${x0 + span - 1},"y1":${y0 + span - 1}}`);
      cursorSent++;
      // Each client at its own phase, so the moves are spread over the period, not sent in bursts.
      return { c, x: Math.floor(rnd() * side), y: Math.floor(rnd() * side), next: started + ((i + rnd()) / movers.length) * period };
    });
    const clamp = (v: number) => (v < 0 ? 0 : v >= side ? side - 1 : v);
    cursorTimer = setInterval(() => {
      const now = performance.now();
      for (const m of state) {
        if (m.next > now) continue;
        // The next move one period after this one was due (not after now): no drift, no catch-up burst.
        m.next = Math.max(m.next + period, now);
        m.x = clamp(m.x + Math.round((rnd() - 0.5) * 16));
        m.y = clamp(m.y + Math.round((rnd() - 0.5) * 16));
        cursorSentBytes += m.c.sendText(`{"type":"cursor","x":${m.x},"y":${m.y}}`);
        cursorSent++;
      }
    }, 5);
    return null;
  }
  if (a.action === "stop") return null;
  const now = Date.now();
  const r: CursorResult = { clients: 0, closed: 0, clientSeconds: 0, sent: cursorSent, sentBytes: cursorSentBytes, frames: 0, bytes: 0, entries: 0, gone: 0, largestFrame: 0, entriesPerClientPerS: [] };
  for (const c of clients) {
    const k = c.cursors;
    if (!k) continue;
    if (!c.open) {
      r.closed++;
      continue;
    }
    const secs = Math.max(0, now - Math.max(cursorSince, c.connectedAt)) / 1000;
    r.clients++;
    r.clientSeconds += secs;
    r.frames += k.frames;
    r.bytes += k.bytes;
    r.entries += k.entries;
    r.gone += k.gone;
    r.largestFrame = Math.max(r.largestFrame, k.largest);
    r.entriesPerClientPerS.push(secs > 0 ? k.entries / secs : 0);
    k.reset();
  }
  r.entriesPerClientPerS.sort((x, y) => x - y);
  cursorSent = 0;
  cursorSentBytes = 0;
  cursorSince = now;
  return r;
}

/**
 * End of a step: every client closes its delivery window at `toSeq` (Tessera) or compares its count
 * with `expectedCount` (Socket.IO), and the latency sample is handed over.
 */
function collect(toSeq: number | null, expectedCount: number): CollectResult {
  const r: CollectResult = {
    received,
    hist: hist.toJson(),
    clients: 0,
    sampled: 0,
    closed: 0,
    expected: 0,
    missing: 0,
    duplicates: 0,
    old: 0,
    beyond: 0,
    complete: 0,
    incomplete: 0,
    malformed: 0,
  };
  for (const c of clients) {
    if (c.open) r.clients++;
    if (c.open && c.sample) r.sampled++;
    if (c.closedDuringStep) r.closed++;
    c.closedDuringStep = false;
    const d = c.delivery.close(toSeq, expectedCount);
    r.malformed += c.malformed;
    c.malformed = 0;
    // A client that closed is checked in the step it closed in (its loss counts there), then left out.
    if (!c.open) {
      if (c.checkedClosed) continue;
      c.checkedClosed = true;
    }
    r.expected += d.expected;
    r.missing += d.missing;
    r.duplicates += d.duplicates;
    r.old += d.old;
    r.beyond += d.beyond;
    if (d.missing === 0) r.complete++;
    else r.incomplete++;
  }
  received = 0;
  hist.reset();
  return r;
}

/** Presence traffic of this worker's clients; `lists`: also parse each client's last user_list. */
function presence(sinceMs: number, untilMs: number, lists: boolean): PresenceResult {
  const r: PresenceResult = {
    clients: 0,
    clientSeconds: 0,
    statsBytes: 0,
    statsFrames: 0,
    listBytes: 0,
    listFrames: 0,
    largestFrame: 0,
    lastActiveUsers: null,
    lastListUsers: null,
    lastListTotal: null,
    listShape: null,
    closed: 0,
  };
  const widen = (range: { min: number; max: number } | null, v: number) => (range ? { min: Math.min(range.min, v), max: Math.max(range.max, v) } : { min: v, max: v });
  for (const c of clients) {
    const p = c.presence;
    if (!p) continue;
    if (!c.open) r.closed++;
    r.clients++;
    r.clientSeconds += Math.max(0, untilMs - Math.max(sinceMs, c.connectedAt)) / 1000;
    r.statsBytes += p.statsBytes;
    r.statsFrames += p.statsFrames;
    r.listBytes += p.listBytes;
    r.listFrames += p.listFrames;
    r.largestFrame = Math.max(r.largestFrame, p.largest);
    if (p.lastActiveUsers !== null) r.lastActiveUsers = widen(r.lastActiveUsers, p.lastActiveUsers);
    if (lists && p.lastList) {
      // Protocol 1: {users: [name…]}; protocol 2: {users: [{id, name}…] (≤ 100), total}.
      const m = JSON.parse(p.lastList.toString()) as { users?: unknown[]; total?: number };
      const users = Array.isArray(m.users) ? m.users : [];
      r.listShape ??= users.length === 0 ? null : typeof users[0] === "string" ? "strings" : "objects";
      r.lastListUsers = widen(r.lastListUsers, users.length);
      r.lastListTotal = widen(r.lastListTotal, typeof m.total === "number" ? m.total : users.length);
    }
  }
  return r;
}

async function handle(msg: WorkerCommand): Promise<unknown> {
  switch (msg.cmd) {
    case "connect":
      return connect(msg.spec);
    case "place":
      return place(msg.ratePerS, msg.durationMs, msg.arrivals, msg.phase, msg.seed);
    case "collect":
      return collect(msg.toSeq, msg.expectedCount);
    case "received":
      return received;
    case "presence":
      return presence(msg.sinceMs, msg.untilMs, msg.lists);
    case "durable":
      return durable(msg.durationMs, msg.window);
    case "cursors":
      return cursors(msg);
    case "close": {
      if (cursorTimer) clearInterval(cursorTimer);
      cursorTimer = null;
      for (const c of clients) c.close();
      clients = [];
      received = 0;
      hist.reset();
      return null;
    }
    case "exit":
      setImmediate(() => process.exit(0));
      return null;
  }
}

process.on("message", (msg: WorkerCommand) => {
  handle(msg).then(
    (result) => process.send!({ id: msg.id, ok: true, result } satisfies WorkerReply),
    (err: Error) => process.send!({ id: msg.id, ok: false, error: err.stack ?? err.message } satisfies WorkerReply),
  );
});
process.on("disconnect", () => process.exit(0));
