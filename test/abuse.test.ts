// Abuse limits and hygiene over real sockets: placement rate limits, flooding closed with 1008,
// slow consumers dropped without hurting others, per-IP caps, /metrics, and logs that carry no
// cookies or secrets.

import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FLOOD_TOLERANCE_MESSAGES } from "../lib/limits";
import { startTessera } from "../server/app";
import { loadConfig } from "../server/config";
import { fetchBoard, newSession, startTestServer, tempDir, TestClient, waitFor } from "./helpers";

describe("rate limits", () => {
  let srv: Awaited<ReturnType<typeof startTestServer>>;
  beforeAll(async () => {
    srv = await startTestServer({
      env: { PLACEMENTS_PER_CONNECTION_PER_S: "5", MAX_CONNECTIONS_PER_IP: "3", SESSIONS_PER_IP_PER_MIN: "4", COOLDOWN_MS: "0" },
    });
  });
  afterAll(() => srv.close());

  it("rejects placements beyond the burst with rate_limited, and closes a sustained flood with 1008", async () => {
    const { cookie } = await newSession(srv.url, "eager");
    const c = await TestClient.connect(srv.url, cookie);
    const results = await Promise.all(Array.from({ length: 14 }, (_, i) => c.place(i, 0, 1)));
    const accepted = results.filter((r) => r.type === "ack").length;
    // Burst of 2 s × 5/s = 10 placements, plus what refilled meanwhile.
    expect(accepted).toBeGreaterThanOrEqual(10);
    expect(accepted).toBeLessThan(14);
    const limited = results.find((r) => r.type === "reject");
    expect(limited).toMatchObject({ code: "rate_limited", retryAfterMs: expect.any(Number) });

    const bystander = await TestClient.connect(srv.url, (await newSession(srv.url, "calm")).cookie);
    const flooder = await TestClient.connect(srv.url, (await newSession(srv.url, "flood")).cookie);
    const before = await fetchBoard(srv.url);
    for (let i = 0; i < 40 + FLOOD_TOLERANCE_MESSAGES * 3 && flooder.closeCode === null; i++) flooder.send({ type: "ping" });
    expect(await flooder.waitClosed()).toBe(1008);
    expect(flooder.messages.some((m) => m.type === "error" && m.code === "rate_limited")).toBe(true);
    // Others are untouched and the board did not change.
    const from = bystander.messages.length;
    bystander.send({ type: "ping" });
    await bystander.next("pong", () => true, from);
    expect((await fetchBoard(srv.url)).seq).toBe(before.seq);
    c.close();
    bystander.close();
  });

  it("caps connections and session creation per IP", async () => {
    // Sessions: the earlier test made 3 of this minute's 4.
    const { cookie } = await newSession(srv.url, "last");
    const res = await fetch(`${srv.url}/api/session`, { method: "POST", body: JSON.stringify({ name: "one-too-many" }) });
    expect(res.status).toBe(429);
    expect((await res.json()).error.code).toBe("rate_limited");

    await waitFor(async () => (await (await fetch(`${srv.url}/api/stats`)).json()).connections === 0, 5_000, "earlier sockets to close");
    const open = await Promise.all([1, 2, 3].map(() => TestClient.connect(srv.url, cookie)));
    await expect(TestClient.connect(srv.url, cookie)).rejects.toThrow(/429/);
    open[0].close();
    await waitFor(async () => {
      try {
        (await TestClient.connect(srv.url, cookie)).close();
        return true;
      } catch {
        return false;
      }
    }, 5_000, "a free connection slot");
    for (const c of open) c.close();
  });
});

describe("slow consumers", () => {
  it("drops a client that stops reading, while the others keep receiving", async () => {
    const srv = await startTestServer({ env: { CANVAS_WIDTH: "300", CANVAS_HEIGHT: "300" } });
    try {
      const { cookie } = await newSession(srv.url, "fast");
      const painter = await TestClient.connect(srv.url, cookie);
      // 20,000 placements in the replay window: each `sync` from 0 replays ~180 KB.
      const batch = 2_000;
      for (let done = 0; done < 20_000; done += batch) {
        await Promise.all(Array.from({ length: batch }, (_, i) => painter.place((done + i) % 300, Math.floor((done + i) / 300) % 300, (done + i) % 32)));
      }
      const slow = await TestClient.connect(srv.url, cookie);
      const normal = await TestClient.connect(srv.url, cookie);
      // Stop reading from the socket: the server's send buffer for it can only grow.
      (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      for (let i = 0; i < 200; i++) slow.send({ type: "sync", since: 0 });
      await waitFor(() => srv.gateway.counters.slowClosed > 0, 20_000, "the slow consumer to be dropped");
      const ack = await painter.place(1, 1, 7);
      if (ack.type !== "ack") throw new Error("expected ack");
      await normal.waitForSeqs([ack.seq]);
      painter.close();
      normal.close();
      slow.ws.terminate();
    } finally {
      await srv.close();
    }
  }, 60_000);
});

describe("observability and hygiene", () => {
  it("exposes Prometheus metrics and never logs cookies or the session secret", async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const secret = "hygiene-secret-0123456789abcdef";
    const metricsToken = "hygiene-metrics-token-0123456789";
    const config = loadConfig({ PORT: "0", HOST: "127.0.0.1", DATA_DIR: tempDir(), SESSION_SECRET: secret, COOLDOWN_MS: "0", LOG_LEVEL: "trace", METRICS_TOKEN: metricsToken });
    const log = pino({ level: "trace", base: { instanceId: config.instanceId } }, sink);
    const srv = await startTessera(config, { log });
    try {
      const { cookie } = await newSession(srv.url, "observed");
      const c = await TestClient.connect(srv.url, cookie);
      await c.place(2, 2, 2);
      await c.place(9999, 2, 2);
      c.send("{broken");
      await fetch(`${srv.url}/api/session`, { headers: { cookie: "tessera_session=v1.forged.sig" } });
      expect((await fetch(`${srv.url}/metrics`)).status).toBe(404); // private (SPEC §14)
      const metrics = await (await fetch(`${srv.url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })).text();
      for (const name of [
        "tessera_connections",
        "tessera_ws_messages_total",
        "tessera_placements_accepted_total",
        'tessera_placements_rejected_total{reason="invalid_pixel"',
        "tessera_redis_status",
        "tessera_fanout_latency_seconds_bucket",
      ]) {
        expect(metrics).toContain(name);
      }
      expect(metrics).toMatch(/tessera_placements_accepted_total\{[^}]*\} 1\n/);
      c.close();
    } finally {
      await srv.close();
    }
    const all = lines.join("");
    expect(lines.length).toBeGreaterThan(0);
    expect(all).toContain(config.instanceId);
    expect(all).not.toContain(secret);
    expect(all).not.toContain(metricsToken);
    expect(all).not.toContain("tessera_session=");
  });
});
