// Every Redis channel and key Tessera uses, named in one place (SPEC §5).

import { MAIN_BOARD } from "../../lib/protocol";

/** Channel of committed placements of board `main`: `pixel_updated` or batched `pixels_updated` JSON. */
export const PIXEL_CHANNEL = "pixel-updates";
/** Channel of `user_update` notices of board `main`; also carries the events every replica needs (bans). */
export const USER_CHANNEL = "user-events";

/** A board's placements channel (SPEC §9: `main` keeps the revision-1 name). */
export function pixelChannel(board: string): string {
  return board === MAIN_BOARD ? PIXEL_CHANNEL : `${PIXEL_CHANNEL}:${board}`;
}

/** A board's user-events channel. */
export function userChannel(board: string): string {
  return board === MAIN_BOARD ? USER_CHANNEL : `${USER_CHANNEL}:${board}`;
}

/** A board's volatile cursor channel (never stored, never replayed). */
export function cursorChannel(board: string): string {
  return `cursors:${board}`;
}
/** Sorted set of live replicas: member = instanceId, score = last heartbeat (epoch ms). */
export const PODS_INDEX = "pods";

/** A replica's presence record (JSON), expiring unless its heartbeat refreshes it. */
export function podUsersKey(instanceId: string): string {
  return `pod:${instanceId}:users`;
}

/** Sorted set of boards with users: member = board id, score = its distinct users cluster-wide. */
export const BOARDS_ACTIVE = "boards:active";
/**
 * Sorted set of boards that hold presence: member = board id, score = the last heartbeat (epoch ms)
 * of any replica holding a user there. A board no live replica refreshed within the TTL lost all
 * its holders, so its presence is swept even when no replica follows it any more.
 */
export const PRESENCE_BOARDS = "presence:boards";

/** The presence keys of one board (docs/PROTOCOL.md "Redis"). */
export interface PresenceKeys {
  /** Zset, all scores 0, members `lowercase(name) \0 name \0 id`: BYLEX order and ZCARD total. */
  lex: string;
  /** Zset, same members, score = the last heartbeat (epoch ms) that saw them: expiry. */
  seen: string;
  /** Hash, user id → `member \n holder replica ids…`: which replicas hold the user. */
  refs: string;
  /** Hash, replica id → its connections on the board. */
  conns: string;
}

export function presenceKeys(board: string): PresenceKeys {
  const p = `presence:${board}`;
  return { lex: `${p}:lex`, seen: `${p}:seen`, refs: `${p}:refs`, conns: `${p}:conns` };
}
