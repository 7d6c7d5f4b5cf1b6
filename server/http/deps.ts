// What the API's route modules are built from (wired once in server/app.ts).

import type { BoardDirectory } from "../canvas/boards";
import type { CanvasService } from "../canvas/canvas-service";
import type { Storage } from "../canvas/store";
import type { Timelapses } from "../canvas/timelapse";
import type { Config } from "../config";
import type { Logger } from "../logger";
import type { Moderation } from "../moderation/moderation";
import type { Presence } from "../realtime/presence";
import type { Rooms } from "../realtime/rooms";
import type { Sessions } from "../sessions";
import type { RedisStatus } from "../../lib/protocol";
import type { IncomingMessage } from "node:http";
import type { BoardBodies } from "./board-body";

export interface PubSubStats {
  published: number;
  received: number;
  failed: number;
  rejected: number;
  lastPublishAt: number | null;
  lastReceiveAt: number | null;
}

export interface ApiDeps {
  config: Config;
  storage: Storage;
  sessions: Sessions;
  service: CanvasService;
  boards: BoardDirectory;
  rooms: Rooms;
  presence: Presence;
  bodies: BoardBodies;
  log: Logger;
  redisStatus: () => RedisStatus;
  /** Open WebSocket connections on this replica. */
  connections: () => number;
  pubsub: () => PubSubStats;
  clientIp: (req: IncomingMessage) => string;
  /** Is this user banned now (moderation keeps it current across replicas)? */
  isBanned: (userId: string) => boolean;
  /** Bans, rollback, wipe, freeze, moderator grants and the audit log (SPEC §12). */
  moderation: Moderation;
  /** Timelapse GIFs (SPEC §13). */
  timelapses: Timelapses;
}
