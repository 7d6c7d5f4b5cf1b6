// People made from the test process: sessions over HTTP and sockets over the WebSocket protocol
// (SPEC §4, §9, §11), for specs that need a crowd on a board or cursors moving. Needs a server
// with generous per-IP limits (e2e/server-process.ts GENEROUS_LIMITS).

import WebSocket from "ws";
import { apiSession } from "./server-process";

export interface Bot {
  user: { id: string; name: string };
  cookie: string;
  ws: WebSocket;
  /** Text frames received (parsed). */
  received: Array<{ type: string; [k: string]: unknown }>;
}

/** Open a socket on `board` as the session `cookie`; resolves on its welcome. */
export async function connectBot(baseUrl: string, board: string, session: { cookie: string; user: { id: string; name: string } }): Promise<Bot> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/ws?board=${encodeURIComponent(board)}`, { headers: { cookie: session.cookie, origin: baseUrl } });
  const bot: Bot = { user: session.user, cookie: session.cookie, ws, received: [] };
  await new Promise<void>((resolve, reject) => {
    ws.on("message", (data, isBinary) => {
      if (isBinary) return;
      const m = JSON.parse(data.toString()) as Bot["received"][number];
      bot.received.push(m);
      if (m.type === "welcome") resolve();
    });
    ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once("error", reject);
  });
  return bot;
}

/** `count` people named `${prefix} 000`, `${prefix} 001`… each with a socket on `board`, made a few at a time. */
export async function openBots(baseUrl: string, board: string, count: number, prefix: string, parallel = 10): Promise<Bot[]> {
  const bots: Bot[] = [];
  for (let i = 0; i < count; i += parallel) {
    const batch = Array.from({ length: Math.min(parallel, count - i) }, (_, k) => i + k);
    bots.push(...(await Promise.all(batch.map(async (n) => connectBot(baseUrl, board, await apiSession(baseUrl, `${prefix} ${String(n).padStart(3, "0")}`))))));
  }
  return bots;
}

/** Send a raw client message. */
export function send(bot: Bot, msg: object): void {
  if (bot.ws.readyState === WebSocket.OPEN) bot.ws.send(JSON.stringify(msg));
}

export function closeBots(bots: Bot[]): void {
  for (const b of bots) b.ws.close();
}

/**
 * Move every bot's cursor around its own circle on a `width`×`height` board, `perSecond` moves a
 * second each, until the returned stop() is called.
 */
export function circleCursors(bots: Bot[], width: number, height: number, perSecond: number): () => void {
  let tick = 0;
  const timer = setInterval(() => {
    tick++;
    bots.forEach((b, i) => {
      const cx = ((i * 37) % (width - 20)) + 10;
      const cy = ((i * 53) % (height - 20)) + 10;
      const a = (tick + i) / 4;
      send(b, { type: "cursor", x: Math.round(cx + 8 * Math.cos(a)), y: Math.round(cy + 8 * Math.sin(a)) });
    });
  }, 1000 / perSecond);
  return () => clearInterval(timer);
}
