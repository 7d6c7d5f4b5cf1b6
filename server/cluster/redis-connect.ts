// Connections to Redis for the cluster layer (SPEC §5, §14): one publisher (commands on the master)
// and one subscriber (pub/sub), reached either through REDIS_URL or through Redis Sentinel
// (REDIS_SENTINELS + REDIS_SENTINEL_NAME), and following a Sentinel failover without a restart.
//
// What node-redis 6.3.1's Sentinel client does (read in node_modules/@redis/client/dist/lib/sentinel,
// and watched against real sentinels in test/sentinel.test.ts), and what this module adds:
//  - One RedisSentinel holds a master command pool (masterPoolSize, 1 here), a connection to one
//    sentinel that listens for switch-master / sdown / odown, and a *separate* pub/sub connection to
//    the master (its PubSubProxy). So publisher and subscriber are already two connections; a second
//    RedisSentinel for the subscriber would only add a second sentinel connection.
//  - On a failover it opens new master clients, moves the confirmed pub/sub listeners to a fresh
//    connection on the new master, and emits `ready`. A SUBSCRIBE still waiting for its reply at that
//    moment is rejected and not moved: the Subscriber below keeps the wanted channels and retries.
//  - `isReady` stays true from the moment the master dies until the sentinels name a new one; only
//    getMasterNode() (undefined while no master client is ready) shows the outage. The master
//    client's own ready/end events are not forwarded, so the status is polled (REDIS_STATUS_POLL_MS).
//  - A command sent while the master is unreachable is not failed at once: the client asks the
//    sentinels again about once a second (a fixed 1 s pause inside node-redis) and sends it to
//    whichever master they name, giving up after maxCommandRediscovers (16) rounds. Callers that
//    must not wait (publishes) check `ready` first, as server/cluster.ts does today.
//  - It pattern-subscribes `switch-master` without the leading '+' that sentinels publish, so the
//    switch announcement itself is never seen; the new master is found by that once-a-second
//    retry (or on +sdown / +slave): up to about a second after the sentinels switched.
//  - Every client emits `error` when a connection drops; without a listener the process would
//    die. The sentinel forwards errors of its inner clients only with passthroughClientErrorEvents,
//    and some of them (sentinel discovery) are strings, not Error objects.
//  - connect() gives up after maxCommandRediscovers failed discoveries and tears itself down;
//    `start()` here retries until closed, so a replica may start before its sentinels.
//  - node-redis's docs say scanInterval defaults to 10 s; the 6.3.1 code defaults to 0 (never).
//    It is set here, as a safety net for a switch-master announcement missed while the sentinel
//    connection was being replaced.
// Pub/sub stays at-most-once: whatever is published while the subscriber is not subscribed on the
// current master is lost, and the database catch-up (server/convergence.ts) fills the gap.

import { createClient, createSentinel } from "redis";
import { REDIS_CONNECT_TIMEOUT_MS, REDIS_RECONNECT_MAX_MS, REDIS_RECONNECT_MIN_MS, REDIS_RETRY_MS, REDIS_STATUS_POLL_MS, SENTINEL_SCAN_INTERVAL_MS } from "../../lib/limits";
import { ConfigError } from "../config-error";


export interface RedisNode {
  host: string;
  port: number;
}

export interface RedisConnectOptions {
  /** `redis://` or `rediss://`. With `sentinels` only its user, password, TLS scheme and database are used. */
  url?: string;
  /** Sentinels to ask for the master (a few are enough; the others are discovered). */
  sentinels?: RedisNode[];
  /** The master's name as the sentinels monitor it. */
  sentinelName?: string;
  /** Password of the Redis master and replicas (REDIS_PASSWORD), when not in the URL. */
  password?: string;
  /** TLS to Redis (and to the sentinels); `rediss://` implies it. */
  tls?: boolean;
  /** The sentinels' own password, when they ask for one (no SPEC variable yet). */
  sentinelPassword?: string;
  /** Every error of every inner client, for logging; the listener is attached whether given or not. */
  onError?: (err: Error) => void;
}

type UrlClient = ReturnType<typeof createClient>;
type SentinelClient = ReturnType<typeof createSentinel>;

/**
 * Commands on the current master (PUBLISH, keys, MULTI, scripts). Owned by RedisConnections:
 * never connect or close it directly. In sentinel mode a command issued during a failover waits
 * for the new master (see the file comment); check `ready` first where waiting is wrong.
 */
export type RedisCommands = UrlClient | SentinelClient;

export type MessageListener = (message: string, channel: string) => void;

/** Channel subscriptions that survive reconnects and failovers, including ones asked for during one. */
export interface Subscriber {
  /**
   * Follow `channel` (one listener per channel). Resolves once Redis confirmed the subscription;
   * while Redis is unreachable it keeps trying, and rejects only if unsubscribed or closed first.
   */
  subscribe(channel: string, listener: MessageListener): Promise<void>;
  /** Stop following `channel`: its listener gets nothing more, whether or not Redis is reachable. */
  unsubscribe(channel: string): void;
  /** Channels whose subscription Redis has confirmed. */
  readonly active: ReadonlySet<string>;
}

export interface RedisConnections {
  readonly mode: "url" | "sentinel";
  readonly publisher: RedisCommands;
  readonly subscriber: Subscriber;
  /** Both connections reach the current master. */
  readonly ready: boolean;
  /** The master currently connected to ("host:port"), or null. */
  master(): string | null;
  /** Called with the new value whenever `ready` changes; returns the unsubscribe function. */
  onStatus(listener: (ready: boolean) => void): () => void;
  /** Start connecting in the background (retrying until closed); resolves at once. */
  start(): void;
  close(): Promise<void>;
}

// ------------------------------------------------------------------------------------------------
// Configuration

/**
 * Parse `REDIS_SENTINELS` (`host:port,host:port,…`; IPv6 hosts in brackets). Throws a ConfigError
 * naming the variable and the bad entry.
 */
export function parseSentinels(raw: string, variable = "REDIS_SENTINELS"): RedisNode[] {
  const entries = raw.split(",").map((s) => s.trim());
  if (entries.every((e) => e === "")) throw new ConfigError(`${variable} is empty; expected host:port,host:port,…`);
  const nodes: RedisNode[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    if (entry === "") throw new ConfigError(`${variable} has an empty entry in '${raw}'; expected host:port,host:port,…`);
    const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(entry);
    const host = m?.[1] ?? m?.[2];
    const port = m ? Number(m[3]) : NaN;
    if (!m || !host || !validHost(host, m[1] !== undefined) || port < 1 || port > 65535) {
      throw new ConfigError(`${variable} entry '${entry}' is not host:port (a host name or IP address, a port from 1 to 65535; IPv6 as [addr]:port)`);
    }
    const key = `${host.toLowerCase()}:${port}`;
    if (seen.has(key)) throw new ConfigError(`${variable} lists ${entry} twice`);
    seen.add(key);
    nodes.push({ host, port });
  }
  return nodes;
}

function validHost(host: string, bracketed: boolean): boolean {
  if (bracketed) return host.includes(":");
  // DNS labels: 1-63 characters, no leading or trailing hyphen (Kubernetes service names qualify).
  return host.length <= 253 && host.split(".").every((l) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l));
}

/** Credentials, TLS and database for the Redis nodes, merged from the URL and the separate options. */
interface NodeSettings {
  username?: string;
  password?: string;
  tls: boolean;
  database?: number;
}

/**
 * Check that the options make sense together; throws a ConfigError naming the variables. Called by
 * createRedisConnections, and by the configuration loader so that a bad setup stops the start.
 */
export function validateRedisOptions(opts: RedisConnectOptions): void {
  nodeSettings(opts);
}

function nodeSettings(opts: RedisConnectOptions): NodeSettings {
  const sentinelMode = opts.sentinels !== undefined || opts.sentinelName !== undefined;
  if (sentinelMode) {
    if (!opts.sentinels || opts.sentinels.length === 0) throw new ConfigError("REDIS_SENTINEL_NAME is set but REDIS_SENTINELS is not");
    if (!opts.sentinelName) throw new ConfigError("REDIS_SENTINELS is set but REDIS_SENTINEL_NAME is not");
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(opts.sentinelName)) {
      throw new ConfigError("REDIS_SENTINEL_NAME must be 1-64 characters of letters, digits, '_', '.' or '-'");
    }
  } else if (!opts.url) {
    throw new ConfigError("Redis needs REDIS_URL, or REDIS_SENTINELS and REDIS_SENTINEL_NAME");
  }
  const out: NodeSettings = { tls: opts.tls ?? false, password: opts.password || undefined };
  if (opts.url) {
    let u: URL;
    try {
      u = new URL(opts.url);
    } catch {
      throw new ConfigError("REDIS_URL is not a valid URL");
    }
    if (u.protocol !== "redis:" && u.protocol !== "rediss:") throw new ConfigError("REDIS_URL must start with redis:// or rediss://");
    const urlTls = u.protocol === "rediss:";
    if (opts.tls === false && urlTls) throw new ConfigError("REDIS_URL asks for TLS (rediss://) but TLS is turned off");
    out.tls = out.tls || urlTls;
    const urlPassword = u.password ? decodeURIComponent(u.password) : undefined;
    if (urlPassword && out.password && urlPassword !== out.password) {
      throw new ConfigError("REDIS_URL's password and REDIS_PASSWORD differ; set one of them");
    }
    out.password = out.password ?? urlPassword;
    if (u.username) out.username = decodeURIComponent(u.username);
    const db = u.pathname.replace(/^\//, "");
    if (db !== "") {
      if (!/^\d{1,5}$/.test(db)) throw new ConfigError(`REDIS_URL's path must be a database number, got '/${db}'`);
      out.database = Number(db);
    }
  }
  return out;
}

const reconnectStrategy = (retries: number) => Math.min(REDIS_RECONNECT_MIN_MS * 2 ** retries, REDIS_RECONNECT_MAX_MS);

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

// ------------------------------------------------------------------------------------------------
// The handle

/** The raw subscribe/unsubscribe surface both client kinds share. */
interface PubSubClient {
  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
}

/**
 * Build the publisher and subscriber for these options (validated first: throws a ConfigError).
 * Nothing connects until start().
 */
export function createRedisConnections(opts: RedisConnectOptions): RedisConnections {
  const settings = nodeSettings(opts);
  return opts.sentinels && opts.sentinelName ? new SentinelConnections(opts, settings) : new UrlConnections(opts, settings);
}

abstract class BaseConnections implements RedisConnections {
  abstract readonly mode: "url" | "sentinel";
  abstract readonly publisher: RedisCommands;
  readonly subscriber: ChannelSet;
  protected closed = false;
  private lastReady = false;
  private readonly statusListeners = new Set<(ready: boolean) => void>();

  constructor(protected readonly opts: RedisConnectOptions) {
    this.subscriber = new ChannelSet(() => this.pubsub());
  }

  /** The client pub/sub commands go to. */
  protected abstract pubsub(): PubSubClient;
  /** Whether the connections reach the current master right now. */
  protected abstract linkUp(): boolean;
  abstract master(): string | null;
  abstract start(): void;
  protected abstract shutdown(): Promise<void>;

  get ready(): boolean {
    return !this.closed && this.linkUp();
  }

  onStatus(listener: (ready: boolean) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  protected error(err: unknown): void {
    this.opts.onError?.(asError(err));
  }

  /** Re-read the status; on a change tell the listeners (and retry pending subscriptions when up). */
  protected recheck(): void {
    const now = this.ready;
    if (now === this.lastReady) return;
    this.lastReady = now;
    if (now) this.subscriber.retryNow();
    for (const l of this.statusListeners) l(now);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.subscriber.close();
    this.recheck();
    await this.shutdown();
  }
}

/** REDIS_URL: two plain clients (node-redis resubscribes the subscriber after each reconnect). */
class UrlConnections extends BaseConnections {
  readonly mode = "url" as const;
  readonly publisher: UrlClient;
  private readonly sub: UrlClient;

  constructor(opts: RedisConnectOptions, s: NodeSettings) {
    super(opts);
    // node-redis lets the URL override the other options, so the merged settings go into it.
    const url = new URL(opts.url!);
    if (s.tls) url.protocol = "rediss:";
    if (s.password && !url.password) url.password = encodeURIComponent(s.password);
    const common = { url: url.toString(), socket: { connectTimeout: REDIS_CONNECT_TIMEOUT_MS, reconnectStrategy } };
    // Publishes are fire-and-forget beside an ack that never waits for Redis: with no offline
    // queue a dead Redis fails them at once instead of holding them.
    this.publisher = createClient({ ...common, disableOfflineQueue: true });
    // The subscriber keeps its queue, so a SUBSCRIBE sent while reconnecting waits for the link.
    this.sub = createClient(common);
    for (const c of [this.publisher, this.sub]) {
      c.on("error", (err: unknown) => this.error(err));
      c.on("ready", () => this.recheck());
      c.on("end", () => this.recheck());
      c.on("reconnecting", () => this.recheck());
    }
  }

  protected pubsub(): PubSubClient {
    return this.sub;
  }

  protected linkUp(): boolean {
    return this.publisher.isReady && this.sub.isReady;
  }

  master(): string | null {
    if (!this.linkUp()) return null;
    const u = new URL(this.opts.url!);
    return `${u.hostname}:${u.port || 6379}`;
  }

  start(): void {
    for (const c of [this.publisher, this.sub]) {
      // The first attempt's failure is already reported through `error`; node-redis keeps retrying.
      c.connect().catch(() => {});
    }
  }

  protected async shutdown(): Promise<void> {
    await Promise.allSettled([this.publisher.close(), this.sub.close()]);
  }
}

/** REDIS_SENTINELS: one node-redis Sentinel client (master pool + its own pub/sub connection). */
class SentinelConnections extends BaseConnections {
  readonly mode = "sentinel" as const;
  readonly publisher: SentinelClient;
  private poll: NodeJS.Timeout | null = null;
  private retry: NodeJS.Timeout | null = null;
  private connecting = false;

  constructor(opts: RedisConnectOptions, s: NodeSettings) {
    super(opts);
    const tls = s.tls ? { tls: true as const } : {};
    this.publisher = createSentinel({
      name: opts.sentinelName!,
      sentinelRootNodes: opts.sentinels!,
      nodeClientOptions: {
        username: s.username,
        password: s.password,
        database: s.database,
        // The offline queue stays on: these options also make the pub/sub connection, and a
        // SUBSCRIBE sent while it reconnects should wait rather than fail. Commands never reach
        // a disconnected master client anyway: the Sentinel client checks readiness first.
        socket: { ...tls, connectTimeout: REDIS_CONNECT_TIMEOUT_MS, reconnectStrategy },
      },
      sentinelClientOptions: {
        password: opts.sentinelPassword,
        socket: { ...tls, connectTimeout: REDIS_CONNECT_TIMEOUT_MS },
      },
      scanInterval: SENTINEL_SCAN_INTERVAL_MS,
      // Inner clients' errors come through `error` below: a lost master shows at once, not at the next poll.
      passthroughClientErrorEvents: true,
    });
    this.publisher.on("error", (err: unknown) => {
      this.error(err);
      this.recheck();
    });
    for (const ev of ["ready", "reconnecting", "end", "topology-change"]) this.publisher.on(ev, () => this.recheck());
  }

  protected pubsub(): PubSubClient {
    return this.publisher;
  }

  protected linkUp(): boolean {
    return this.publisher.isReady && this.publisher.getMasterNode() !== undefined;
  }

  master(): string | null {
    const m = this.linkUp() ? this.publisher.getMasterNode() : undefined;
    return m ? `${m.host}:${m.port}` : null;
  }

  start(): void {
    if (this.connecting || this.closed || this.publisher.isOpen) return;
    this.connecting = true;
    this.publisher.connect().then(
      () => {
        this.connecting = false;
        if (this.closed) {
          void this.publisher.destroy().catch(() => {});
          return;
        }
        this.poll ??= setInterval(() => this.recheck(), REDIS_STATUS_POLL_MS);
        this.poll.unref();
        this.recheck();
      },
      (err: unknown) => {
        // No sentinel answered, or none named a reachable master: node-redis gave up and tore the
        // client down. Try again from scratch until closed.
        this.connecting = false;
        this.error(err);
        if (this.closed) return;
        this.retry = setTimeout(() => {
          this.retry = null;
          this.start();
        }, REDIS_RETRY_MS);
        this.retry.unref();
      },
    );
  }

  protected async shutdown(): Promise<void> {
    if (this.poll) clearInterval(this.poll);
    if (this.retry) clearTimeout(this.retry);
    this.poll = this.retry = null;
    // destroy(), not close(): a graceful close waits for queued commands, which during a failover
    // may wait for a master that never comes.
    if (this.publisher.isOpen) await this.publisher.destroy().catch(() => {});
  }
}

// ------------------------------------------------------------------------------------------------
// Subscriptions kept as wanted, so that one asked for during an outage or a failover still happens.

class ChannelSet implements Subscriber {
  private readonly wanted = new Map<string, { listener: MessageListener; confirmed: Array<() => void>; withdrawn: Array<(e: Error) => void> }>();
  /** Channels whose SUBSCRIBE Redis confirmed and that have not been UNSUBSCRIBEd since. */
  private readonly registered = new Set<string>();
  private running = false;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly client: () => PubSubClient,
  ) {}

  get active(): ReadonlySet<string> {
    return new Set([...this.registered].filter((c) => this.wanted.has(c)));
  }

  subscribe(channel: string, listener: MessageListener): Promise<void> {
    if (this.closed) return Promise.reject(new Error("redis connections are closed"));
    if (this.wanted.has(channel)) return Promise.reject(new Error(`already subscribed to ${channel}`));
    return new Promise((resolve, reject) => {
      this.wanted.set(channel, { listener, confirmed: [resolve], withdrawn: [reject] });
      void this.reconcile();
    });
  }

  unsubscribe(channel: string): void {
    const w = this.wanted.get(channel);
    if (!w) return;
    this.wanted.delete(channel);
    for (const r of w.withdrawn) r(new Error(`unsubscribed from ${channel} before Redis confirmed`));
    void this.reconcile();
  }

  /** Redis is reachable again: try what is pending now rather than at the next retry. */
  retryNow(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    void this.reconcile();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const [channel, w] of this.wanted) for (const r of w.withdrawn) r(new Error(`redis connections closed before ${channel} was subscribed`));
    this.wanted.clear();
  }

  /** Bring Redis in line with `wanted`, one pass at a time; failures are retried after REDIS_RETRY_MS. */
  private async reconcile(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    let failed = false;
    try {
      do {
        this.again = false;
        for (const channel of [...this.registered]) {
          if (this.closed || this.wanted.has(channel)) continue;
          try {
            await this.client().unsubscribe(channel);
            this.registered.delete(channel);
          } catch {
            failed = true;
          }
        }
        for (const [channel, w] of [...this.wanted]) {
          if (this.closed) break;
          if (!this.registered.has(channel)) {
            // One listener per channel in node-redis, dispatching through `wanted`: re-following a
            // channel whose UNSUBSCRIBE has not gone out yet reuses it instead of doubling it.
            const dispatch: MessageListener = (message, ch) => this.wanted.get(channel)?.listener(message, ch);
            try {
              await this.client().subscribe(channel, dispatch);
              this.registered.add(channel);
            } catch {
              failed = true;
              continue;
            }
            // Unsubscribed while the SUBSCRIBE was in flight: the next pass takes it back.
            if (this.wanted.get(channel) !== w) this.again = true;
          }
          for (const r of w.confirmed) r();
          w.confirmed = [];
          w.withdrawn = [];
        }
      } while (this.again && !this.closed);
    } finally {
      this.running = false;
    }
    if (failed && !this.closed && !this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.reconcile();
      }, REDIS_RETRY_MS);
      this.timer.unref();
    }
  }
}
