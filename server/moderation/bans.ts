// Who is banned now, as this replica knows it: loaded from the database at start, kept current by
// ban events from any replica, and re-read every BAN_REFRESH_MS so a ban missed while Redis was
// down still takes hold. The commit re-checks bans under the board's lock, so this list only has
// to be quick, not exact.

import { BAN_REFRESH_MS } from "../../lib/limits";
import type { Storage } from "../canvas/store";
import type { Logger } from "../logger";

export class BanList {
  private readonly until = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly storage: Pick<Storage, "bannedUsers">,
    private readonly log: Logger,
    /** Told about users newly found banned by a refresh (their open tabs must close). */
    private readonly onBanned: (userId: string) => void = () => {},
  ) {}

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), BAN_REFRESH_MS);
    this.timer.unref();
  }

  isBanned(userId: string): boolean {
    const until = this.until.get(userId);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.until.delete(userId);
    return false;
  }

  set(userId: string, until: number): void {
    this.until.set(userId, until);
  }

  clear(userId: string): void {
    this.until.delete(userId);
  }

  private async refresh(): Promise<void> {
    try {
      const rows = await this.storage.bannedUsers();
      const fresh = new Map(rows.map((r) => [r.id, r.until]));
      for (const id of fresh.keys()) if (!this.until.has(id)) this.onBanned(id);
      this.until.clear();
      for (const [id, until] of fresh) this.until.set(id, until);
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, "ban list refresh failed; keeping the last one");
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
