// Every Redis channel and key Tessera uses, named in one place (SPEC §5).

/** Channel of committed placements: `pixel_updated` or batched `pixels_updated` JSON. */
export const PIXEL_CHANNEL = "pixel-updates";
/** Channel of `user_update` notices: a replica's user set changed. */
export const USER_CHANNEL = "user-events";
/** Sorted set of live replicas: member = instanceId, score = last heartbeat (epoch ms). */
export const PODS_INDEX = "pods";

/** A replica's presence record (JSON), expiring unless its heartbeat refreshes it. */
export function podUsersKey(instanceId: string): string {
  return `pod:${instanceId}:users`;
}
