// Who is here: local connections per user, and coalesced `stats` / `user_list` pushes.
// The scope is `local` in single-instance mode; the Redis fan-out aggregates across replicas.

import type { PublicUser, StatsScope } from "../lib/protocol";

export interface PresenceView {
  activeUsers: number;
  connections: number;
  users: string[];
  scope: StatsScope;
}

/** Counts this replica's connections per user. */
export class LocalPresence {
  private readonly byUser = new Map<string, { name: string; connections: number }>();
  private total = 0;

  /** Returns true when the set of users changed (first connection of a user). */
  join(user: PublicUser): boolean {
    this.total++;
    const e = this.byUser.get(user.id);
    if (e) {
      e.connections++;
      return false;
    }
    this.byUser.set(user.id, { name: user.name, connections: 1 });
    return true;
  }

  /** Returns true when the set of users changed (last connection of a user). */
  leave(user: PublicUser): boolean {
    const e = this.byUser.get(user.id);
    if (!e) return false;
    this.total--;
    if (--e.connections > 0) return false;
    this.byUser.delete(user.id);
    return true;
  }

  get connections(): number {
    return this.total;
  }

  /** One entry per distinct user: id and name. */
  users(): Array<{ id: string; name: string }> {
    return [...this.byUser].map(([id, e]) => ({ id, name: e.name }));
  }

  view(): PresenceView {
    const users = this.users().map((u) => u.name).sort((a, b) => a.localeCompare(b));
    return { activeUsers: users.length, connections: this.total, users, scope: "local" };
  }
}
