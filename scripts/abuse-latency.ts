// `node --import tsx scripts/abuse-latency.ts`: does abuse hurt everyone else? One replica
// (production server, API only, embedded database) with the default abuse limits; normal clients
// place and watch for PHASE_S seconds alone, then again while one client floods messages and one
// stops reading its socket. Prints p50/p99/max delivery latency (placement sent → record received
// by the other clients) for both phases, and what happened to the abusers.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import WebSocket from "ws";
import { decodePixels, parseServerMessage } from "../lib/protocol";
import { ReplicaProcess } from "../test/processes";

const PHASE_S = Number(process.env.PHASE_S ?? 10);
const WATCHERS = 200;
const PLACERS = 20;
const PLACER_INTERVAL_MS = 200; // 5/s each, within the default 10/s limit
const W = 500;

interface Sock {
  ws: WebSocket;
  closeCode: number | null;
}

async function session(url: string, name: string): Promise<string> {
  const res = await fetch(`${url}/api/session`, { method: "POST", body: JSON.stringify({ name }) });
  return res.headers.get("set-cookie")!.split(";")[0];
}

/** Each simulated person connects from its own loopback address, as real users have their own IPs. */
function addressOf(i: number): string {
  return `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;
}

function open(url: string, cookie: string, from: string, onPixel?: (seq: number) => void, onAck?: (ref: string, seq: number) => void): Promise<Sock> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace(/^http/, "ws") + "/ws", { headers: { cookie }, localAddress: from });
    const s: Sock = { ws, closeCode: null };
    ws.on("message", (data, isBinary) => {
      if (isBinary) {
        if (onPixel) decodePixels(new Uint8Array(data as Buffer), (seq) => onPixel(seq));
        return;
      }
      const m = parseServerMessage(data.toString());
      if (m?.type === "welcome") resolve(s);
      if (m?.type === "ack" && onAck && m.ref) onAck(m.ref, m.seq);
    });
    ws.on("close", (code) => (s.closeCode = code));
    ws.on("error", reject);
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tessera-abuse-"));
  // Default abuse limits; only the per-IP caps are raised, since every simulated client shares 127.0.0.1.
  const server = await ReplicaProcess.start({
    instanceId: "abuse",
    env: { DATA_DIR: dataDir, CANVAS_WIDTH: String(W), CANVAS_HEIGHT: String(W), COOLDOWN_MS: "0", MAX_CONNECTIONS_PER_IP: "100000", SESSIONS_PER_IP_PER_MIN: "100000" },
  });
  const url = server.url;
  const sentAt = new Map<number, number>(); // seq → send time of its placement
  const pendingSend = new Map<string, number>(); // ref → send time
  const latencies: number[] = [];
  const seen = new Map<number, number>();
  const onPixel = (seq: number) => {
    const t = sentAt.get(seq);
    if (t === undefined) {
      seen.set(seq, performance.now());
      return;
    }
    latencies.push(performance.now() - t);
  };
  const onAck = (ref: string, seq: number) => {
    const t = pendingSend.get(ref);
    pendingSend.delete(ref);
    if (t === undefined) return;
    sentAt.set(seq, t);
    // Records that arrived at watchers before the ack count from the send too.
    const early = seen.get(seq);
    if (early !== undefined) latencies.push(early - t);
  };

  const cookies = await Promise.all(Array.from({ length: WATCHERS + PLACERS + 2 }, (_, i) => session(url, `u${i}`)));
  await Promise.all(cookies.slice(0, WATCHERS).map((c, i) => open(url, c, addressOf(i), onPixel)));
  const placers = await Promise.all(cookies.slice(WATCHERS, WATCHERS + PLACERS).map((c, i) => open(url, c, addressOf(WATCHERS + i), undefined, onAck)));
  const flooderAddress = addressOf(WATCHERS + PLACERS);
  const slowAddress = addressOf(WATCHERS + PLACERS + 1);

  // History for the slow consumer to ask for: 20,000 placements, so each `sync` from 0 is ~180 KB.
  const filler = await Promise.all(Array.from({ length: 10 }, (_, i) => open(url, cookies[i], addressOf(1000 + i))));
  let filled = 0;
  await Promise.all(
    filler.map(
      (f, k) =>
        new Promise<void>((resolve) => {
          let n = 0;
          const tick = setInterval(() => {
            for (let i = 0; i < 10 && n < 2_000; i++, n++) f.ws.send(JSON.stringify({ type: "place", x: (k * 2_000 + n) % W, y: Math.floor((k * 2_000 + n) / W), color: n % 32 }));
            if (n >= 2_000) {
              clearInterval(tick);
              filled += n;
              f.ws.close();
              resolve();
            }
          }, 1_000);
        }),
    ),
  );

  let refN = 0;
  const runPhase = async (label: string, abuse: boolean) => {
    latencies.length = 0;
    const stopAt = performance.now() + PHASE_S * 1000;
    const timers = placers.map((p) =>
      setInterval(() => {
        if (p.ws.readyState !== WebSocket.OPEN) return;
        const ref = `p${++refN}`;
        pendingSend.set(ref, performance.now());
        p.ws.send(JSON.stringify({ type: "place", x: refN % W, y: Math.floor(refN / W) % W, color: refN % 32, ref }));
      }, PLACER_INTERVAL_MS),
    );
    const notes: string[] = [];
    if (abuse) {
      // The flooder: messages as fast as the socket takes them; reconnects when closed.
      let floodCloses = 0;
      let flooder = await open(url, cookies[WATCHERS + PLACERS], flooderAddress);
      let reopening = false;
      const flood = setInterval(() => {
        if (flooder.ws.readyState === WebSocket.OPEN) {
          for (let i = 0; i < 200; i++) flooder.ws.send('{"type":"ping"}');
        } else if (flooder.closeCode !== null && !reopening) {
          if (flooder.closeCode === 1008) floodCloses++;
          flooder.closeCode = null;
          reopening = true;
          void open(url, cookies[WATCHERS + PLACERS], flooderAddress)
            .then((f) => (flooder = f), () => {})
            .finally(() => (reopening = false));
        }
      }, 5);
      // The slow consumer: stops reading, keeps asking for the whole replay.
      const slow = await open(url, cookies[WATCHERS + PLACERS + 1], slowAddress);
      (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const syncs = setInterval(() => slow.ws.readyState === WebSocket.OPEN && slow.ws.send('{"type":"sync","since":0}'), 50);
      while (performance.now() < stopAt) await new Promise((r) => setTimeout(r, 100));
      clearInterval(flood);
      clearInterval(syncs);
      notes.push(`flooder closed with 1008 ${floodCloses} times`, `slow consumer ${slow.closeCode === null ? "still open" : `closed (${slow.closeCode})`}`);
      flooder.ws.terminate();
      slow.ws.terminate();
    } else {
      while (performance.now() < stopAt) await new Promise((r) => setTimeout(r, 100));
    }
    timers.forEach(clearInterval);
    const sorted = [...latencies].sort((a, b) => a - b);
    console.log(
      `${label.padEnd(34)} deliveries ${String(sorted.length).padStart(7)}  p50 ${percentile(sorted, 50).toFixed(1)} ms  p99 ${percentile(sorted, 99).toFixed(1)} ms  max ${sorted[sorted.length - 1]?.toFixed(1)} ms${notes.length ? `  (${notes.join(", ")})` : ""}`,
    );
  };

  void filled;
  console.log(`one replica, ${WATCHERS} watchers, ${PLACERS} placers at ${1000 / PLACER_INTERVAL_MS}/s each, ${PHASE_S} s per phase`);
  await runPhase("normal clients alone", false);
  await runPhase("with a flooder and a slow consumer", true);
  await server.stop("SIGTERM");
  fs.rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
}

void main();
