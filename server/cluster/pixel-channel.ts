// Redis fan-out across replicas (SPEC §5): placements on `pixel-updates`, presence records
// `pod:{id}:users` with a TTL and a live-replica index, `user-events` notices, and the replica's
// Redis status. Redis is never on the path of an ack: publishes are fire-and-forget with the
// offline queue disabled, so a dead Redis fails them at once instead of holding them.

import { createClient } from "redis";
import {
  PRESENCE_HEARTBEAT_MS,
  PRESENCE_PUSH_INTERVAL_MS,
  PRESENCE_TTL_MS,
  REDIS_RECONNECT_MAX_MS,
  REDIS_RECONNECT_MIN_MS,
} from "../../lib/limits";
import type { PixelRecord, PublicUser } from "../../lib/protocol";
import type { Logger } from "../logger";
import type { CommittedPlacement, Fanout } from "../realtime/pixel-hub";
import { type PresenceView, presenceView } from "../realtime/presence";
import { PIXEL_CHANNEL, PODS_INDEX, podUsersKey, USER_CHANNEL } from "./redis-names";

type Client = ReturnType<typeof createClient>;

/** What one replica stores under pod:{id}:users. */
interface PodRecord {
  instanceId: string;
  connections: number;
  users: PublicUser[];
  timestamp: number;
}

/** The JSON of one placement on `pixel-updates`. */
export interface PixelUpdatedMessage {
  type: "pixel_updated";
  x: number;
  y: number;
  color: number;
  username: string;
  timestamp: number;
  seq: number;
  origin: string;
}

export interface ClusterDeps {
  url: string;
  instanceId: string;
  log: Logger;
  /** This replica's own users and connection count. */
  localPresence: () => { users: PublicUser[]; connections: number };
  /** Records another replica committed. */
  onRemoteRecords: (records: PixelRecord[]) => void;
  /** Redis became reachable (true) or was lost (false). */
  onStatus: (up: boolean) => void;
  /** The cluster-wide presence changed. */
  onPresence: () => void;
}

export interface PubSubStats {
  published: number;
  received: number;
  failed: number;
  lastPublishAt: number | null;
  lastReceiveAt: number | null;
}

/** Encode committed placements as one `pixel-updates` message. */
export function encodePixelMessage(records: readonly CommittedPlacement[], origin: string): string {
  const updates: PixelUpdatedMessage[] = records.map((r) => ({
    type: "pixel_updated",
    x: r.x,
    y: r.y,
    color: r.color,
    username: r.username,
    timestamp: r.placedAt,
    seq: r.seq,
    origin,
  }));
  return JSON.stringify(updates.length === 1 ? updates[0] : { type: "pixels_updated", origin, updates });
}

/**
 * Decode a `pixel-updates` message into records and its origin; null when malformed (anyone with
 * redis-cli can publish, so nothing from the channel is trusted).
 */
export function decodePixelMessage(text: string): { origin: string; records: PixelRecord[] } | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof raw !== "object" || raw === null) return null;
  const msg = raw as Record<string, unknown>;
  const list = msg.type === "pixels_updated" && Array.isArray(msg.updates) ? msg.updates : msg.type === "pixel_updated" ? [msg] : null;
  if (!list || typeof msg.origin !== "string") return null;
  const records: PixelRecord[] = [];
  for (const u of list as Array<Record<string, unknown>>) {
    const { seq, x, y, color } = u ?? {};
    if (![seq, x, y, color].every((v) => typeof v === "number" && Number.isInteger(v) && v >= 0)) return null;
    records.push({ seq: seq as number, x: x as number, y: y as number, color: color as number });
  }
  return { origin: msg.origin, records };
}

export class RedisCluster implements Fanout {
  private readonly pub: Client;
  private readonly sub: Client;
  private up = false;
  private closed = false;
  private heartbeat: NodeJS.Timeout | null = null;
  private writeTimer: NodeJS.Timeout | null = null;
  private aggregateTimer: NodeJS.Timeout | null = null;
  /** Other replicas' presence from the last aggregation. */
  private remote = new Map<string, PodRecord>();
  readonly stats: PubSubStats = { published: 0, received: 0, failed: 0, lastPublishAt: null, lastReceiveAt: null };
  readonly perChannel = {
    [PIXEL_CHANNEL]: { published: 0, received: 0, failed: 0 },
    [USER_CHANNEL]: { published: 0, received: 0, failed: 0 },
  };

  constructor(private readonly d: ClusterDeps) {
    const socket = {
      connectTimeout: 2_000,
      reconnectStrategy: (retries: number) => Math.min(REDIS_RECONNECT_MIN_MS * 2 ** retries, REDIS_RECONNECT_MAX_MS),
    };
    this.pub = createClient({ url: d.url, socket, disableOfflineQueue: true });
    // The subscriber keeps its offline queue so SUBSCRIBE issued before the first connect waits for it;
    // node-redis resubscribes by itself after every reconnect.
    this.sub = createClient({ url: d.url, socket });
    for (const [name, c] of [["publisher", this.pub], ["subscriber", this.sub]] as const) {
      // Without an error listener a dropped connection would crash the process.
      c.on("error", (err: Error) => d.log.debug({ err: err.message, client: name }, "redis error"));
      c.on("ready", () => this.recheck());
      c.on("end", () => this.recheck());
      c.on("reconnecting", () => this.recheck());
    }
  }

  /** Start connecting in the background; the replica serves its own clients meanwhile. */
  start(): void {
    this.pub.connect().catch((err: Error) => this.d.log.warn({ err: err.message }, "redis publisher connect failed"));
    this.sub.connect().catch((err: Error) => this.d.log.warn({ err: err.message }, "redis subscriber connect failed"));
    this.sub.subscribe(PIXEL_CHANNEL, (m) => this.onPixelMessage(m)).catch(() => {});
    this.sub.subscribe(USER_CHANNEL, () => this.onUserEvent()).catch(() => {});
    this.heartbeat = setInterval(() => {
      if (!this.up) return;
      void this.writePresence(false);
      void this.aggregate();
    }, PRESENCE_HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  get status(): "up" | "down" {
    return this.up ? "up" : "down";
  }

  private recheck(): void {
    const now = this.pub.isReady && this.sub.isReady && !this.closed;
    if (now === this.up) return;
    this.up = now;
    this.d.log.info({ redis: this.status }, now ? "redis is up" : "redis is down: serving local clients only");
    if (now) {
      void this.writePresence(true).then(() => this.aggregate());
    } else {
      this.remote.clear();
    }
    this.d.onStatus(now);
    this.d.onPresence();
  }

  // ---------------------------------------------------------------- pixels

  publish(records: readonly CommittedPlacement[]): void {
    if (records.length === 0) return;
    const counters = this.perChannel[PIXEL_CHANNEL];
    if (!this.up) {
      // Not lost: the placements are in the database and other replicas catch up from it.
      this.stats.failed++;
      counters.failed++;
      return;
    }
    this.pub.publish(PIXEL_CHANNEL, encodePixelMessage(records, this.d.instanceId)).then(
      () => {
        this.stats.published++;
        counters.published++;
        this.stats.lastPublishAt = Date.now();
      },
      () => {
        this.stats.failed++;
        counters.failed++;
      },
    );
  }

  private onPixelMessage(text: string): void {
    const msg = decodePixelMessage(text);
    if (!msg) {
      this.d.log.warn("ignored a malformed pixel-updates message");
      return;
    }
    if (msg.origin === this.d.instanceId) return; // our own clients were served directly
    this.stats.received++;
    this.perChannel[PIXEL_CHANNEL].received++;
    this.stats.lastReceiveAt = Date.now();
    this.d.onRemoteRecords(msg.records);
  }

  // ---------------------------------------------------------------- presence

  /** This replica's users changed: write the record and tell the others (coalesced). */
  localChanged(): void {
    if (this.writeTimer || this.closed) return;
    this.writeTimer = setTimeout(() => {
      this.writeTimer = null;
      if (this.up) void this.writePresence(true);
    }, PRESENCE_PUSH_INTERVAL_MS);
  }

  private async writePresence(notify: boolean): Promise<void> {
    const local = this.d.localPresence();
    const record: PodRecord = { instanceId: this.d.instanceId, connections: local.connections, users: local.users, timestamp: Date.now() };
    try {
      await this.pub
        .multi()
        .set(podUsersKey(this.d.instanceId), JSON.stringify(record), { expiration: { type: "PX", value: PRESENCE_TTL_MS } })
        .zAdd(PODS_INDEX, { score: record.timestamp, value: this.d.instanceId })
        .exec();
      if (notify) await this.pub.publish(USER_CHANNEL, JSON.stringify({ type: "user_update", podId: this.d.instanceId }));
      if (notify) this.perChannel[USER_CHANNEL].published++;
    } catch (err) {
      if (notify) this.perChannel[USER_CHANNEL].failed++;
      this.d.log.debug({ err: (err as Error).message }, "presence write failed");
    }
  }

  private onUserEvent(): void {
    this.perChannel[USER_CHANNEL].received++;
    if (this.aggregateTimer) return;
    this.aggregateTimer = setTimeout(() => {
      this.aggregateTimer = null;
      void this.aggregate();
    }, 20);
  }

  /** Read every live replica's record through the index (no KEYS, no SCAN). */
  private async aggregate(): Promise<void> {
    if (!this.up) return;
    try {
      // Index entries far older than the TTL belong to replicas that died without cleaning up.
      await this.pub.zRemRangeByScore(PODS_INDEX, "-inf", Date.now() - 3 * PRESENCE_TTL_MS);
      const ids = (await this.pub.zRange(PODS_INDEX, 0, -1)).filter((id) => id !== this.d.instanceId);
      const values = ids.length > 0 ? await this.pub.mGet(ids.map(podUsersKey)) : [];
      const next = new Map<string, PodRecord>();
      values.forEach((v, i) => {
        if (typeof v !== "string") return; // expired: that replica stopped heart-beating
        try {
          next.set(ids[i], JSON.parse(v) as PodRecord);
        } catch {
          // a malformed record is ignored
        }
      });
      const before = JSON.stringify([...this.remote]);
      this.remote = next;
      if (JSON.stringify([...next]) !== before) this.d.onPresence();
    } catch (err) {
      this.d.log.debug({ err: (err as Error).message }, "presence aggregation failed");
    }
  }

  /** The cluster-wide view: other replicas' last records plus this replica's live state. */
  view(): PresenceView {
    const local = this.d.localPresence();
    if (!this.up) return presenceView([local], "local");
    return presenceView([local, ...this.remote.values()], "cluster");
  }

  /** Per-replica users and connections, this replica first. */
  instances(): Array<{ id: string; users: number; connections: number }> {
    const local = this.d.localPresence();
    const out = [{ id: this.d.instanceId, users: local.users.length, connections: local.connections }];
    if (this.up) for (const pod of this.remote.values()) out.push({ id: pod.instanceId, users: pod.users.length, connections: pod.connections });
    return out;
  }

  /** Leave the cluster at once (SIGTERM): remove our presence and tell the others. */
  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.writeTimer) clearTimeout(this.writeTimer);
    if (this.aggregateTimer) clearTimeout(this.aggregateTimer);
    if (this.up) {
      try {
        await this.pub.multi().del(podUsersKey(this.d.instanceId)).zRem(PODS_INDEX, this.d.instanceId).exec();
        await this.pub.publish(USER_CHANNEL, JSON.stringify({ type: "user_update", podId: this.d.instanceId }));
      } catch {
        // Redis went away meanwhile: the TTL removes the record.
      }
    }
    this.closed = true;
    this.up = false;
    await Promise.allSettled([this.pub.close(), this.sub.close()]);
  }
}
