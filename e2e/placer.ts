// Placing many pixels from the test process over the WebSocket protocol (SPEC §4), for specs that
// need a filled board or a burst of traffic. Needs a server with COOLDOWN_MS=0 and
// PLACEMENTS_PER_CONNECTION_PER_S=0 (see GENEROUS_LIMITS in server-process.ts).

import WebSocket from "ws";

export interface Placement {
  x: number;
  y: number;
  color: number;
}

/** One protocol client that sends `place` frames and counts the answers. */
export class WsPlacer {
  acked = 0;
  rejected = 0;
  maxSeq = 0;
  private waiters: Array<() => void> = [];
  private ref = 0;

  private constructor(private readonly ws: WebSocket) {
    ws.on("message", (data, isBinary) => {
      if (isBinary) return;
      const m = JSON.parse(data.toString()) as { type: string; seq?: number };
      if (m.type === "ack") {
        this.acked++;
        if (typeof m.seq === "number" && m.seq > this.maxSeq) this.maxSeq = m.seq;
      } else if (m.type === "reject") {
        this.rejected++;
      } else return;
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** A placer on `board` (default: the socket without a board, which is main). */
  static async connect(baseUrl: string, cookie: string, board?: string): Promise<WsPlacer> {
    const ws = new WebSocket(baseUrl.replace(/^http/, "ws") + "/ws" + (board ? `?board=${encodeURIComponent(board)}` : ""), { headers: { cookie } });
    const placer = new WsPlacer(ws);
    await new Promise<void>((resolve, reject) => {
      ws.on("message", function first(data, isBinary) {
        if (!isBinary && JSON.parse(data.toString()).type === "welcome") {
          ws.off("message", first);
          resolve();
        }
      });
      ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once("error", reject);
    });
    return placer;
  }

  get answered(): number {
    return this.acked + this.rejected;
  }

  send(p: Placement): void {
    this.ws.send(JSON.stringify({ type: "place", x: p.x, y: p.y, color: p.color, ref: `p${++this.ref}` }));
  }

  /** Resolves once `count` placements have been answered (ack or reject). */
  async waitAnswered(count: number, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.answered < count) {
      if (Date.now() > deadline) throw new Error(`only ${this.answered}/${count} placements answered`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 200);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.ws.close();
  }
}

/** `count` distinct random pixels of a width×height board, colours 1…paletteSize-1. */
export function randomPlacements(count: number, width: number, height: number, paletteSize: number, seed = 1): Placement[] {
  let s = seed >>> 0 || 1;
  const rnd = () => {
    // xorshift32: deterministic, so a failing run can be replayed.
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
  const seen = new Set<number>();
  const out: Placement[] = [];
  while (out.length < count) {
    const i = Math.floor(rnd() * width * height);
    if (seen.has(i)) continue;
    seen.add(i);
    out.push({ x: i % width, y: Math.floor(i / width), color: 1 + Math.floor(rnd() * (paletteSize - 1)) });
  }
  return out;
}

/**
 * Send `placements` spread over `durationMs` (0: all at once) round-robin over the placers, in
 * ticks of `tickMs`; resolves when every one is answered. Returns this call's acked/rejected counts.
 */
export async function placeSpread(placers: WsPlacer[], placements: Placement[], durationMs: number, tickMs = 10): Promise<{ acked: number; rejected: number }> {
  const before = placers.map((p) => p.answered);
  const ackedBefore = placers.reduce((n, p) => n + p.acked, 0);
  const rejectedBefore = placers.reduce((n, p) => n + p.rejected, 0);
  const perPlacer = placers.map(() => 0);
  const ticks = Math.max(1, Math.round(durationMs / tickMs));
  const perTick = Math.ceil(placements.length / ticks);
  const start = Date.now();
  let next = 0;
  for (let t = 0; next < placements.length; t++) {
    const target = start + t * tickMs;
    const wait = target - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    for (let k = 0; k < perTick && next < placements.length; k++, next++) {
      const i = next % placers.length;
      placers[i].send(placements[next]);
      perPlacer[i]++;
    }
  }
  await Promise.all(placers.map((p, i) => p.waitAnswered(before[i] + perPlacer[i])));
  const acked = placers.reduce((n, p) => n + p.acked, 0) - ackedBefore;
  const rejected = placers.reduce((n, p) => n + p.rejected, 0) - rejectedBefore;
  return { acked, rejected };
}
