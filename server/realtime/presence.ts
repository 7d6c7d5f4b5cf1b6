// Who is here: local connections per user, and coalesced `stats` / `user_list` pushes.
// The scope is `local` in single-instance mode; the Redis fan-out aggregates across replicas.

import type { PublicUser, StatsScope } from "../../lib/protocol";

export interface PresenceView {
  activeUsers: number;
  connections: number;
  users: string[];
  scope: StatsScope;
}

/**
 * The view of one or more replicas' presence: each group is one replica's users and connection count;
 * a user connected to several replicas counts once.
 */
export function presenceView(groups: Iterable<{ users: readonly PublicUser[]; connections: number }>, scope: StatsScope): PresenceView {
  const byId = new Map<string, string>();
  let connections = 0;
  for (const g of groups) {
    connections += g.connections;
    for (const u of g.users) byId.set(u.id, u.name);
  }
  const users = [...byId.values()].sort((a, b) => a.localeCompare(b));
  return { activeUsers: users.length, connections, users, scope };
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
    return presenceView([{ users: this.users(), connections: this.total }], "local");
  }
}
