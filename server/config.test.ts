import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_CANVAS_HEIGHT, DEFAULT_CANVAS_WIDTH, DEFAULT_COOLDOWN_MS } from "../lib/limits";
import fs from "node:fs";
import { ConfigError, DEFAULTS, ENV_VARS, loadConfig } from "./config";

const SECRET = "0123456789abcdef0123";

/** Run loadConfig and return the ConfigError it throws (fails the test if it does not throw one). */
function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`loadConfig(${JSON.stringify(env)}) did not throw`);
}

describe("loadConfig defaults", () => {
  it("gives the documented defaults for an empty environment", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 3000,
      host: "0.0.0.0",
      databaseUrl: null,
      redisUrl: null,
      width: DEFAULT_CANVAS_WIDTH,
      height: DEFAULT_CANVAS_HEIGHT,
      cooldownMs: DEFAULT_COOLDOWN_MS,
      sessionSecret: null,
      allowedOrigins: null,
      logLevel: "info",
      maxConnectionsPerIp: DEFAULTS.maxConnectionsPerIp,
      sessionsPerIpPerMin: DEFAULTS.sessionsPerIpPerMin,
      placementsPerConnectionPerS: DEFAULTS.placementsPerConnectionPerS,
      trustProxy: false,
    });
    expect(c.dataDir).toBe(path.resolve("./data"));
    expect(c.instanceId).toMatch(/^tessera-[0-9a-f]{8}$/);
  });

  it("treats empty strings as unset", () => {
    const c = loadConfig({ PORT: "", CANVAS_WIDTH: "", DATABASE_URL: "", REDIS_URL: "", LOG_LEVEL: "" });
    expect(c.port).toBe(3000);
    expect(c.width).toBe(DEFAULT_CANVAS_WIDTH);
    expect(c.databaseUrl).toBeNull();
    expect(c.redisUrl).toBeNull();
    expect(c.logLevel).toBe("info");
  });

  it("reads valid values", () => {
    const c = loadConfig({
      PORT: "8080",
      HOST: "127.0.0.1",
      DATABASE_URL: "postgres://u:p@db:5432/tessera",
      REDIS_URL: "redis://cache:6379",
      SESSION_SECRET: SECRET,
      CANVAS_WIDTH: "4096",
      CANVAS_HEIGHT: "1",
      COOLDOWN_MS: "0",
      INSTANCE_ID: "replica-1",
      LOG_LEVEL: "debug",
      ALLOWED_ORIGINS: "https://a.example, http://localhost:3000",
      TRUST_PROXY: "TRUE",
      DATA_DIR: "/var/tessera",
    });
    expect(c).toMatchObject({
      port: 8080,
      host: "127.0.0.1",
      databaseUrl: "postgres://u:p@db:5432/tessera",
      redisUrl: "redis://cache:6379",
      sessionSecret: SECRET,
      width: 4096,
      height: 1,
      cooldownMs: 0,
      instanceId: "replica-1",
      logLevel: "debug",
      allowedOrigins: ["https://a.example", "http://localhost:3000"],
      trustProxy: true,
      dataDir: "/var/tessera",
    });
  });

  it("accepts postgresql:// and rediss://", () => {
    const c = loadConfig({ DATABASE_URL: "postgresql://db/x", SESSION_SECRET: SECRET, REDIS_URL: "rediss://cache:6380" });
    expect(c.databaseUrl).toBe("postgresql://db/x");
    expect(c.redisUrl).toBe("rediss://cache:6380");
  });

  it.each([
    ["1", true],
    ["true", true],
    ["0", false],
    ["false", false],
    ["False", false],
  ])("TRUST_PROXY=%s → %s", (v, expected) => {
    expect(loadConfig({ TRUST_PROXY: v }).trustProxy).toBe(expected);
  });
});

describe("loadConfig errors name the variable", () => {
  it.each<[string, Record<string, string>, string]>([
    ["CANVAS_WIDTH=0", { CANVAS_WIDTH: "0" }, "CANVAS_WIDTH"],
    ["CANVAS_WIDTH=4097", { CANVAS_WIDTH: "4097" }, "CANVAS_WIDTH"],
    ["CANVAS_HEIGHT=5000", { CANVAS_HEIGHT: "5000" }, "CANVAS_HEIGHT"],
    ["CANVAS_HEIGHT=10.5", { CANVAS_HEIGHT: "10.5" }, "CANVAS_HEIGHT"],
    ["PORT=abc", { PORT: "abc" }, "PORT"],
    ["PORT=65536", { PORT: "65536" }, "PORT"],
    ["COOLDOWN_MS=-1", { COOLDOWN_MS: "-1" }, "COOLDOWN_MS"],
    ["DATABASE_URL=not-a-url", { DATABASE_URL: "not-a-url", SESSION_SECRET: SECRET }, "DATABASE_URL"],
    ["DATABASE_URL=mysql://x", { DATABASE_URL: "mysql://x", SESSION_SECRET: SECRET }, "DATABASE_URL"],
    ["REDIS_URL=http://x", { REDIS_URL: "http://x" }, "REDIS_URL"],
    ["DATABASE_URL without SESSION_SECRET", { DATABASE_URL: "postgres://db/x" }, "SESSION_SECRET"],
    ["SESSION_SECRET too short", { SESSION_SECRET: "short" }, "SESSION_SECRET"],
    ["LOG_LEVEL=loud", { LOG_LEVEL: "loud" }, "LOG_LEVEL"],
    ["ALLOWED_ORIGINS with a path", { ALLOWED_ORIGINS: "https://example.com/app" }, "ALLOWED_ORIGINS"],
    ["ALLOWED_ORIGINS not a URL", { ALLOWED_ORIGINS: "example.com" }, "ALLOWED_ORIGINS"],
    ["TRUST_PROXY=maybe", { TRUST_PROXY: "maybe" }, "TRUST_PROXY"],
    ["INSTANCE_ID with a space", { INSTANCE_ID: "a b" }, "INSTANCE_ID"],
  ])("%s", (_label, env, variable) => {
    const err = configError(env);
    expect(err.message).toContain(variable);
  });

  it("reads CANVAS_CACHE_SECONDS from 0 (the default: no shared caching) to 60", () => {
    expect(loadConfig({}).canvasCacheSeconds).toBe(0);
    expect(loadConfig({ CANVAS_CACHE_SECONDS: "30" }).canvasCacheSeconds).toBe(30);
    expect(configError({ CANVAS_CACHE_SECONDS: "61" }).message).toBe("CANVAS_CACHE_SECONDS must be an integer from 0 to 60, got '61'");
  });

  it("quotes the bad value for integers", () => {
    expect(configError({ PORT: "abc" }).message).toBe("PORT must be an integer from 0 to 65535, got 'abc'");
  });

  it("lists the accepted URL schemes", () => {
    expect(configError({ REDIS_URL: "http://x" }).message).toBe("REDIS_URL must start with redis:// or rediss://");
    expect(configError({ DATABASE_URL: "mysql://x", SESSION_SECRET: SECRET }).message).toBe(
      "DATABASE_URL must start with postgres:// or postgresql://",
    );
  });

  it("keeps an origin written with a trailing slash usable (normalised) or rejects it", () => {
    // A browser's Origin header never ends with '/', so keeping "https://example.com/" verbatim
    // would make the gateway refuse every browser from that origin.
    let origins: string[] | null;
    try {
      origins = loadConfig({ ALLOWED_ORIGINS: "https://example.com/" }).allowedOrigins;
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toContain("ALLOWED_ORIGINS");
      return;
    }
    expect(origins).toEqual(["https://example.com"]);
  });
});

describe("revision 2 variables", () => {
  it("reads Sentinel, tokens, the metrics port and the boards limit", () => {
    const c = loadConfig({
      REDIS_SENTINELS: "s1:26379, [::1]:26380",
      REDIS_SENTINEL_NAME: "tessera",
      REDIS_PASSWORD: "pw",
      REDIS_SENTINEL_PASSWORD: "spw",
      ADMIN_TOKEN: "a".repeat(32),
      METRICS_TOKEN: "m".repeat(16),
      METRICS_PORT: "9464",
      METRICS_HOST: "10.0.0.5",
      BOARDS_PER_USER_PER_DAY: "0",
    });
    expect(c.redisSentinels).toEqual([
      { host: "s1", port: 26379 },
      { host: "::1", port: 26380 },
    ]);
    expect(c).toMatchObject({ redisSentinelName: "tessera", redisPassword: "pw", redisSentinelPassword: "spw", adminToken: "a".repeat(32), metricsToken: "m".repeat(16), metricsPort: 9464, metricsHost: "10.0.0.5", boardsPerUserPerDay: 0 });
    const d = loadConfig({});
    expect(d).toMatchObject({ redisSentinels: null, adminToken: null, metricsToken: null, metricsPort: null, metricsHost: "127.0.0.1", boardsPerUserPerDay: 5 });
  });

  it.each([
    ["a short admin token", { ADMIN_TOKEN: "short" }, "ADMIN_TOKEN"],
    ["a short metrics token", { METRICS_TOKEN: "short" }, "METRICS_TOKEN"],
    ["a bad metrics port", { METRICS_PORT: "70000" }, "METRICS_PORT"],
    ["sentinels without a name", { REDIS_SENTINELS: "s1:26379" }, "REDIS_SENTINEL_NAME"],
    ["a name without sentinels", { REDIS_SENTINEL_NAME: "tessera" }, "REDIS_SENTINELS"],
    ["a sentinel without a port", { REDIS_SENTINELS: "s1", REDIS_SENTINEL_NAME: "t" }, "REDIS_SENTINELS"],
    ["two different Redis passwords", { REDIS_URL: "redis://:a@h:6379", REDIS_PASSWORD: "b" }, "REDIS_PASSWORD"],
    ["a negative boards limit", { BOARDS_PER_USER_PER_DAY: "-1" }, "BOARDS_PER_USER_PER_DAY"],
  ])("refuses %s with a line naming the variable", (_label, env, variable) => {
    expect(configError(env).message).toContain(variable);
  });

  it("lists every variable it reads", () => {
    const source = fs.readFileSync(new URL("./config.ts", import.meta.url), "utf8");
    const read = new Set([...source.matchAll(/env\.([A-Z_]+)|Var\(env, "([A-Z_]+)"/g)].map((m) => m[1] ?? m[2]));
    for (const v of read) expect(ENV_VARS as readonly string[], v).toContain(v);
  });
});
