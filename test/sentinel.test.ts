// server/cluster/redis-connect.ts against real processes: a password-protected `redis-server` master
// and replica, three password-protected sentinels (`redis-server <conf> --sentinel`), and a kill -9
// of the master while messages are published continuously through the module. The replica must be
// promoted and the same publisher and subscriber must reach it by themselves. Also: the REDIS_URL
// mode across a Redis restart, and the configuration parser.

import fs from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../server/config";
import { createRedisConnections, parseSentinels, type RedisConnections, validateRedisOptions } from "../server/cluster/redis-connect";
import { tempDir } from "./helpers";
import { RedisProcess, redisQuery, respFields, type SentinelProcess, SentinelTopology } from "./processes";
import { waitFor } from "./wait";

const NAME = "tessera-main";
const REDIS_PASSWORD = "redis-pass-0123456789";
const SENTINEL_PASSWORD = "sentinel-pass-0123456789";
// Low enough for a quick test, high enough that two busy shared cores do not cause false failovers.
const DOWN_AFTER_MS = 1_000;
const FAILOVER_TIMEOUT_MS = 3_000;
/** Load: one message per this many ms through the module's publisher. */
const PUBLISH_EVERY_MS = 10;

describe("parseSentinels (REDIS_SENTINELS)", () => {
  it("reads host:port lists: names, IPv4, bracketed IPv6, spaces around entries", () => {
    expect(parseSentinels("10.0.0.1:26379")).toEqual([{ host: "10.0.0.1", port: 26379 }]);
    expect(parseSentinels(" redis-sentinel-0.redis-headless.db.svc:26379 , redis-sentinel-1:26380,[::1]:5000")).toEqual([
      { host: "redis-sentinel-0.redis-headless.db.svc", port: 26379 },
      { host: "redis-sentinel-1", port: 26380 },
      { host: "::1", port: 5000 },
    ]);
  });

  it.each([
    ["", /REDIS_SENTINELS is empty/],
    [" , ", /REDIS_SENTINELS is empty/],
    ["a:1,,b:2", /REDIS_SENTINELS has an empty entry/],
    ["a:1,", /REDIS_SENTINELS has an empty entry/],
    ["sentinel", /REDIS_SENTINELS entry 'sentinel' is not host:port/],
    ["sentinel:", /REDIS_SENTINELS entry 'sentinel:' is not host:port/],
    [":26379", /REDIS_SENTINELS entry ':26379' is not host:port/],
    ["sentinel:0", /REDIS_SENTINELS entry 'sentinel:0' is not host:port/],
    ["sentinel:65536", /REDIS_SENTINELS entry 'sentinel:65536'/],
    ["sentinel:26379x", /REDIS_SENTINELS entry 'sentinel:26379x'/],
    ["redis://sentinel:26379", /REDIS_SENTINELS entry 'redis:\/\/sentinel:26379'/],
    ["-bad-:26379", /REDIS_SENTINELS entry '-bad-:26379'/],
    ["under_score:26379", /REDIS_SENTINELS entry 'under_score:26379'/],
    ["::1:26379", /REDIS_SENTINELS entry '::1:26379'/],
    ["[nothex]:26379", /REDIS_SENTINELS entry '\[nothex\]:26379'/],
    ["a:1,A:1", /REDIS_SENTINELS lists A:1 twice/],
  ])("refuses %j with an error naming the variable", (raw, message) => {
    expect(() => parseSentinels(raw)).toThrow(ConfigError);
    expect(() => parseSentinels(raw)).toThrow(message);
  });
});

describe("validateRedisOptions", () => {
  const sentinels = [{ host: "s", port: 26379 }];
  it.each([
    [{ sentinels }, /REDIS_SENTINELS is set but REDIS_SENTINEL_NAME is not/],
    [{ sentinelName: "m" }, /REDIS_SENTINEL_NAME is set but REDIS_SENTINELS is not/],
    [{ sentinels, sentinelName: "bad name" }, /REDIS_SENTINEL_NAME must be/],
    [{}, /REDIS_URL, or REDIS_SENTINELS and REDIS_SENTINEL_NAME/],
    [{ url: "http://x" }, /REDIS_URL must start with redis:\/\/ or rediss:\/\//],
    [{ url: "not a url" }, /REDIS_URL is not a valid URL/],
    [{ url: "redis://:a@x", password: "b" }, /REDIS_URL's password and REDIS_PASSWORD differ/],
    [{ url: "rediss://x", tls: false }, /REDIS_URL asks for TLS/],
    [{ url: "redis://x/db", sentinels, sentinelName: "m" }, /REDIS_URL's path must be a database number/],
  ])("refuses %j", (opts, message) => {
    expect(() => validateRedisOptions(opts)).toThrow(ConfigError);
    expect(() => validateRedisOptions(opts)).toThrow(message);
    expect(() => createRedisConnections(opts)).toThrow(message);
  });

  it("accepts the SPEC §14 forms", () => {
    expect(() => validateRedisOptions({ url: "rediss://:pw@redis:6379/0" })).not.toThrow();
    expect(() => validateRedisOptions({ sentinels, sentinelName: "mymaster", password: "pw" })).not.toThrow();
    // Sentinel mode with the password (and TLS) carried by REDIS_URL.
    expect(() => validateRedisOptions({ sentinels, sentinelName: "mymaster", url: "rediss://:pw@ignored" })).not.toThrow();
    expect(() => validateRedisOptions({ url: "redis://:same@x", password: "same" })).not.toThrow();
  });
});

/** Everything the module reported, so a test can assert nothing escaped to the process. */
function recorder() {
  const errors: string[] = [];
  const status: Array<{ ready: boolean; at: number }> = [];
  return {
    errors,
    status,
    onError: (e: Error) => errors.push(e.message),
    watch(c: RedisConnections) {
      c.onStatus((ready) => status.push({ ready, at: Date.now() }));
    },
  };
}

describe("Redis Sentinel: a kill -9 of the master is followed without a restart", () => {
  let dir = "";
  let topology: SentinelTopology | undefined;
  let master: RedisProcess;
  let replica: RedisProcess;
  let sentinels: SentinelProcess[] = [];
  let conns: RedisConnections | undefined;

  beforeAll(async () => {
    dir = tempDir("tessera-sentinel-");
    topology = await SentinelTopology.start(dir, {
      masterName: NAME,
      password: REDIS_PASSWORD,
      sentinelPassword: SENTINEL_PASSWORD,
      downAfterMs: DOWN_AFTER_MS,
      failoverTimeoutMs: FAILOVER_TIMEOUT_MS,
    });
    ({ master, replica, sentinels } = topology);
  }, 60_000);

  afterAll(async () => {
    await conns?.close();
    await topology?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("finds the master through the sentinels, then follows the failover to the promoted replica", async () => {
    const rec = recorder();
    const c = createRedisConnections({
      sentinels: sentinels.map((s) => ({ host: "127.0.0.1", port: s.port })),
      sentinelName: NAME,
      password: REDIS_PASSWORD,
      sentinelPassword: SENTINEL_PASSWORD,
      onError: rec.onError,
    });
    conns = c;
    rec.watch(c);
    expect(c.mode).toBe("sentinel");
    c.start();
    await waitFor(() => c.ready, 15_000, "the sentinel connections to be ready");
    expect(c.master()).toBe(`127.0.0.1:${master.port}`);

    // Each message is its number; `received` maps number → time of receipt.
    const received = new Map<number, number>();
    const onMessage = (m: string) => {
      const n = Number(m);
      if (!received.has(n)) received.set(n, Date.now());
    };
    await c.subscriber.subscribe("failover-test", onMessage);
    expect(c.subscriber.active.has("failover-test")).toBe(true);

    // Continuous load through the module's publisher, ungated: it also shows what happens to
    // publishes issued during the failover (node-redis holds them for the new master, or fails them).
    let next = 0;
    let acked = 0;
    let failed = 0;
    const issuedAt = new Map<number, number>();
    const load = setInterval(() => {
      const n = ++next;
      issuedAt.set(n, Date.now());
      c.publisher.publish("failover-test", String(n)).then(
        () => acked++,
        () => failed++,
      );
    }, PUBLISH_EVERY_MS);

    try {
      await waitFor(() => received.size >= 20, 10_000, "messages to flow before the kill");

      const lastBeforeKill = next;
      const killedAt = Date.now();
      await master.kill();
      // Asked for during the outage: this SUBSCRIBE cannot succeed on the dead master and must
      // happen on the new one by itself.
      const lateReceived: string[] = [];
      let lateConfirmed = false;
      let lateError = "";
      c.subscriber.subscribe("asked-during-outage", (m) => lateReceived.push(m)).then(
        () => (lateConfirmed = true),
        (e: Error) => (lateError = e.message),
      );

      // When each sentinel's master entry (what node-redis reads, SENTINEL MASTER) switches to the
      // promoted replica: the sentinels' part of the delay, told apart from the client's. The
      // failover's leader switches first; the others learn it from its hello messages.
      const switchedAt = new Map<number, number>();
      const switched = waitFor(
        async () => {
          for (const s of sentinels) {
            if (!switchedAt.has(s.port) && respFields(await s.query("master", NAME)).port === String(replica.port)) switchedAt.set(s.port, Date.now());
          }
          return switchedAt.size === sentinels.length;
        },
        30_000,
        "every sentinel's master entry to switch",
      );

      // The lost master shows at once (its connections drop), long before the sentinels act.
      await waitFor(() => !c.ready, DOWN_AFTER_MS, "the module to report the master lost");
      const firstAgain = await waitFor(
        () => [...received].filter(([n]) => n > lastBeforeKill).sort((a, b) => a[1] - b[1])[0],
        30_000,
        "a message published after the kill to be received",
      );
      const recoveredMs = firstAgain[1] - killedAt;
      await switched;
      const [firstSwitchMs, lastSwitchMs] = [Math.min(...switchedAt.values()) - killedAt, Math.max(...switchedAt.values()) - killedAt];

      // The replica was promoted, and the module's connections are on it.
      const role = await redisQuery(replica.port, ["ROLE"], REDIS_PASSWORD);
      expect(Array.isArray(role) && role[0]).toBe("master");
      for (const s of sentinels) {
        await waitFor(
          async () => {
            const addr = await s.query("get-master-addr-by-name", NAME);
            return Array.isArray(addr) && addr[1] === String(replica.port);
          },
          10_000,
          `sentinel ${s.port} to name the replica as master`,
        );
      }
      await waitFor(() => c.ready, 10_000, "the module to be ready again");
      expect(c.master()).toBe(`127.0.0.1:${replica.port}`);

      // Once ready again, every message issued from then on arrives (pub/sub itself is
      // at-most-once; what matters is that the subscription is live on the new master).
      const readyAgainFrom = next + 1;
      await waitFor(() => next >= readyAgainFrom + 100, 10_000, "100 more publishes");
      const until = next;
      await waitFor(
        () => {
          for (let n = readyAgainFrom; n <= until; n++) if (!received.has(n)) return false;
          return true;
        },
        10_000,
        "every message published after the recovery",
      );

      await waitFor(
        () => {
          if (lateError) throw new Error(`the subscription asked for during the outage failed: ${lateError}`);
          return lateConfirmed;
        },
        10_000,
        "the subscription asked for during the outage to be confirmed",
      );
      expect(c.subscriber.active.has("asked-during-outage")).toBe(true);
      await c.publisher.publish("asked-during-outage", "hello");
      await waitFor(() => lateReceived.includes("hello"), 5_000, "the subscription asked for during the outage to deliver");

      const lost = [...issuedAt.keys()].filter((n) => n > lastBeforeKill && n < readyAgainFrom && !received.has(n)).length;
      const statusLine = rec.status.filter((s) => s.at >= killedAt).map((s) => `${s.ready ? "up" : "down"} +${s.at - killedAt} ms`).join(", ");
      console.log(
        `sentinel failover: kill -9 of the master → first message received again after ${recoveredMs} ms ` +
          `(down-after-milliseconds ${DOWN_AFTER_MS}, failover-timeout ${FAILOVER_TIMEOUT_MS}; ` +
          `the sentinels switched their master entry after ${firstSwitchMs}…${lastSwitchMs} ms); ` +
          `status after the kill: ${statusLine || "none"}; publishes during the outage: ` +
          `${readyAgainFrom - lastBeforeKill - 1} issued, ${lost} of them never received (at-most-once); ` +
          `totals: ${acked} acked, ${failed} failed publishes; ${rec.errors.length} client errors reported`,
      );
      expect(rec.status.some((s) => !s.ready && s.at >= killedAt)).toBe(true);
      expect(rec.status.at(-1)?.ready).toBe(true);
      expect(rec.errors.length).toBeGreaterThan(0); // the drop was reported through the listener, not thrown
    } finally {
      clearInterval(load);
    }
  }, 90_000);
});

describe("REDIS_URL mode: the same handle across a Redis restart", () => {
  let redis: RedisProcess;
  let conns: RedisConnections | undefined;

  beforeAll(async () => {
    redis = await RedisProcess.start(["--requirepass", REDIS_PASSWORD]);
  });
  afterEach(async () => {
    await conns?.close();
    conns = undefined;
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it("passes messages, reports the outage, resubscribes by itself, and subscribes what was asked meanwhile", async () => {
    const rec = recorder();
    // The password through REDIS_PASSWORD, not the URL.
    const c = createRedisConnections({ url: redis.url, password: REDIS_PASSWORD, onError: rec.onError });
    conns = c;
    rec.watch(c);
    expect(c.mode).toBe("url");
    c.start();
    await waitFor(() => c.ready, 10_000, "ready");
    const got: string[] = [];
    await c.subscriber.subscribe("url-test", (m) => got.push(m));
    await c.publisher.publish("url-test", "one");
    await waitFor(() => got.includes("one"), 5_000, "the first message");

    await redis.kill();
    await waitFor(() => !c.ready, 5_000, "the outage to show");
    // No offline queue on the publisher: a publish during the outage fails at once.
    await expect(c.publisher.publish("url-test", "lost")).rejects.toThrow();
    const lateGot: string[] = [];
    const late = c.subscriber.subscribe("url-late", (m) => lateGot.push(m));

    await redis.start();
    await waitFor(() => c.ready, 10_000, "ready again");
    await late;
    await c.publisher.publish("url-test", "two");
    await c.publisher.publish("url-late", "three");
    await waitFor(() => got.includes("two") && lateGot.includes("three"), 5_000, "messages after the restart");
    expect(got).not.toContain("lost");

    // Unsubscribing stops delivery at once, even before Redis confirms.
    c.subscriber.unsubscribe("url-test");
    await c.publisher.publish("url-test", "after-unsubscribe");
    await c.publisher.publish("url-late", "marker");
    await waitFor(() => lateGot.includes("marker"), 5_000, "the marker");
    expect(got).not.toContain("after-unsubscribe");
    expect(rec.status.map((s) => s.ready)).toEqual([true, false, true]);
  });
});
