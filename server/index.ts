// Entry point: `node --import tsx server/index.ts [--dev | --api-only]` (npm run dev / npm start).
// --api-only serves the API and /ws without the page (tests and benchmarks need no Next build).

import { SHUTDOWN_DEADLINE_MS } from "../lib/limits";
import { startTessera } from "./app";
import { ConfigError, loadConfig } from "./config";

async function main(): Promise<void> {
  const dev = process.argv.includes("--dev");
  const apiOnly = process.argv.includes("--api-only");
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`tessera: configuration error: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  let running;
  try {
    running = await startTessera(config, { next: !apiOnly, dev });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (err instanceof ConfigError) console.error(`tessera: ${e.message}`);
    else if (e.code === "EADDRINUSE") console.error(`tessera: PORT ${config.port} is already in use`);
    else if (e.code === "ECONNREFUSED") console.error(`tessera: cannot reach the database at DATABASE_URL (${e.message})`);
    else console.error(`tessera: failed to start: ${e.stack ?? e.message}`);
    process.exit(1);
  }
  console.log(`Tessera ready on ${running.url} (instance ${config.instanceId}, ${running.storage.kind})`);

  const shutdown = (signal: string) => {
    running.log.info({ signal }, "shutting down");
    const deadline = setTimeout(() => {
      running.log.error("shutdown took too long; exiting");
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    running.close().then(
      () => process.exit(0),
      (err: Error) => {
        running.log.error({ err: err.message }, "error during shutdown");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

void main();
