// Configuration from environment variables (SPEC §2). Bad values stop the process at start with
// one line naming the variable; nothing downstream re-reads process.env.

import { randomBytes } from "node:crypto";
import path from "node:path";
import { parseSentinels, validateRedisOptions } from "./cluster/redis-connect";
import { ConfigError } from "./config-error";
import {
  ADMIN_TOKEN_MIN_CHARS,
  DEFAULT_BOARDS_PER_USER_PER_DAY,
  DEFAULT_CANVAS_HEIGHT,
  DEFAULT_CANVAS_WIDTH,
  DEFAULT_COOLDOWN_MS,
  MAX_CANVAS_SIDE,
  SESSION_SECRET_MIN_CHARS,
} from "../lib/limits";

export interface Config {
  port: number;
  host: string;
  databaseUrl: string | null;
  dataDir: string;
  redisUrl: string | null;
  /** Sentinels to ask for the master (SPEC §14); null = connect to REDIS_URL directly. */
  redisSentinels: Array<{ host: string; port: number }> | null;
  redisSentinelName: string | null;
  /** Redis password when not in REDIS_URL. */
  redisPassword: string | null;
  /** The sentinels' own password, when they ask for one (not the Redis password). */
  redisSentinelPassword: string | null;
  width: number;
  height: number;
  cooldownMs: number;
  instanceId: string;
  /** null in embedded mode until the storage layer loads or creates the kept secret. */
  sessionSecret: string | null;
  /** null = same origin as the page (Host header). */
  allowedOrigins: string[] | null;
  logLevel: string;
  maxConnectionsPerIp: number;
  sessionsPerIpPerMin: number;
  placementsPerConnectionPerS: number;
  trustProxy: boolean;
  boardsPerUserPerDay: number;
  /** Bearer token of the admin API (SPEC §12); null = no admin API. */
  adminToken: string | null;
  /** Bearer token that may read /metrics on the main port; null = not there. */
  metricsToken: string | null;
  /** A separate port for /metrics (on METRICS_HOST, default 127.0.0.1); null = none. */
  metricsPort: number | null;
  metricsHost: string;
  /**
   * Seconds a shared cache (a CDN) may keep GET …/canvas and …/canvas.png (`s-maxage`); 0 = none,
   * every request revalidated (`no-cache`). Pages replay what a cached body lacks over the socket.
   */
  canvasCacheSeconds: number;
}

/** Every environment variable Tessera reads (deployment manifests are checked against it). */
export const ENV_VARS = [
  "PORT", "HOST", "DATABASE_URL", "DATA_DIR", "REDIS_URL", "REDIS_SENTINELS", "REDIS_SENTINEL_NAME", "REDIS_PASSWORD", "REDIS_SENTINEL_PASSWORD",
  "CANVAS_WIDTH", "CANVAS_HEIGHT", "COOLDOWN_MS", "INSTANCE_ID", "SESSION_SECRET", "ALLOWED_ORIGINS", "LOG_LEVEL",
  "MAX_CONNECTIONS_PER_IP", "SESSIONS_PER_IP_PER_MIN", "PLACEMENTS_PER_CONNECTION_PER_S", "TRUST_PROXY",
  "BOARDS_PER_USER_PER_DAY", "ADMIN_TOKEN", "METRICS_TOKEN", "METRICS_PORT", "METRICS_HOST", "CANVAS_CACHE_SECONDS",
] as const;

export const DEFAULTS = {
  port: 3000,
  maxConnectionsPerIp: 20,
  sessionsPerIpPerMin: 10,
  placementsPerConnectionPerS: 10,
} as const;

export { ConfigError };

type Env = Record<string, string | undefined>;

function intVar(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got '${raw}'`);
  }
  return n;
}

function urlVar(env: Env, name: string, protocols: string[]): string | null {
  const raw = env[name];
  if (raw === undefined || raw === "") return null;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a valid URL`);
  }
  if (!protocols.includes(u.protocol)) {
    throw new ConfigError(`${name} must start with ${protocols.map((p) => p + "//").join(" or ")}`);
  }
  return raw;
}

/** A secret bearer token: unset → null; set → at least `min` characters. */
function tokenVar(env: Env, name: string, min: number): string | null {
  const raw = env[name];
  if (raw === undefined || raw === "") return null;
  if (raw.length < min) throw new ConfigError(`${name} must be at least ${min} characters`);
  return raw;
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** Read and validate the configuration; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const databaseUrl = urlVar(env, "DATABASE_URL", ["postgres:", "postgresql:"]);
  const redisUrl = urlVar(env, "REDIS_URL", ["redis:", "rediss:"]);
  const sessionSecret = env.SESSION_SECRET || null;
  if (databaseUrl && !sessionSecret) {
    throw new ConfigError("SESSION_SECRET is required when DATABASE_URL is set (all replicas must share it)");
  }
  if (sessionSecret && sessionSecret.length < SESSION_SECRET_MIN_CHARS) {
    throw new ConfigError(`SESSION_SECRET must be at least ${SESSION_SECRET_MIN_CHARS} characters`);
  }
  const logLevel = env.LOG_LEVEL || "info";
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got '${logLevel}'`);
  }
  const trust = (env.TRUST_PROXY || "false").toLowerCase();
  if (!["true", "false", "1", "0"].includes(trust)) {
    throw new ConfigError(`TRUST_PROXY must be true or false, got '${env.TRUST_PROXY}'`);
  }
  let allowedOrigins: string[] | null = null;
  if (env.ALLOWED_ORIGINS) {
    const entries = env.ALLOWED_ORIGINS.split(",").map((s) => s.trim()).filter(Boolean);
    allowedOrigins = [];
    for (const o of entries) {
      let u: URL;
      try {
        u = new URL(o);
      } catch {
        throw new ConfigError(`ALLOWED_ORIGINS has an entry that is not an origin: '${o}'`);
      }
      if (u.origin !== o.replace(/\/$/, "")) {
        throw new ConfigError(`ALLOWED_ORIGINS entries must be bare origins like https://example.com, got '${o}'`);
      }
      allowedOrigins.push(u.origin); // normalised: no trailing slash, lower-case host, as browsers send it
    }
  }
  const redisSentinels = env.REDIS_SENTINELS ? parseSentinels(env.REDIS_SENTINELS) : null;
  const redisSentinelName = env.REDIS_SENTINEL_NAME || null;
  const redisPassword = env.REDIS_PASSWORD || null;
  if (redisUrl || redisSentinels || redisSentinelName) {
    // Sentinel without its name (or the reverse), two different passwords, TLS turned off under rediss://…
    validateRedisOptions({
      url: redisUrl ?? undefined,
      sentinels: redisSentinels ?? undefined,
      sentinelName: redisSentinelName ?? undefined,
      password: redisPassword ?? undefined,
    });
  }
  const adminToken = tokenVar(env, "ADMIN_TOKEN", ADMIN_TOKEN_MIN_CHARS);
  const metricsToken = tokenVar(env, "METRICS_TOKEN", 16);
  const metricsPortRaw = env.METRICS_PORT;
  const metricsPort = metricsPortRaw === undefined || metricsPortRaw === "" ? null : intVar(env, "METRICS_PORT", 0, 0, 65535);
  const instanceId = env.INSTANCE_ID || `tessera-${randomBytes(4).toString("hex")}`;
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(instanceId)) {
    throw new ConfigError("INSTANCE_ID must be 1-64 characters of letters, digits, '_', '.', ':' or '-'");
  }
  return {
    port: intVar(env, "PORT", DEFAULTS.port, 0, 65535),
    host: env.HOST || "0.0.0.0",
    databaseUrl,
    dataDir: path.resolve(env.DATA_DIR || "./data"),
    redisUrl,
    width: intVar(env, "CANVAS_WIDTH", DEFAULT_CANVAS_WIDTH, 1, MAX_CANVAS_SIDE),
    height: intVar(env, "CANVAS_HEIGHT", DEFAULT_CANVAS_HEIGHT, 1, MAX_CANVAS_SIDE),
    cooldownMs: intVar(env, "COOLDOWN_MS", DEFAULT_COOLDOWN_MS, 0, 24 * 3600 * 1000),
    instanceId,
    sessionSecret,
    allowedOrigins,
    logLevel,
    maxConnectionsPerIp: intVar(env, "MAX_CONNECTIONS_PER_IP", DEFAULTS.maxConnectionsPerIp, 1, 1_000_000),
    sessionsPerIpPerMin: intVar(env, "SESSIONS_PER_IP_PER_MIN", DEFAULTS.sessionsPerIpPerMin, 1, 1_000_000),
    placementsPerConnectionPerS: intVar(
      env,
      "PLACEMENTS_PER_CONNECTION_PER_S",
      DEFAULTS.placementsPerConnectionPerS,
      0,
      1_000_000,
    ),
    trustProxy: trust === "true" || trust === "1",
    redisSentinels,
    redisSentinelName,
    redisPassword,
    redisSentinelPassword: env.REDIS_SENTINEL_PASSWORD || null,
    boardsPerUserPerDay: intVar(env, "BOARDS_PER_USER_PER_DAY", DEFAULT_BOARDS_PER_USER_PER_DAY, 0, 1_000_000),
    adminToken,
    metricsToken,
    metricsPort,
    metricsHost: env.METRICS_HOST || "127.0.0.1",
    // At most a minute: a page replays what the body lacks from the replica's replay ring.
    canvasCacheSeconds: intVar(env, "CANVAS_CACHE_SECONDS", 0, 0, 60),
  };
}
