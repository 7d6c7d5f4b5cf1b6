// Two (or more) real replicas of the production build for the cluster stories: a private
// PostgreSQL database and a real redis-server of their own, torn down after the spec.

import { freshPgDatabase } from "../test/pg";
import { RedisProcess, ReplicaProcess } from "../test/processes";

export interface E2eCluster {
  replicas: ReplicaProcess[];
  redis: RedisProcess;
  dispose(): Promise<void>;
}

/** Start one replica per id on a 200×150 main board with a 1-s cooldown, sharing the database and Redis. */
export async function startCluster(instanceIds: readonly string[]): Promise<E2eCluster> {
  const db = await freshPgDatabase();
  const redis = await RedisProcess.start();
  const env = {
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    SESSION_SECRET: "e2e-cluster-secret-0123456789",
    COOLDOWN_MS: "1000",
    CANVAS_WIDTH: "200",
    CANVAS_HEIGHT: "150",
  };
  const replicas: ReplicaProcess[] = [];
  for (const id of instanceIds) replicas.push(await ReplicaProcess.start({ env, instanceId: id, apiOnly: false }));
  return {
    replicas,
    redis,
    async dispose() {
      await Promise.all(replicas.map((r) => r.stop("SIGTERM")));
      await redis.stop();
      await db.drop();
    },
  };
}
