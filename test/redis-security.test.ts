// Redis AUTH and TLS through REDIS_URL alone: replicas reach a password-protected, TLS-only
// redis-server with `rediss://:password@host:port` (the CA trusted through NODE_EXTRA_CA_CERTS),
// share placements over it, and a replica with a wrong password degrades instead of crashing.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newSession, TestClient, tempDir, waitFor } from "./helpers";
import { freshPgDatabase } from "./pg";
import { freePort, RedisProcess, ReplicaProcess } from "./processes";

const PASSWORD = "s3cret-redis-pass";

/** A throw-away CA and a server certificate for localhost / 127.0.0.1. */
function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const f = (n: string) => path.join(dir, n);
  const ssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
  ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=tessera-test-ca", "-keyout", f("ca.key"), "-out", f("ca.pem"));
  ssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", f("server.key"), "-out", f("server.csr"));
  fs.writeFileSync(f("ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  ssl("x509", "-req", "-in", f("server.csr"), "-CA", f("ca.pem"), "-CAkey", f("ca.key"), "-CAcreateserial", "-days", "1", "-extfile", f("ext.cnf"), "-out", f("server.pem"));
  return { ca: f("ca.pem"), cert: f("server.pem"), key: f("server.key") };
}

describe("Redis with AUTH and TLS", () => {
  let db: Awaited<ReturnType<typeof freshPgDatabase>>;
  let redis: RedisProcess;
  let tlsPort: number;
  let certs: ReturnType<typeof makeCertificates>;
  const replicas: ReplicaProcess[] = [];

  beforeAll(async () => {
    certs = makeCertificates(tempDir("tessera-tls-"));
    tlsPort = await freePort();
    db = await freshPgDatabase();
    // The plain port answers the harness's readiness ping; the replicas get only the TLS port.
    redis = await RedisProcess.start([
      "--requirepass", PASSWORD,
      "--tls-port", String(tlsPort),
      "--tls-cert-file", certs.cert,
      "--tls-key-file", certs.key,
      "--tls-ca-cert-file", certs.ca,
      "--tls-auth-clients", "no",
    ]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop("SIGKILL")));
    await redis?.stop();
    await db?.drop();
  });

  const env = (redisUrl: string) => ({
    DATABASE_URL: db.url,
    REDIS_URL: redisUrl,
    SESSION_SECRET: "tls-test-secret-0123456789",
    NODE_EXTRA_CA_CERTS: certs.ca,
    COOLDOWN_MS: "0",
  });

  it("connects with rediss:// and a password, and shares placements", async () => {
    const url = `rediss://:${PASSWORD}@localhost:${tlsPort}`;
    for (const id of ["tls-a", "tls-b"]) replicas.push(await ReplicaProcess.start({ env: env(url), instanceId: id }));
    for (const r of replicas) await waitFor(async () => (await (await fetch(`${r.url}/api/health`)).json()).redis === "up", 10_000, `${r.instanceId} up over TLS`);
    const [a, b] = replicas;
    const onB = await TestClient.connect(b.url, (await newSession(b.url, "tls-watcher")).cookie);
    const onA = await TestClient.connect(a.url, (await newSession(a.url, "tls-painter")).cookie);
    const ack = await onA.place(4, 4, 4);
    if (ack.type !== "ack") throw new Error("expected ack");
    await onB.waitForSeqs([ack.seq]);
    onA.close();
    onB.close();
    // The secret stays out of what the replica prints.
    expect(a.output.join("")).not.toContain(PASSWORD);
  }, 60_000);

  it("degrades, without crashing, when the password is wrong", async () => {
    const wrong = await ReplicaProcess.start({ env: env(`rediss://:not-the-password@localhost:${tlsPort}`), instanceId: "tls-wrong" });
    replicas.push(wrong);
    const h = await (await fetch(`${wrong.url}/api/health`)).json();
    expect(h).toMatchObject({ status: "degraded", redis: "down", db: "up" });
    const c = await TestClient.connect(wrong.url, (await newSession(wrong.url, "lonely")).cookie);
    expect((await c.place(5, 5, 5)).type).toBe("ack");
    c.close();
    expect(wrong.output.join("")).not.toContain("not-the-password");
  }, 60_000);
});
