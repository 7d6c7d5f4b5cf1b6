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
