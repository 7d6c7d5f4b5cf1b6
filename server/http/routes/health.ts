// GET /api/health (SPEC §3): the load balancer's and Kubernetes' view of this replica.

import { HEALTH_DB_TIMEOUT_MS } from "../../../lib/limits";
import type { ApiDeps } from "../deps";
import { sendJson, withTimeout } from "../respond";
import type { ApiRouter } from "../router";


export function healthRoutes(r: ApiRouter, d: ApiDeps): void {
  // Liveness: the process answers. Never touches the database or Redis, so their outages (which
  // /api/health reports) do not make an orchestrator restart every replica at once.
  r.on("GET", "/api/live", (ctx) => sendJson(ctx.res, 200, { status: "alive", instanceId: d.config.instanceId }));

  r.on("GET", "/api/health", async (ctx) => {
    let db: "up" | "down" = "up";
    try {
      await withTimeout(d.storage.ping(), HEALTH_DB_TIMEOUT_MS);
    } catch {
      db = "down";
    }
    const redis = d.redisStatus();
    sendJson(ctx.res, db === "up" ? 200 : 503, {
      status: db === "down" || redis === "down" ? "degraded" : "ok",
      instanceId: d.config.instanceId,
      redis,
      db,
      connections: d.connections(),
    });
  });
}
