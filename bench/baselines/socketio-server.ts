// The baseline: a pixel canvas as most developers would first build it — Socket.IO with the Redis
// adapter so several processes share the broadcast, and one JSON event per pixel via io.emit().
// The board lives in a Redis hash. Written for the benchmark only; it does less work than Tessera
// (no database transaction, no sequence numbers, no cooldown), which favours it.
//
//   PORT=4001 REDIS_URL=redis://127.0.0.1:6379 node --import tsx bench/baselines/socketio-server.ts

import { createServer } from "node:http";
import { createAdapter } from "@socket.io/redis-adapter";
import { createClient } from "redis";
import { Server } from "socket.io";

const PORT = Number(process.env.PORT ?? 4001);
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const WIDTH = 1000;
const HEIGHT = 1000;
const COLORS = 32;

async function main(): Promise<void> {
  const pubClient = createClient({ url: REDIS_URL });
  const subClient = pubClient.duplicate();
  const store = pubClient.duplicate();
  for (const c of [pubClient, subClient, store]) c.on("error", (err: Error) => console.error("redis:", err.message));
  await Promise.all([pubClient.connect(), subClient.connect(), store.connect()]);

  const httpServer = createServer((req, res) => {
    if (req.url === "/health") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: true, clients: io.engine.clientsCount }));
      return;
    }
    res.writeHead(404);
    res.end();
  });
  const io = new Server(httpServer, { adapter: createAdapter(pubClient, subClient), cors: { origin: "*" } });

  io.on("connection", (socket) => {
    const username = String(socket.handshake.auth?.name ?? "anonymous").slice(0, 24);

    socket.on("place", async (data: { x: number; y: number; color: number }, ack?: (r: unknown) => void) => {
      const { x, y, color } = data ?? {};
      const valid = [x, y, color].every(Number.isInteger) && x >= 0 && x < WIDTH && y >= 0 && y < HEIGHT && color >= 0 && color < COLORS;
      if (!valid) {
        ack?.({ ok: false, error: "invalid_pixel" });
        return;
      }
      try {
        await store.hSet("canvas", `${x}:${y}`, color);
      } catch {
        ack?.({ ok: false, error: "unavailable" });
        return;
      }
      // Every client of every process gets this event (the adapter relays it through Redis).
      io.emit("pixel_updated", { type: "pixel_updated", x, y, color, username, timestamp: Date.now() });
      ack?.({ ok: true });
    });
  });

  httpServer.listen(PORT, "127.0.0.1", () => console.log(`baseline listening on ${PORT}`));
  const stop = () => {
    void io.close();
    void Promise.allSettled([pubClient.quit(), subClient.quit(), store.quit()]).then(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

void main();
