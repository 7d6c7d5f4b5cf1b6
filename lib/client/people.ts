// The people list at crowd scale (SPEC §10): the first users of the board come live with every
// `user_list` (at most 100, sorted by name then id), and the rest are paged in on demand from
// GET …/users as the list is scrolled. "You" is pinned first and found by id, never by name.
// Pure bookkeeping: the component asks what to fetch and hands the pages back.

import type { PublicUser } from "../protocol";

/** After a failed page request, the next one waits this long. */
export const PEOPLE_RETRY_MS = 3_000;

export class PeoplePager {
  private window: PublicUser[] = [];
  private windowIds = new Set<string>();
  private extra: PublicUser[] = [];
  private extraIds = new Set<string>();
  /** The `after` of the next page: undefined before the first page, null once the last one came. */
  private next: string | null | undefined = undefined;
  private me: PublicUser | null = null;
  private windowSource: readonly PublicUser[] | null = null;
  private windowTotal = -1;
  private cached: { version: number; rows: PublicUser[] } | null = null;
  total = 0;
  loading = false;
  /** When the last page request failed (another is tried PEOPLE_RETRY_MS later). */
  private failedAt = -Infinity;
  /** Bumped on every change, so a component can re-render on it. */
  version = 0;

  /** The live window (`user_list`, or the stats of a watcher) and the board's total. */
  setWindow(users: readonly PublicUser[], total: number): void {
    if (users === this.windowSource && total === this.windowTotal) return;
    this.windowSource = users;
    this.windowTotal = total;
    this.window = [...users];
    this.windowIds = new Set(users.map((u) => u.id));
    this.total = Math.max(total, users.length);
    this.version++;
  }

  /** Who "you" are (null: watching). */
  setMe(me: PublicUser | null): void {
    if (this.me?.id === me?.id && this.me?.name === me?.name) return;
    this.me = me;
    this.version++;
  }

  /** The rows to show: you first, then the window, then the pages fetched, each person once. */
  rows(): PublicUser[] {
    if (this.cached?.version === this.version) return this.cached.rows;
    const me = this.me;
    const out: PublicUser[] = me ? [me] : [];
    for (const u of this.window) if (u.id !== me?.id) out.push(u);
    for (const u of this.extra) if (u.id !== me?.id && !this.windowIds.has(u.id)) out.push(u);
    this.cached = { version: this.version, rows: out };
    return out;
  }

  /** True when more people exist than the rows hold and the server has more pages. */
  get hasMore(): boolean {
    if (this.next === null) return false;
    return this.rows().length < this.total;
  }

  /**
   * The `after` of the page to fetch now (null: the first page), or undefined when nothing is to be
   * fetched (all here, or a request is already on its way). Marks the pager as loading.
   */
  startFetch(now: number): string | null | undefined {
    if (this.loading || !this.hasMore || now - this.failedAt < PEOPLE_RETRY_MS) return undefined;
    this.loading = true;
    this.version++;
    return this.next ?? null;
  }

  /** A page arrived (its users in order, the server's total, and the `next` cursor). */
  addPage(users: readonly PublicUser[], next: string | null, total: number): void {
    this.loading = false;
    for (const u of users) {
      if (this.extraIds.has(u.id)) continue;
      this.extraIds.add(u.id);
      this.extra.push(u);
    }
    this.next = next;
    this.total = Math.max(total, this.window.length);
    this.version++;
  }

  /** A page failed: another try after PEOPLE_RETRY_MS. */
  fetchFailed(now: number): void {
    this.loading = false;
    this.failedAt = now;
    this.version++;
  }
}
