// Who is on each board (SPEC §10). The gateway and the HTTP layer see presence only through the
// `Presence` interface; `LocalPresence` (here) serves a single replica, `ClusterPresence`
// (server/cluster/presence-redis.ts) the cluster. Both order users the same way, so a cursor made
// by one is understood by the other and paging does not jump when Redis comes and goes.
//
// Order: by the sort key `lowercase(name) \0 name \0 id`, compared as UTF-8 bytes — what Redis
// ZRANGE BYLEX does with the same members. Lowercase first puts "alice" before "Bob" as people
// expect; the exact name and then the id break ties, so the order is total and stable.

import { NAME_MAX_CHARS, PRESENCE_ID_MAX_CHARS, PRESENCE_SORTED_BLOCK_KEYS, PRESENCE_WINDOW_USERS, USERS_PAGE_MAX_LIMIT } from "../../lib/limits";
import type { PublicUser, StatsScope } from "../../lib/protocol";

/** What `user_list` and `…/stats` show: the first users in order, and exact counts. */
export interface PresenceWindow {
  /** At most PRESENCE_WINDOW_USERS users, in order. */
  users: PublicUser[];
  /** Distinct users on the board (cluster-wide in scope "cluster"). */
  total: number;
  connections: number;
  scope: StatsScope;
}

export interface PresencePage {
  users: PublicUser[];
  total: number;
  /** Pass as `after` for the next page; null on the last page. */
  next: string | null;
}

/** What changed on a board: the window's users, or its counts (total, connections, scope). */
export interface PresenceChange {
  users: boolean;
  counts: boolean;
}

export interface PresenceInstance {
  id: string;
  /** Distinct users on that replica (a user on two of its boards counts once). */
  users: number;
  connections: number;
}

export interface ActiveBoard {
  board: string;
  activeUsers: number;
}

export interface Presence {
  /** A connection of `user` opened on this replica on `board`. */
  join(board: string, user: PublicUser): void;
  /** One of its connections closed. */
  leave(board: string, user: PublicUser): void;
  /** The cached window of a board: O(1) while nothing changed, never a Redis round trip. */
  window(board: string): PresenceWindow;
  /**
   * The window of any board, followed here or not (HTTP reads of boards nobody follows on this
   * replica): followed boards answer from the cache, others with one bounded read.
   */
  read(board: string): Promise<PresenceWindow>;
  /** Everyone on the board, in order, `limit` (clamped to 1…USERS_PAGE_MAX_LIMIT) at a time. Throws PresenceCursorError on a bad `after`. */
  page(board: string, after: string | null, limit: number): Promise<PresencePage>;
  /** Called when the window or counts of `board` changed; returns the function that stops it. */
  subscribe(listener: (board: string, change: PresenceChange) => void): () => void;
  /** Boards with users, most active first, at most PRESENCE_ACTIVE_BOARDS_MAX. */
  activeBoards(): Promise<ActiveBoard[]>;
  /** This replica first, then the live replicas it knows of (bounded). */
  instances(): PresenceInstance[];
  /** This replica starts following a board (resolves once its presence notices are subscribed). */
  follow(board: string): Promise<void>;
  /** …and stops. */
  unfollow(board: string): Promise<void>;
  close(): Promise<void>;
}

/** A malformed `after` cursor: the HTTP layer answers 400. */
export class PresenceCursorError extends Error {
  readonly code = "invalid_cursor";
  constructor() {
    super("after is not a cursor this server issued");
    this.name = "PresenceCursorError";
  }
}

// ---------------------------------------------------------------- sort keys and cursors

const LONE_SURROGATE = /\p{Cs}/u;

/**
 * True when the user can be keyed: no NUL (the key's separator), no lone surrogate (which would
 * not survive UTF-8 and so would sort differently in Redis), bounded lengths.
 */
function keyableUser(user: PublicUser): boolean {
  const { id, name } = user;
  return (
    typeof id === "string" &&
    typeof name === "string" &&
    id.length >= 1 &&
    id.length <= PRESENCE_ID_MAX_CHARS &&
    name.length >= 1 &&
    name.length <= 4 * NAME_MAX_CHARS &&
    !id.includes("\0") &&
    !name.includes("\0") &&
    !LONE_SURROGATE.test(id) &&
    !LONE_SURROGATE.test(name)
  );
}

/** The sort key of a user (also the Redis member): `lowercase(name) \0 name \0 id`. */
export function sortKey(user: PublicUser): string {
  return `${user.name.toLowerCase()}\0${user.name}\0${user.id}`;
}

/** The user a sort key names, or null when it is not one `sortKey` could have made. */
export function parseSortKey(key: string): PublicUser | null {
  const a = key.indexOf("\0");
  const b = a < 0 ? -1 : key.indexOf("\0", a + 1);
  if (b < 0 || key.indexOf("\0", b + 1) >= 0) return null;
  const user = { id: key.slice(b + 1), name: key.slice(a + 1, b) };
  if (!keyableUser(user) || key.slice(0, a) !== user.name.toLowerCase()) return null;
  return user;
}

/**
 * Compare as UTF-8 bytes, which is code point order. JavaScript's `<` compares UTF-16 units, which
 * agrees except that surrogates (U+D800–DFFF, used for code points above U+FFFF) sort below
 * U+E000–FFFF: moving both ranges fixes that without encoding anything.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

/** The `next` cursor of a page that ended at `key`. */
export function encodeCursor(key: string): string {
  return Buffer.from(key, "utf8").toString("base64url");
}

/**
 * The key an `after` cursor names; throws PresenceCursorError unless it is canonical base64url of
 * UTF-8 text. Any such key is a valid position (paging resumes after it), so a cursor may name a
 * member that was garbage and has been removed since.
 */
export function decodeCursor(after: string): string {
  // A key is at most 4 × (96 + 96 + 64) + 2 bytes; base64 adds a third.
  if (typeof after !== "string" || after.length === 0 || after.length > 2048 || !/^[A-Za-z0-9_-]+$/.test(after)) throw new PresenceCursorError();
  const key = Buffer.from(after, "base64url").toString("utf8");
  if (encodeCursor(key) !== after) throw new PresenceCursorError();
  return key;
}

/** Clamp a page size to 1…USERS_PAGE_MAX_LIMIT (the HTTP layer rejects out-of-range values before). */
export function clampPageLimit(limit: number): number {
  if (!Number.isFinite(limit)) return USERS_PAGE_MAX_LIMIT;
  return Math.max(1, Math.min(USERS_PAGE_MAX_LIMIT, Math.floor(limit)));
}

/** Index of the first key greater than `key` in a sorted array. */
function upperBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(keys[mid], key) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}


/**
 * A sorted set of keys kept as a list of sorted blocks of at most PRESENCE_SORTED_BLOCK_KEYS. One flat sorted
 * array would do, but inserting into a 50,000-element JavaScript array costs ~200 µs (the shift is
 * not a plain memmove); here an insert or removal is a binary search over blocks, one within a
 * block, and a shift of at most PRESENCE_SORTED_BLOCK_KEYS. Reading k keys from any position is O(log n + k).
 */
export class SortedKeys {
  private readonly blocks: string[][] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds `key` (absent before); returns its position, or -1 once that is past `rankLimit`. */
  insert(key: string, rankLimit: number): number {
    this.count++;
    if (this.blocks.length === 0) {
      this.blocks.push([key]);
      return 0;
    }
    const bi = Math.min(this.blockFor(key), this.blocks.length - 1);
    const block = this.blocks[bi];
    const at = upperBound(block, key);
    block.splice(at, 0, key);
    const rank = this.rankOf(bi, at, rankLimit);
    if (block.length > PRESENCE_SORTED_BLOCK_KEYS) this.blocks.splice(bi + 1, 0, block.splice(block.length >> 1));
    return rank;
  }

  /** Removes `key`; returns its position before (or -1 once past `rankLimit`), or null when absent. */
  remove(key: string, rankLimit: number): number | null {
    const bi = this.blockFor(key);
    const block = this.blocks[bi];
    if (!block) return null;
    const at = upperBound(block, key) - 1;
    if (at < 0 || block[at] !== key) return null;
    const rank = this.rankOf(bi, at, rankLimit);
    block.splice(at, 1);
    if (block.length === 0) this.blocks.splice(bi, 1);
    this.count--;
    return rank;
  }

  /** Up to `n` keys greater than `after` (from the first when null), in order. */
  after(after: string | null, n: number): string[] {
    const out: string[] = [];
    let bi = after === null ? 0 : this.blockFor(after);
    let at = after === null || bi >= this.blocks.length ? 0 : upperBound(this.blocks[bi], after);
    while (out.length < n && bi < this.blocks.length) {
      const block = this.blocks[bi];
      while (out.length < n && at < block.length) out.push(block[at++]);
      bi++;
      at = 0;
    }
    return out;
  }

  /** The first block whose last key is ≥ key (blocks.length when key is past every key). */
  private blockFor(key: string): number {
    let lo = 0;
    let hi = this.blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const b = this.blocks[mid];
      if (compareKeys(b[b.length - 1], key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Global position of block[bi][at], or -1 when it is at least `limit` (no need to count further). */
  private rankOf(bi: number, at: number, limit: number): number {
    let rank = at;
    for (let i = 0; i < bi && rank < limit; i++) rank += this.blocks[i].length;
    return rank < limit ? rank : -1;
  }
}

// ---------------------------------------------------------------- LocalPresence

/** How one join or leave changed a board on this replica. */
export interface LocalChange {
  /** The user's sort key after the change (before it, for a leave). */
  key: string;
  /** The user's first connection on this board here (or a rename: the key changed). */
  added: boolean;
  /** The key the user had before a rename, else null. */
  renamedFrom: string | null;
  /** The user's last connection on this board here closed. */
  removed: boolean;
  /** The first PRESENCE_WINDOW_USERS users changed. */
  users: boolean;
}

interface LocalUser {
  name: string;
  key: string;
  connections: number;
}

class LocalBoard {
  readonly byId = new Map<string, LocalUser>();
  readonly keys = new SortedKeys();
  connections = 0;
  /** The window users, rebuilt on demand after the first keys changed. */
  windowUsers: PublicUser[] | null = null;

  /** True when the key landed in the window. */
  insert(key: string): boolean {
    return this.keys.insert(key, PRESENCE_WINDOW_USERS) >= 0;
  }

  /** True when the key was in the window. */
  remove(key: string): boolean {
    const rank = this.keys.remove(key, PRESENCE_WINDOW_USERS);
    return rank !== null && rank >= 0;
  }

  firstUsers(): PublicUser[] {
    if (!this.windowUsers) this.windowUsers = this.keys.after(null, PRESENCE_WINDOW_USERS).map(userOfKey);
    return this.windowUsers;
  }
}

/** The user of a key this module made (no validation: for keys from its own sets). */
function userOfKey(k: string): PublicUser {
  const b = k.lastIndexOf("\0");
  return { id: k.slice(b + 1), name: k.slice(k.indexOf("\0") + 1, b) };
}

const EMPTY_USERS: PublicUser[] = [];

/** Single-replica presence: everything in memory, scope "local". */
export class LocalPresence implements Presence {
  private readonly boards = new Map<string, LocalBoard>();
  /** User id → boards on which that user has a connection here (for per-replica distinct users). */
  private readonly boardsOfUser = new Map<string, number>();
  private connectionCount = 0;
  private readonly listeners = new Set<(board: string, change: PresenceChange) => void>();

  constructor(private readonly instanceId: string) {}

  join(board: string, user: PublicUser): void {
    const change = this.add(board, user);
    if (change) this.emit(board, { users: change.users, counts: true });
  }

  leave(board: string, user: PublicUser): void {
    const change = this.remove(board, user);
    if (change) this.emit(board, { users: change.users, counts: true });
  }

  /** join() without telling listeners: what changed, or null when the user cannot be keyed. */
  add(board: string, user: PublicUser): LocalChange | null {
    if (!keyableUser(user)) return null;
    let b = this.boards.get(board);
    if (!b) {
      b = new LocalBoard();
      this.boards.set(board, b);
    }
    b.connections++;
    this.connectionCount++;
    const key = sortKey(user);
    const known = b.byId.get(user.id);
    if (known) {
      known.connections++;
      if (known.key === key) return { key, added: false, renamedFrom: null, removed: false, users: false };
      // Renamed while connected: the newest name wins, for all of the user's connections.
      const renamedFrom = known.key;
      const wasShown = b.remove(renamedFrom);
      const users = b.insert(key) || wasShown;
      known.key = key;
      known.name = user.name;
      if (users) b.windowUsers = null;
      return { key, added: true, renamedFrom, removed: false, users };
    }
    b.byId.set(user.id, { name: user.name, key, connections: 1 });
    this.boardsOfUser.set(user.id, (this.boardsOfUser.get(user.id) ?? 0) + 1);
    const users = b.insert(key);
    if (users) b.windowUsers = null;
    return { key, added: true, renamedFrom: null, removed: false, users };
  }

  /** leave() without telling listeners: what changed, or null when the user had no connection here. */
  remove(board: string, user: PublicUser): LocalChange | null {
    const b = this.boards.get(board);
    const known = b?.byId.get(user.id);
    if (!b || !known) return null;
    b.connections--;
    this.connectionCount--;
    if (--known.connections > 0) return { key: known.key, added: false, renamedFrom: null, removed: false, users: false };
    b.byId.delete(user.id);
    const left = (this.boardsOfUser.get(user.id) ?? 1) - 1;
    if (left > 0) this.boardsOfUser.set(user.id, left);
    else this.boardsOfUser.delete(user.id);
    const users = b.remove(known.key);
    if (users) b.windowUsers = null;
    if (b.byId.size === 0) this.boards.delete(board);
    return { key: known.key, added: false, renamedFrom: null, removed: true, users };
  }

  window(board: string): PresenceWindow {
    const b = this.boards.get(board);
    if (!b) return { users: EMPTY_USERS, total: 0, connections: 0, scope: "local" };
    return { users: b.firstUsers(), total: b.keys.size, connections: b.connections, scope: "local" };
  }

  async read(board: string): Promise<PresenceWindow> {
    return this.window(board);
  }

  async page(board: string, after: string | null, limit: number): Promise<PresencePage> {
    return this.pageNow(board, after, limit);
  }

  /** page(), synchronously (the cluster implementation's fallback). */
  pageNow(board: string, after: string | null, limit: number): PresencePage {
    const from = after === null ? null : decodeCursor(after);
    const n = clampPageLimit(limit);
    const keys = this.boards.get(board)?.keys;
    if (!keys) return { users: [], total: 0, next: null };
    const slice = keys.after(from, n + 1);
    const more = slice.length > n;
    if (more) slice.pop();
    return { users: slice.map(userOfKey), total: keys.size, next: more ? encodeCursor(slice[slice.length - 1]) : null };
  }

  subscribe(listener: (board: string, change: PresenceChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async activeBoards(): Promise<ActiveBoard[]> {
    return this.activeBoardsNow();
  }

  /** Boards with users here, most active first (then by id, for a stable order). */
  activeBoardsNow(): ActiveBoard[] {
    return [...this.boards]
      .map(([board, b]) => ({ board, activeUsers: b.keys.size }))
      .sort((x, y) => y.activeUsers - x.activeUsers || (x.board < y.board ? -1 : 1));
  }

  instances(): PresenceInstance[] {
    return [{ id: this.instanceId, users: this.boardsOfUser.size, connections: this.connectionCount }];
  }

  async follow(): Promise<void> {}

  async unfollow(): Promise<void> {}

  async close(): Promise<void> {
    this.listeners.clear();
  }

  // ---- what the cluster implementation reads

  /** Boards with at least one connection here. */
  boardIds(): IterableIterator<string> {
    return this.boards.keys();
  }

  /** Up to `n` of this replica's users on a board after `after`, as sort keys in order (the heartbeat re-adds them). */
  keysAfter(board: string, after: string | null, n: number): string[] {
    return this.boards.get(board)?.keys.after(after, n) ?? [];
  }

  hasUser(board: string, id: string): boolean {
    return this.boards.get(board)?.byId.has(id) ?? false;
  }

  connectionsOf(board: string): number {
    return this.boards.get(board)?.connections ?? 0;
  }

  /** Distinct users, connections and boards on this replica. */
  counts(): { users: number; connections: number; boards: number } {
    return { users: this.boardsOfUser.size, connections: this.connectionCount, boards: this.boards.size };
  }

  private emit(board: string, change: PresenceChange): void {
    for (const l of this.listeners) {
      try {
        l(board, change);
      } catch {
        // A listener's failure is its own; the others still hear about the change.
      }
    }
  }
}
