// `npm run cluster [-- --replicas N]`: several production replicas on consecutive ports sharing
// PostgreSQL (DATABASE_URL) and Redis (REDIS_URL, or a redis-server started here on a free port).
// Open one tab per printed URL and watch them agree. Ctrl+C stops everything.

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../test/processes";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function die(message: string): never {
  console.error(`cluster: ${message}`);
  process.exit(1);
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) die(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main(): Promise<void> {
  const replicas = Number(arg("replicas") ?? process.env.CLUSTER_REPLICAS ?? 3);
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 16) die("--replicas must be 1-16");
  const basePort = Number(process.env.PORT ?? 3000);
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    die(
      "set DATABASE_URL to a PostgreSQL database all replicas share, e.g.\n" +
        "  createdb -h 127.0.0.1 -U postgres tessera\n" +
        "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/tessera npm run cluster\n" +
        "(the embedded database cannot be shared between processes)",
    );
  }
  if (!fs.existsSync(path.join(ROOT, ".next", "BUILD_ID"))) {
    console.log("cluster: no production build yet; running npm run build");
    const built = spawnSync("npm", ["run", "build"], { cwd: ROOT, stdio: "inherit" });
    if (built.status !== 0) die("npm run build failed");
  }

  const children: ChildProcess[] = [];
  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    const port = await freePort();
    const redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
    redis.on("error", () => die("redis-server not found: install it, or set REDIS_URL"));
    children.push(redis);
    redisUrl = `redis://127.0.0.1:${port}`;
    console.log(`cluster: started redis-server on ${redisUrl} (kill it to watch the replicas degrade and recover)`);
  }
  const secret = process.env.SESSION_SECRET ?? randomBytes(24).toString("base64url");

  const urls: string[] = [];
  for (let i = 0; i < replicas; i++) {
    const port = basePort + i;
    const id = `replica-${i + 1}`;
    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "server/index.ts")], {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: "production", PORT: String(port), INSTANCE_ID: id, DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, SESSION_SECRET: secret },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const prefix = (line: string) => (line ? `[${id}] ${line}\n` : "");
    child.stdout!.on("data", (d: Buffer) => process.stdout.write(d.toString().split("\n").map(prefix).join("")));
    child.stderr!.on("data", (d: Buffer) => process.stderr.write(d.toString().split("\n").map(prefix).join("")));
    child.on("exit", (code, signal) => console.log(`cluster: ${id} exited (${signal ?? code})`));
    children.push(child);
    urls.push(`http://localhost:${port}`);
    // One at a time, so exactly one replica applies the migrations.
    await until(async () => (await fetch(`${urls[i]}/api/health`)).ok, 60_000, `${id} on port ${port}`);
  }

  console.log(`\nTessera cluster: ${replicas} replicas, Redis ${redisUrl}\n`);
  urls.forEach((u, i) => console.log(`  replica-${i + 1}  ${u}`));
  console.log("\nOpen one tab per replica. Ctrl+C stops everything.\n");

  const stop = () => {
    for (const c of children.slice().reverse()) c.kill("SIGTERM");
    setTimeout(() => process.exit(0), 6_000).unref();
    void Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once("exit", r))))).then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

void main();
