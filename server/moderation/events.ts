// Events every replica must hear (SPEC §11, §12): bans (close the user's tabs everywhere within a
// second), unbans, a board's state changed (freeze), a user changed (moderator grants). In a
// cluster they travel signed on `user-events` — the channel every replica follows — and are applied
// locally at once; on one replica they are only applied locally.

import type { Logger } from "../logger";
import type { RedisLink } from "../cluster/redis-link";
import { USER_CHANNEL } from "../cluster/redis-names";
import type { Signer } from "../cluster/signing";

export type ReplicaEvent =
  | { type: "user_banned"; userId: string; until: number }
  | { type: "user_unbanned"; userId: string }
  | { type: "user_changed"; userId: string }
  | { type: "board_changed"; board: string };

export interface EventBus {
  /** Apply an event here and tell every other replica. */
  publish(e: ReplicaEvent): void;
  subscribe(listener: (e: ReplicaEvent) => void): () => void;
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Validate a verified message as an event; null for anything else (presence notices share the channel). */
export function readEvent(m: Record<string, unknown>): ReplicaEvent | null {
  switch (m.type) {
    case "user_banned":
      return typeof m.userId === "string" && ID.test(m.userId) && typeof m.until === "number" && Number.isFinite(m.until)
        ? { type: "user_banned", userId: m.userId, until: m.until }
        : null;
    case "user_unbanned":
    case "user_changed":
      return typeof m.userId === "string" && ID.test(m.userId) ? { type: m.type, userId: m.userId } : null;
    case "board_changed":
      return typeof m.board === "string" && /^[a-z0-9][a-z0-9-]{0,31}$/.test(m.board) ? { type: "board_changed", board: m.board } : null;
    default:
      return null;
  }
}

/** Events of one replica: applied here only. */
export class LocalEventBus implements EventBus {
  protected readonly listeners = new Set<(e: ReplicaEvent) => void>();

  constructor(protected readonly log: Logger) {}

  publish(e: ReplicaEvent): void {
    this.dispatch(e);
  }

  subscribe(listener: (e: ReplicaEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  protected dispatch(e: ReplicaEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.log.error({ err: (err as Error).message, event: e.type }, "event listener failed");
      }
    }
  }
}

/** Events of a cluster: applied here at once, and published for the others. */
export class RedisEventBus extends LocalEventBus {
  private unsubscribe: (() => Promise<void>) | null = null;

  constructor(
    private readonly link: RedisLink,
    private readonly signer: Signer,
    private readonly instanceId: string,
    log: Logger,
  ) {
    super(log);
  }

  async start(): Promise<void> {
    const counters = this.link.channel("user-events");
    this.unsubscribe = await this.link.subscribe(USER_CHANNEL, "user-events", (text) => {
      const m = this.signer.verify(text);
      if (!m) {
        counters.rejected++;
        return;
      }
      const e = readEvent(m);
      if (e && m.origin !== this.instanceId) this.dispatch(e);
    });
  }

  override publish(e: ReplicaEvent): void {
    this.dispatch(e);
    void this.link.publish(USER_CHANNEL, "user-events", this.signer.sign({ ...e, origin: this.instanceId }));
  }

  async close(): Promise<void> {
    await this.unsubscribe?.();
  }
}
