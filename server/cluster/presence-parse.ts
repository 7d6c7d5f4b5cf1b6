// Reading what Redis returns for presence. Anyone who can reach Redis can write these keys, so
// every value is parsed and bounded here; garbage becomes null, never an exception.

import { PRESENCE_COUNT_MAX, PRESENCE_MAX_PODS, PRESENCE_POD_RECORD_MAX_CHARS } from "../../lib/limits";
import type { PublicUser } from "../../lib/protocol";
import { parseSortKey, type PresenceInstance } from "../realtime/presence";

/** Replica ids as config.ts allows them; anything else in Redis is garbage. */
export const POD_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

export function count(v: unknown): number | null {
  const n = typeof v === "string" && /^\d{1,10}$/.test(v) ? Number(v) : v;
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 0 && n <= PRESENCE_COUNT_MAX ? n : null;
}

/** A replica's record, or null when it is not one this code wrote for that id. */
export function parsePodRecord(id: string, text: unknown): PresenceInstance | null {
  if (typeof text !== "string" || text.length > PRESENCE_POD_RECORD_MAX_CHARS) return null;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return null;
  const r = v as Record<string, unknown>;
  const users = count(r.users);
  const connections = count(r.connections);
  if (r.instanceId !== id || users === null || connections === null) return null;
  return { id, users, connections };
}

export interface WindowRead {
  /** Members in order, garbage included (a cursor must be able to step over it), with their user or null. */
  entries: Array<{ member: string; user: PublicUser | null }>;
  /** Members that are not sort keys: removed from Redis after the read. */
  garbage: string[];
  /** Members the script removed (no `seen` score). */
  dropped: number;
  total: number;
  /** Connections per replica on the board. */
  conns: Map<string, number>;
}

export function parseWindowReply(reply: unknown): WindowRead | null {
  if (!Array.isArray(reply) || reply.length !== 4) return null;
  const [members, flags, total, conns] = reply as unknown[];
  const n = count(total);
  if (!Array.isArray(members) || typeof flags !== "string" || n === null || !Array.isArray(conns)) return null;
  const out: WindowRead = { entries: [], garbage: [], dropped: 0, total: n, conns: new Map() };
  members.forEach((m, i) => {
    if (typeof m !== "string") return;
    // A '0' flag: no `seen` score, removed by the script already.
    const user = flags[i] === "1" ? parseSortKey(m) : null;
    if (user === null && flags[i] === "1") out.garbage.push(m);
    if (flags[i] !== "1") out.dropped++;
    out.entries.push({ member: m, user });
  });
  for (let i = 0; i + 1 < conns.length && i < 2 * PRESENCE_MAX_PODS; i += 2) {
    const pod = conns[i];
    const c = count(conns[i + 1]);
    if (typeof pod === "string" && POD_ID.test(pod) && c !== null) out.conns.set(pod, c);
  }
  return out;
}

export function usersOf(entries: WindowRead["entries"]): PublicUser[] {
  const out: PublicUser[] = [];
  for (const e of entries) if (e.user) out.push(e.user);
  return out;
}

export function sameUsers(a: readonly PublicUser[], b: readonly PublicUser[]): boolean {
  return a.length === b.length && a.every((u, i) => u.id === b[i].id && u.name === b[i].name);
}

/** The id in a sort key (after its last NUL). */
export function idOfKey(key: string): string {
  return key.slice(key.lastIndexOf("\0") + 1);
}

