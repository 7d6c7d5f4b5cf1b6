// The replica's two Redis connections — a publisher for commands and publishes, a subscriber for
// channels — and its view of Redis being up or down. Every other cluster module (pixel channel,
// presence, user events, cursors) goes through this one link.
//
// Redis is never on the path of an ack: the publisher runs with the offline queue disabled, so
// while Redis is down a publish fails at once instead of waiting. The subscriber keeps its queue so
// SUBSCRIBE issued before the first connect waits for it; node-redis resubscribes after reconnects.

import type { createClient } from "redis";
import type { Logger } from "../logger";
import { createRedisConnections, type RedisConnectOptions, type RedisConnections } from "./redis-connect";

/**
 * The command API the cluster modules use. In Sentinel mode the publisher is node-redis's Sentinel
 * client, which has the same command methods (it forwards them to the current master); the two
 * types are not assignable in TypeScript, so the link presents both as the plain client type.
 */
export type RedisClient = ReturnType<typeof createClient>;

/** Counters of one kind of channel (board channels are counted under their kind, not per board). */
export interface ChannelCounters {
  published: number;
  received: number;
  failed: number;
  /** Messages dropped because their signature or content was invalid. */
  rejected: number;
}

export interface RedisLinkOptions extends Omit<RedisConnectOptions, "onError"> {
  log: Logger;
}

type Handler = (text: string) => void;

export class RedisLink {
  readonly pub: RedisClient;
  private readonly conns: RedisConnections;
  private isUp = false;
  private closed = false;
  private readonly statusListeners = new Set<(up: boolean) => void>();
  private readonly handlers = new Map<string, Set<Handler>>();
  readonly counters = new Map<string, ChannelCounters>();
  lastPublishAt: number | null = null;
  lastReceiveAt: number | null = null;

  constructor(private readonly opts: RedisLinkOptions) {
    const { log, ...connect } = opts;
    // Every client gets an error listener inside (without one a dropped connection kills the process).
    this.conns = createRedisConnections({ ...connect, onError: (err) => log.debug({ err: err.message }, "redis error") });
    this.pub = this.conns.publisher as unknown as RedisClient;
    this.conns.onStatus(() => this.recheck());
  }

  /** Start connecting in the background (retrying until closed); the replica serves its own clients meanwhile. */
  start(): void {
    this.conns.start();
  }

  /** Where the link's master is now ("host:port"), or null while it has none. */
  get master(): string | null {
    return this.conns.master();
  }

  get up(): boolean {
    return this.isUp;
  }

  /** Listen for Redis becoming reachable (true) or lost (false). */
  onStatus(listener: (up: boolean) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  private recheck(): void {
    const now = this.conns.ready && !this.closed;
    if (now === this.isUp) return;
    this.isUp = now;
    this.opts.log.info({ redis: now ? "up" : "down" }, now ? "redis is up" : "redis is down: serving local clients only");
    for (const l of this.statusListeners) {
      try {
        l(now);
      } catch (err) {
        this.opts.log.error({ err: (err as Error).message }, "redis status listener failed");
      }
    }
  }

  /** The counters of a channel kind (created on first use). */
  channel(kind: string): ChannelCounters {
    let c = this.counters.get(kind);
    if (!c) {
      c = { published: 0, received: 0, failed: 0, rejected: 0 };
      this.counters.set(kind, c);
    }
    return c;
  }

  /**
   * Follow a channel with one more handler; returns the function that removes it. Subscriptions are
   * reference-counted: Redis is subscribed while a channel has at least one handler. Resolves once
   * Redis confirmed a new subscription, or at once while Redis is down (node-redis subscribes when it
   * connects). Handlers get the raw text: verifying it is their job.
   */
  async subscribe(channel: string, kind: string, handler: Handler): Promise<() => Promise<void>> {
    const unsubscribe = () => this.drop(channel, handler);
    let set = this.handlers.get(channel);
    if (set) {
      set.add(handler);
      return unsubscribe;
    }
    set = new Set([handler]);
    this.handlers.set(channel, set);
    if (this.closed) return unsubscribe;
    const counters = this.channel(kind);
    const listener = (text: string) => {
      counters.received++;
      this.lastReceiveAt = Date.now();
      for (const h of this.handlers.get(channel) ?? []) {
        try {
          h(text);
        } catch (err) {
          // A handler must never take the subscriber down; a bad message is logged and dropped.
          counters.rejected++;
          this.opts.log.error({ err: (err as Error).message, channel }, "redis message handler failed");
        }
      }
    };
    const subscribed = this.conns.subscriber.subscribe(channel, listener);
    if (!this.isUp) {
      subscribed.catch(() => {});
      return unsubscribe;
    }
    await subscribed.catch((err: Error) => this.opts.log.warn({ err: err.message, channel }, "subscribe failed"));
    return unsubscribe;
  }

  private async drop(channel: string, handler: Handler): Promise<void> {
    const set = this.handlers.get(channel);
    if (!set?.delete(handler) || set.size > 0) return;
    this.handlers.delete(channel);
    if (this.closed) return;
    this.conns.subscriber.unsubscribe(channel);
  }

  /** Channels followed now (tests, /api/stats). */
  get channels(): string[] {
    return [...this.handlers.keys()];
  }

  /** Fire-and-forget publish: never rejects, never waits for a dead Redis; true when delivered to Redis. */
  async publish(channel: string, kind: string, text: string): Promise<boolean> {
    const counters = this.channel(kind);
    if (!this.isUp) {
      counters.failed++;
      return false;
    }
    try {
      await this.pub.publish(channel, text);
      counters.published++;
      this.lastPublishAt = Date.now();
      return true;
    } catch {
      counters.failed++;
      return false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.handlers.clear();
    this.recheck();
    await this.conns.close();
  }
}
