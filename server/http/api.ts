// The HTTP canvas API (SPEC §3, §9–§13), served by the custom server before Next sees the request:
// one router, one module per resource.

import type { IncomingMessage } from "node:http";
import type { ApiDeps } from "./deps";
import { ApiRouter } from "./router";
import { activityRoutes } from "./routes/activity";
import { adminRoutes } from "./routes/admin";
import { boardRoutes } from "./routes/boards";
import { canvasRoutes } from "./routes/canvas";
import { healthRoutes } from "./routes/health";
import { moderationRoutes } from "./routes/moderation";
import { presenceRoutes } from "./routes/presence";
import { sessionRoutes } from "./routes/session";
import { timelapseRoutes } from "./routes/timelapse";

export function createApi(d: ApiDeps, isHttps: (req: IncomingMessage) => boolean, extra: Array<(r: ApiRouter) => void> = []): ApiRouter {
  const r = new ApiRouter(d.log, isHttps);
  sessionRoutes(r, d);
  healthRoutes(r, d);
  boardRoutes(r, d);
  canvasRoutes(r, d);
  presenceRoutes(r, d);
  moderationRoutes(r, d);
  adminRoutes(r, d);
  timelapseRoutes(r, d);
  activityRoutes(r, d);
  for (const add of extra) add(r);
  return r;
}
