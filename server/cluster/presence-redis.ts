// Cluster-wide presence over Redis (SPEC §10, docs/ARCHITECTURE.md "Many replicas").
//
// Per board, Redis holds the users themselves, sorted: `lex` (all scores 0, members are the sort
// keys of server/realtime/presence.ts, so ZRANGE BYLEX is the SPEC's order and ZCARD the exact
// total), `seen` (same members, score = last heartbeat that saw them), `refs` (user id → the member
// and the replicas holding it) and `conns` (replica → its connections). A replica therefore never
// reads another replica's users: a window is ZRANGE … LIMIT 0 100 plus ZCARD, O(log n + 100)
// whatever the crowd, and a replica's own work is linear in its own users (the heartbeat).
//
// Writes that decide membership (a user's first or last connection here) are Lua scripts, so two
// replicas joining or leaving the same user never race. The heartbeat re-adds this replica's users
// (healing lost Redis data) and removes members nobody re-added within the TTL (a SIGKILLed
// replica's users). `refs` records which replicas hold a user rather than a bare count, so
// re-adding is idempotent and a leave can drop holders that died instead of leaking them.
//
// Everything read back — members, records, notices — may have been written by anyone who can
// reach Redis: it is parsed and bounded, garbage is skipped (and removed when it is ours to
// remove), and no timer or handler throws. While Redis is down, the embedded LocalPresence answers
// with scope "local"; when it returns, this replica re-registers at once.

import {
  PRESENCE_ACTIVE_BOARDS_MAX,
  PRESENCE_EXPIRE_CHUNK_USERS,
  PRESENCE_EXPIRE_CHUNKS_PER_BEAT,
  PRESENCE_HEARTBEAT_MS,
  PRESENCE_MAX_PODS,
  PRESENCE_PUSH_INTERVAL_MS,
  PRESENCE_READ_CACHE_BOARDS,
  PRESENCE_REFRESH_CHUNK_USERS,
  PRESENCE_STALE_BOARDS_PER_BEAT,
  PRESENCE_TTL_MS,
  PRESENCE_WINDOW_USERS,
} from "../../lib/limits";
import { isBoardId, type PublicUser } from "../../lib/protocol";
import type { Logger } from "../logger";
import {
  type ActiveBoard,
  clampPageLimit,
  decodeCursor,
  encodeCursor,
  LocalPresence,
  type Presence,
  type PresenceChange,
  type PresenceInstance,
  type PresencePage,
  type PresenceWindow,
} from "../realtime/presence";
import type { RedisLink } from "./redis-link";
import { BOARDS_ACTIVE, PODS_INDEX, PRESENCE_BOARDS, podUsersKey, presenceKeys, userChannel } from "./redis-names";
import { count, idOfKey, parsePodRecord, parseWindowReply, POD_ID, sameUsers, usersOf, type WindowRead } from "./presence-parse";
import { type Script, SCRIPTS } from "./presence-scripts";
import type { Signer } from "./signing";
import { Throttle } from "./throttle";

/** Counter kind of `user_update` notices on the link. */
const KIND = "user-events";

// ---------------------------------------------------------------- ClusterPresence

export interface ClusterPresenceOptions {
  link: RedisLink;
  signer: Signer;
  instanceId: string;
  log: Logger;
  /** Tests shorten these; production uses lib/limits.ts. */
  heartbeatMs?: number;
  ttlMs?: number;
  pushIntervalMs?: number;
}

interface BoardCache {
  users: PublicUser[];
  total: number;
  /** Connections of the other replicas (this replica's own are always read live). */
  otherConnections: number;
}

interface BoardState {
  followed: boolean;
  subscription: Promise<() => Promise<void>> | null;
  cache: BoardCache | null;
  /** Re-reads the window (on notices, own changes, heartbeats). */
  refresh: Throttle;
  /** Writes this replica's connection count and tells the others (after own changes). */
  notify: Throttle;
}

/** What was dropped as garbage (tests and metrics). */
export interface PresenceGarbage {
  members: number;
  records: number;
  notices: number;
}

export class ClusterPresence implements Presence {
  private readonly local: LocalPresence;
  private readonly boards = new Map<string, BoardState>();
  private readonly listeners = new Set<(board: string, change: PresenceChange) => void>();
  private readonly heartbeatMs: number;
  private readonly ttlMs: number;
  private readonly pushIntervalMs: number;
  /** True once this replica registered with the Redis that is up now (its window is cluster-wide). */
  private ready = false;
  /** Bumped on every Redis status change: work started before it is stale. */
  private generation = 0;
  private timer: NodeJS.Timeout | null = null;
  private beating: Promise<void> | null = null;
  private closed = false;
  /** The other live replicas at the last heartbeat, with the time of their own last heartbeat. */
  private others: Array<PresenceInstance & { seenAt: number }> = [];
  /** Board → user id → sort key: leaves Redis has not heard of yet. */
  private readonly pendingLeaves = new Map<string, Map<string, string>>();
  private stopStatus: (() => void) | null = null;
  /** Recent read()s of boards not followed here (bounded, oldest dropped first). */
  private readonly reads = new Map<string, { at: number; window: Promise<PresenceWindow> }>();
  private active: { at: number; boards: Promise<ActiveBoard[]> } | null = null;
  readonly garbage: PresenceGarbage = { members: 0, records: 0, notices: 0 };

  constructor(private readonly o: ClusterPresenceOptions) {
    this.local = new LocalPresence(o.instanceId);
    this.heartbeatMs = o.heartbeatMs ?? PRESENCE_HEARTBEAT_MS;
    this.ttlMs = o.ttlMs ?? PRESENCE_TTL_MS;
    this.pushIntervalMs = o.pushIntervalMs ?? PRESENCE_PUSH_INTERVAL_MS;
  }

  /** Start heart-beating; registers at once if Redis is up, else when it comes up. */
  start(): void {
    this.stopStatus = this.o.link.onStatus((up) => this.onStatus(up));
    this.timer = setInterval(() => {
      this.forgetIdleBoards();
      if (!this.beating && this.ready) void this.beat();
    }, this.heartbeatMs);
    this.timer.unref();
    if (this.o.link.up) this.onStatus(true);
  }

  /** Window, counts and pages come from Redis (else from this replica alone). */
  get scope(): "cluster" | "local" {
    return this.o.link.up && this.ready ? "cluster" : "local";
  }

  // ---- connections

  join(board: string, user: PublicUser): void {
    const change = this.local.add(board, user);
    if (!change) {
      this.o.log.warn({ board, userId: String(user?.id).slice(0, 80) }, "presence: ignored a user that cannot be keyed");
      return;
    }
    const st = this.state(board);
    if (change.added) {
      this.pendingLeaves.get(board)?.delete(user.id);
      if (this.o.link.up) {
        this.run(SCRIPTS.join, this.keysFor(board), [change.key, user.id, this.o.instanceId, String(Date.now()), board]).catch((err: Error) =>
          this.o.log.debug({ err: err.message, board }, "presence join failed (the heartbeat re-adds)"),
        );
      }
    }
    st.notify.request();
    this.emit(board, this.scope === "cluster" ? { users: false, counts: true } : { users: change.users, counts: true });
  }

  leave(board: string, user: PublicUser): void {
    const change = this.local.remove(board, user);
    if (!change) return;
    const st = this.state(board);
    if (change.removed) {
      const unsent = () => this.rememberLeave(board, user.id, change.key);
      if (this.o.link.up) {
        this.run(SCRIPTS.leave, this.keysFor(board), [this.o.instanceId, String(Date.now() - this.ttlMs), board, change.key, user.id]).catch((err: Error) => {
          this.o.log.debug({ err: err.message, board }, "presence leave failed (sent again when Redis is back)");
          unsent();
        });
      } else {
        unsent();
      }
    }
    st.notify.request();
    this.emit(board, this.scope === "cluster" ? { users: false, counts: true } : { users: change.users, counts: true });
  }

  /**
   * A leave Redis did not get: sent at the next registration, unless the user is back by then.
   * Without this, a user who left during a network split would stay until the TTL removed them.
   */
  private rememberLeave(board: string, id: string, key: string): void {
    if (this.local.hasUser(board, id)) return;
    let m = this.pendingLeaves.get(board);
    if (!m) {
      m = new Map();
      this.pendingLeaves.set(board, m);
    }
    m.set(id, key);
  }

  // ---- reads

  window(board: string): PresenceWindow {
    const cache = this.scope === "cluster" ? this.boards.get(board)?.cache : null;
    if (!cache) return this.local.window(board);
    return { users: cache.users, total: cache.total, connections: cache.otherConnections + this.local.connectionsOf(board), scope: "cluster" };
  }

  async read(board: string): Promise<PresenceWindow> {
    if (this.scope !== "cluster" || this.boards.get(board)?.cache) return this.window(board);
    // Unauthenticated HTTP reads land here: one Redis read per board per push interval, shared.
    const now = Date.now();
    const hit = this.reads.get(board);
    if (hit && now - hit.at < this.pushIntervalMs) return hit.window;
    const window = this.readUncached(board);
    this.reads.delete(board);
    this.reads.set(board, { at: now, window });
    if (this.reads.size > PRESENCE_READ_CACHE_BOARDS) this.reads.delete(this.reads.keys().next().value as string);
    return window;
  }

  private async readUncached(board: string): Promise<PresenceWindow> {
    try {
      const w = await this.readWindow(board, "-", PRESENCE_WINDOW_USERS, true);
      if (w && this.scope === "cluster") return { users: usersOf(w.entries), total: w.total, connections: this.otherConnections(w.conns) + this.local.connectionsOf(board), scope: "cluster" };
    } catch (err) {
      this.o.log.debug({ err: (err as Error).message, board }, "presence read failed");
    }
    return this.local.window(board);
  }

  async page(board: string, after: string | null, limit: number): Promise<PresencePage> {
    const from = after === null ? null : decodeCursor(after);
    const n = clampPageLimit(limit);
    if (this.scope === "cluster") {
      try {
        const w = await this.readWindow(board, from === null ? "-" : `(${from}`, n + 1, false);
        if (w) {
          const shown = w.entries.slice(0, n);
          return { users: usersOf(shown), total: w.total, next: w.entries.length > n ? encodeCursor(shown[shown.length - 1].member) : null };
        }
      } catch (err) {
        this.o.log.debug({ err: (err as Error).message, board }, "presence page failed: answering from this replica");
      }
    }
    return this.local.pageNow(board, after, limit);
  }

  subscribe(listener: (board: string, change: PresenceChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async activeBoards(): Promise<ActiveBoard[]> {
    const now = Date.now();
    if (this.active && now - this.active.at < this.pushIntervalMs) return this.active.boards;
    const boards = this.activeBoardsUncached();
    this.active = { at: now, boards };
    return boards;
  }

  private async activeBoardsUncached(): Promise<ActiveBoard[]> {
    if (this.scope === "cluster") {
      try {
        const rows = await this.o.link.pub.zRangeWithScores(BOARDS_ACTIVE, "+inf", "-inf", {
          BY: "SCORE",
          REV: true,
          LIMIT: { offset: 0, count: PRESENCE_ACTIVE_BOARDS_MAX },
        });
        const out: ActiveBoard[] = [];
        for (const r of rows) {
          const n = count(r.score);
          if (isBoardId(r.value) && n !== null && n > 0) out.push({ board: r.value, activeUsers: n });
        }
        return out;
      } catch (err) {
        this.o.log.debug({ err: (err as Error).message }, "presence activeBoards failed");
      }
    }
    return this.local.activeBoardsNow().slice(0, PRESENCE_ACTIVE_BOARDS_MAX);
  }

  instances(): PresenceInstance[] {
    const me = this.local.counts();
    // A replica whose heartbeat is older than the TTL is gone even if our own heartbeat has not come
    // round to re-read the list: its users are expired by then, and the list says the same.
    const cutoff = Date.now() - this.ttlMs;
    const others = this.scope === "cluster" ? this.others.filter((o) => o.seenAt >= cutoff).map(({ id, users, connections }) => ({ id, users, connections })) : [];
    return [{ id: this.o.instanceId, users: me.users, connections: me.connections }, ...others];
  }

  // ---- following boards

  async follow(board: string): Promise<void> {
    const st = this.state(board);
    st.followed = true;
    if (!st.subscription) {
      st.subscription = this.o.link.subscribe(userChannel(board), KIND, (text) => this.onNotice(board, text));
    }
    await st.subscription;
    if (this.scope === "cluster" && st.followed) await st.refresh.now();
  }

  async unfollow(board: string): Promise<void> {
    const st = this.boards.get(board);
    if (!st) return;
    st.followed = false;
    const sub = st.subscription;
    st.subscription = null;
    if (sub) await (await sub)();
  }

  // ---- lifecycle

  /** Leave the cluster at once (SIGTERM): remove this replica's users and tell the others. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.stopStatus?.();
    await this.beating;
    for (const st of this.boards.values()) {
      st.refresh.stop();
      st.notify.stop();
    }
    if (this.o.link.up && this.ready) {
      try {
        for (const board of [...this.local.boardIds()]) {
          await this.chunked((after, n) => this.local.keysAfter(board, after, n), PRESENCE_REFRESH_CHUNK_USERS, (pairs) =>
            this.run(SCRIPTS.leave, this.keysFor(board), [this.o.instanceId, String(Date.now() - this.ttlMs), board, ...pairs]),
          );
          await this.o.link.pub.hDel(presenceKeys(board).conns, this.o.instanceId);
          await this.publishNotice(board);
        }
        await this.o.link.pub.multi().zRem(PODS_INDEX, this.o.instanceId).del(podUsersKey(this.o.instanceId)).exec();
      } catch (err) {
        this.o.log.debug({ err: (err as Error).message }, "presence: leaving the cluster failed (the TTL removes our users)");
      }
    }
    const subs = [...this.boards.values()].map((st) => st.subscription).filter((s) => s !== null);
    this.boards.clear();
    this.listeners.clear();
    await Promise.allSettled(subs.map(async (s) => (await s)()));
  }

  private onStatus(up: boolean): void {
    if (this.closed) return;
    const gen = ++this.generation;
    if (!up) {
      const was = this.ready;
      this.ready = false;
      this.others = [];
      for (const st of this.boards.values()) st.cache = null;
      this.reads.clear();
      this.active = null;
      if (was) for (const board of this.boards.keys()) this.emit(board, { users: true, counts: true });
      return;
    }
    void this.register(gen);
  }

  /** Redis (re)appeared: put this replica's users back, read every window, then answer from Redis. */
  private async register(gen: number): Promise<void> {
    try {
      await this.beating;
      if (gen !== this.generation) return;
      await Promise.all(Object.values(SCRIPTS).map((s) => this.o.link.pub.scriptLoad(s.text)));
      await this.beat(true);
      if (gen !== this.generation || this.closed) return;
      await Promise.all([...this.boards.values()].map((st) => st.refresh.now()));
      if (gen !== this.generation || this.closed) return;
      this.ready = true;
      for (const board of this.boards.keys()) this.emit(board, { users: true, counts: true });
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, "presence: registering with Redis failed; retrying at the next status change or heartbeat");
      // The interval only beats once ready; retry registration on its own clock meanwhile.
      if (gen === this.generation && !this.closed) {
        const t = setTimeout(() => {
          if (gen === this.generation && this.o.link.up && !this.ready) void this.register(gen);
        }, this.heartbeatMs);
        t.unref();
      }
    }
  }

  /** One heartbeat, never more than one at a time; errors are logged, not thrown. */
  private beat(rethrow = false): Promise<void> {
    const run = (async () => {
      try {
        await this.heartbeat();
      } catch (err) {
        this.o.log.debug({ err: (err as Error).message }, "presence heartbeat failed");
        if (rethrow) throw err;
      } finally {
        this.beating = null;
      }
    })();
    this.beating = run.catch(() => {});
    return run;
  }

  private async heartbeat(): Promise<void> {
    if (!this.o.link.up || this.closed) return;
    const pub = this.o.link.pub;
    const now = Date.now();
    const cutoff = now - this.ttlMs;
    const me = this.local.counts();
    const record = JSON.stringify({ instanceId: this.o.instanceId, connections: me.connections, users: me.users, boards: me.boards, timestamp: now });
    await pub
      .multi()
      .zAdd(PODS_INDEX, { score: now, value: this.o.instanceId })
      .set(podUsersKey(this.o.instanceId), record, { expiration: { type: "PX", value: this.ttlMs } })
      .zRemRangeByScore(PODS_INDEX, "-inf", `(${cutoff}`)
      .exec();

    // Leaves Redis missed while it was unreachable.
    for (const [board, m] of [...this.pendingLeaves]) {
      const keys = [...m.values()];
      let sent = 0;
      const take = () => {
        const chunk = keys.slice(sent, sent + PRESENCE_REFRESH_CHUNK_USERS);
        sent += chunk.length;
        return chunk;
      };
      await this.chunked(take, PRESENCE_REFRESH_CHUNK_USERS, (pairs) =>
        this.run(SCRIPTS.leave, this.keysFor(board), [this.o.instanceId, String(cutoff), board, ...pairs]),
      );
      for (const key of keys) if (m.get(idOfKey(key)) === key) m.delete(idOfKey(key));
      if (m.size === 0) this.pendingLeaves.delete(board);
      await this.writeConnections(board);
      await this.publishNotice(board);
    }

    // Re-add our users: linear in our own users, in chunks, each chunk taken from the live state
    // right before it is sent, so a user who left meanwhile is never re-added after their leave.
    for (const board of [...this.local.boardIds()]) {
      let added = 0;
      await this.chunked((after, n) => this.local.keysAfter(board, after, n), PRESENCE_REFRESH_CHUNK_USERS, async (pairs) => {
        const r = await this.run(SCRIPTS.refresh, this.keysFor(board), [this.o.instanceId, String(now), board, ...pairs]);
        added += Array.isArray(r) ? (count(r[0]) ?? 0) : 0;
      });
      // Members that had vanished (Redis lost data) are back: others should re-read now, not at their heartbeat.
      if (added > 0) await this.publishNotice(board);
    }

    // Our connection counts, on boards where we have users and where we had some (a leave Redis missed).
    for (const board of new Set([...this.local.boardIds(), ...this.boards.keys()])) await this.writeConnections(board);

    // Expire members nobody re-added: on the boards we see, and on boards whose holders all died.
    const stale = await pub.zRange(PRESENCE_BOARDS, "-inf", `(${cutoff}`, { BY: "SCORE", LIMIT: { offset: 0, count: PRESENCE_STALE_BOARDS_PER_BEAT } });
    const sweep = new Set([...this.boards.keys(), ...stale.filter((b) => isBoardId(b))]);
    for (const board of sweep) {
      for (let i = 0; i < PRESENCE_EXPIRE_CHUNKS_PER_BEAT; i++) {
        const r = await this.run(SCRIPTS.expire, this.keysFor(board), [String(cutoff), String(PRESENCE_EXPIRE_CHUNK_USERS), board]);
        const removed = Array.isArray(r) ? (count(r[0]) ?? 0) : 0;
        if (removed > 0) await this.publishNotice(board);
        if (removed < PRESENCE_EXPIRE_CHUNK_USERS) break;
      }
    }
    // Garbage in the board index (not a board id) is dropped so it is not read again.
    const bad = stale.filter((b) => !isBoardId(b));
    if (bad.length > 0) await pub.zRem(PRESENCE_BOARDS, bad);

    await this.readOthers(cutoff);
    for (const st of this.boards.values()) st.refresh.request();
  }

  /** The live replicas' records: bounded by PRESENCE_MAX_PODS, never by users. */
  private async readOthers(cutoff: number): Promise<void> {
    const pub = this.o.link.pub;
    const live = (await pub.zRangeWithScores(PODS_INDEX, "+inf", cutoff, { BY: "SCORE", REV: true, LIMIT: { offset: 0, count: PRESENCE_MAX_PODS + 1 } })).filter(
      (p) => p.value !== this.o.instanceId && POD_ID.test(p.value) && Number.isFinite(p.score),
    );
    const ids = live.slice(0, PRESENCE_MAX_PODS).map((p) => p.value);
    const values = ids.length > 0 ? await pub.mGet(ids.map(podUsersKey)) : [];
    const others: Array<PresenceInstance & { seenAt: number }> = [];
    values.forEach((v, i) => {
      if (v === null) return; // expired between the two reads: that replica stopped
      const rec = parsePodRecord(ids[i], v);
      if (rec) others.push({ ...rec, seenAt: live[i].score });
      else this.garbage.records++;
    });
    this.others = others;
  }

  // ---- notices and windows

  private onNotice(board: string, text: string): void {
    const msg = this.o.signer.verify(text);
    const counters = this.o.link.channel(KIND);
    if (!msg) {
      counters.rejected++;
      this.garbage.notices++;
      return;
    }
    // The main channel also carries bans and moderator changes: not ours to judge.
    if (msg.type !== "user_update") return;
    if (typeof msg.podId !== "string" || !POD_ID.test(msg.podId) || msg.board !== board) {
      counters.rejected++;
      this.garbage.notices++;
      return;
    }
    if (msg.podId === this.o.instanceId) return;
    this.boards.get(board)?.refresh.request();
  }

  private async publishNotice(board: string): Promise<void> {
    await this.o.link.publish(userChannel(board), KIND, this.o.signer.sign({ type: "user_update", podId: this.o.instanceId, board }));
  }

  /** After own changes: our connection count, then the notice (ordered after our scripts on the same connection). */
  private async notifyOthers(board: string): Promise<void> {
    if (!this.o.link.up || this.closed) return;
    await this.writeConnections(board);
    await this.publishNotice(board);
    this.boards.get(board)?.refresh.request();
  }

  private async writeConnections(board: string): Promise<void> {
    const n = this.local.connectionsOf(board);
    const conns = presenceKeys(board).conns;
    await (n > 0 ? this.o.link.pub.hSet(conns, this.o.instanceId, String(n)) : this.o.link.pub.hDel(conns, this.o.instanceId));
  }

  private async refreshWindow(board: string): Promise<void> {
    const st = this.boards.get(board);
    if (!st || !this.o.link.up || this.closed) return;
    const gen = this.generation;
    const w = await this.readWindow(board, "-", PRESENCE_WINDOW_USERS, true);
    if (!w || gen !== this.generation || this.boards.get(board) !== st) return;
    const next: BoardCache = { users: usersOf(w.entries), total: w.total, otherConnections: this.otherConnections(w.conns) };
    const prev = st.cache;
    st.cache = next;
    // Garbage left gaps in this window: read again (soon, throttled) to fill it from behind.
    if (w.garbage.length + w.dropped > 0) st.refresh.request();
    if (!this.ready) return; // registration announces every board once it is done
    const users = !prev || !sameUsers(prev.users, next.users);
    const counts = !prev || prev.total !== next.total || prev.otherConnections !== next.otherConnections;
    if (users || counts) this.emit(board, { users, counts });
  }

  /** One bounded read (O(log n + count)); garbage members it meets are removed. */
  private async readWindow(board: string, start: string, limit: number, withConns: boolean): Promise<WindowRead | null> {
    const k = presenceKeys(board);
    const reply = await this.run(
      SCRIPTS.window,
      [k.lex, k.seen, k.conns, PODS_INDEX, BOARDS_ACTIVE],
      [start, String(limit), withConns ? "1" : "0", String(Date.now() - this.ttlMs), board],
    );
    const w = parseWindowReply(reply);
    if (!w) {
      this.garbage.members++;
      return null;
    }
    this.garbage.members += w.dropped;
    if (w.garbage.length > 0) {
      this.garbage.members += w.garbage.length;
      const [removed] = await this.o.link.pub.multi().zRem(k.lex, w.garbage).zRem(k.seen, w.garbage).exec();
      w.total = Math.max(0, w.total - (count(removed) ?? 0));
    }
    return w;
  }

  private otherConnections(conns: Map<string, number>): number {
    let n = 0;
    for (const [pod, c] of conns) if (pod !== this.o.instanceId) n += c;
    return n;
  }

  // ---- helpers

  private state(board: string): BoardState {
    let st = this.boards.get(board);
    if (!st) {
      const onError = (what: string) => (err: Error) => this.o.log.debug({ err: err.message, board }, what);
      st = {
        followed: false,
        subscription: null,
        cache: null,
        refresh: new Throttle(this.pushIntervalMs, () => this.refreshWindow(board), onError("presence window read failed")),
        notify: new Throttle(this.pushIntervalMs, () => this.notifyOthers(board), onError("presence notice failed")),
      };
      this.boards.set(board, st);
    }
    return st;
  }

  /** Boards neither followed nor holding local users are dropped once their last notice went out. */
  private forgetIdleBoards(): void {
    for (const [board, st] of this.boards) {
      if (st.followed || st.subscription || this.local.connectionsOf(board) > 0 || !st.notify.idle) continue;
      st.refresh.stop();
      st.notify.stop();
      this.boards.delete(board);
    }
  }

  private keysFor(board: string): string[] {
    const k = presenceKeys(board);
    return [k.lex, k.seen, k.refs, k.conns, BOARDS_ACTIVE, PRESENCE_BOARDS, PODS_INDEX];
  }

  /**
   * Feed keys to `send` as member, id pairs, `size` at a time. `next(after, n)` is asked for each
   * chunk when it is sent, so a chunk reflects the live state: a user who left meanwhile is not
   * re-added after their leave (commands on the one connection run in order).
   */
  private async chunked(next: (after: string | null, n: number) => string[], size: number, send: (pairs: string[]) => Promise<unknown>): Promise<void> {
    let after: string | null = null;
    for (;;) {
      const keys = next(after, size);
      if (keys.length === 0) return;
      const pairs: string[] = [];
      for (const key of keys) pairs.push(key, idOfKey(key));
      await send(pairs);
      after = keys[keys.length - 1];
    }
  }

  /** EVALSHA, falling back to EVAL when Redis lost its script cache (a restart). */
  private async run(s: Script, keys: string[], args: string[]): Promise<unknown> {
    const pub = this.o.link.pub;
    try {
      return await pub.evalSha(s.sha, { keys, arguments: args });
    } catch (err) {
      if (!String((err as Error)?.message).startsWith("NOSCRIPT")) throw err;
      return await pub.eval(s.text, { keys, arguments: args });
    }
  }

  private emit(board: string, change: PresenceChange): void {
    for (const l of this.listeners) {
      try {
        l(board, change);
      } catch (err) {
        this.o.log.error({ err: (err as Error).message, board }, "presence listener failed");
      }
    }
  }
}
