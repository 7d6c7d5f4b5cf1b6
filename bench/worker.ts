// One load-generator process of the benchmark (forked by bench/run.ts; several run at once so the
// generator is spread over the cores). It holds WebSocket clients of Tessera (`ws`, binary PIXELS
// frames) or of the Socket.IO baseline (`socket.io-client`, one JSON event per pixel), places
// stamped pixels at a given rate, and measures every received record's latency from its stamp.

import { io, type Socket } from "socket.io-client";
import WebSocket from "ws";
import {
  type CollectResult,
  type ConnectResult,
  type ConnectSpec,
  type DurableResult,
  Histogram,
  latencyOf,
  type PlaceResult,
  stampPlacement,
  type WorkerCommand,
  type WorkerReply,
} from "./common";

interface BenchClient {
  placer: boolean;
  open: boolean;
  /** Send one placement; `ref` is echoed by the ack. */
  place(x: number, y: number, color: number, ref: string): void;
  close(): void;
}

const hist = new Histogram();
let received = 0;
let closedDuringStep = 0;
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

/** Record every record of a PIXELS frame: count and latency from the stamp in (x, y, color). */
function onPixelsFrame(buf: Buffer): void {
  if (buf.length < 10 || buf[0] !== 0x01) return;
  const now = Date.now();
  let n = 0;
  for (let o = 1; o + 9 <= buf.length; o += 9) {
    const x = buf[o + 4] | (buf[o + 5] << 8);
    const y = buf[o + 6] | (buf[o + 7] << 8);
    hist.add(latencyOf(now, x, y, buf[o + 8]));
    n++;
  }
  received += n;
}

function tesseraClient(url: string, cookie: string, placer: boolean, localAddress: string | undefined, idle: boolean): Promise<BenchClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace(/^http/, "ws") + "/ws", { headers: { cookie }, localAddress, perMessageDeflate: false });
    let settled = false;
    const c: BenchClient = {
      placer,
      open: false,
      place(x, y, color, ref) {
        if (ws.readyState === WebSocket.OPEN) ws.send(`{"type":"place","x":${x},"y":${y},"color":${color},"ref":"${ref}"}`);
      },
      close() {
        ws.terminate();
      },
    };
    ws.on("message", (data: Buffer, isBinary) => {
      if (isBinary) {
        if (!idle) onPixelsFrame(data);
        return;
      }
      if (!settled) {
        // The first text frame is always `welcome`.
        settled = true;
        c.open = true;
        resolve(c);
        return;
      }
      if (!placer) return;
      const m = JSON.parse(data.toString()) as { type: string; ref?: string; seq?: number };
      if (m.type === "ack") noteAck(m.ref ?? "", true, m.seq, c);
      else if (m.type === "reject") noteAck(m.ref ?? "", false, undefined, c);
    });
    ws.on("close", () => {
      if (c.open) closedDuringStep++;
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

function socketIoClient(url: string, name: string, placer: boolean, localAddress: string | undefined, idle: boolean): Promise<BenchClient> {
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
      placer,
      open: false,
      place(x, y, color, ref) {
        if (!s.connected) return;
        s.emit("place", { x, y, color }, (res: { ok: boolean }) => noteAck(ref, !!res?.ok, undefined, c));
      },
      close() {
        s.disconnect();
      },
    };
    if (!idle) {
      s.on("pixel_updated", (m: { x: number; y: number; color: number }) => {
        hist.add(latencyOf(Date.now(), m.x, m.y, m.color));
        received++;
      });
    }
    s.once("connect", () => {
      c.open = true;
      resolve(c);
    });
    s.on("disconnect", () => {
      if (c.open) closedDuringStep++;
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
  let next = 0;
  // Placers first, spread over the replicas (client i → urls[i % n]).
  const one = async () => {
    for (;;) {
      const i = next++;
      if (i >= spec.count) return;
      const url = spec.urls[i % spec.urls.length];
      const placer = i < spec.placers;
      const local = spec.localAddresses.length ? spec.localAddresses[i % spec.localAddresses.length] : undefined;
      try {
        const c =
          spec.target === "tessera"
            ? await tesseraClient(url, spec.cookies[i % spec.cookies.length], placer, local, !!spec.idle)
            : await socketIoClient(url, `bench${i % 997}`, placer, local, !!spec.idle);
        clients.push(c);
        opened++;
      } catch (err) {
        failed++;
        firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, spec.concurrency) }, one));
  return { opened, failed, ms: performance.now() - started, firstError };
}

let refCounter = 0;

/** Place at `ratePerS` spread over this worker's placers for `durationMs`, then wait for the acks. */
async function place(ratePerS: number, durationMs: number): Promise<PlaceResult> {
  acked = 0;
  rejected = 0;
  minSeq = maxSeq = null;
  onAck = null;
  const placers = clients.filter((c) => c.placer);
  const ackHist = new Histogram();
  const sentAt = new Map<string, number>();
  onAck = (ref) => {
    const t = sentAt.get(ref);
    if (t === undefined) return;
    sentAt.delete(ref);
    ackHist.add(performance.now() - t);
  };
  let sent = 0;
  let rr = 0;
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = Math.min(performance.now() - started, durationMs);
      const due = Math.floor((ratePerS * elapsed) / 1000) - sent;
      for (let k = 0; k < due && placers.length > 0; k++) {
        const c = placers[rr++ % placers.length];
        const s = stampPlacement(Date.now());
        const ref = String(++refCounter);
        sentAt.set(ref, performance.now());
        c.place(s.x, s.y, s.color, ref);
        sent++;
      }
      if (elapsed >= durationMs) {
        clearInterval(timer);
        resolve();
      }
    }, 2);
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

function collect(): CollectResult {
  const r: CollectResult = { received, hist: hist.toJson(), clients: clients.filter((c) => c.open).length, closed: closedDuringStep };
  received = 0;
  closedDuringStep = 0;
  hist.reset();
  return r;
}

async function handle(msg: WorkerCommand): Promise<unknown> {
  switch (msg.cmd) {
    case "connect":
      return connect(msg.spec);
    case "place":
      return place(msg.ratePerS, msg.durationMs);
    case "collect":
      return collect();
    case "received":
      return received;
    case "durable":
      return durable(msg.durationMs, msg.window);
    case "close": {
      for (const c of clients) c.close();
      clients = [];
      received = 0;
      closedDuringStep = 0;
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
