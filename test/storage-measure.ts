// Measurements of the storage layer on a private PostgreSQL cluster (and PGlite where said):
// commit latency of a lone placement, group commit throughput, loadBoard with and without
// snapshots, and the board at a seq, for boards of 1,000,000 and 10,000,000 placements.
// Not a test (nothing asserts speed): run by hand, it prints a table.
//
//   node --import tsx test/storage-measure.ts [--commit] [--load 1000000,10000000] [--pglite] [--pglite-load 1000000]

import os from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { SNAPSHOT_EVERY_PLACEMENTS } from "../lib/limits";
import { boardAtSeq } from "../server/canvas/history";
import { loadBoard, SnapshotWriter } from "../server/canvas/snapshots";
import { openPglite, openPostgres, type Storage } from "../server/canvas/storage";
import { PrivatePostgres } from "./private-postgres";
import { prng } from "./prng";
import { tempDir } from "./storage-backends";

const args = process.argv.slice(2);
const want = (flag: string) => args.includes(flag);
const sizes = (flag: string) => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1].split(",").map(Number) : [];
};
const loadSizes = sizes("--load");
const pgliteLoadSizes = sizes("--pglite-load");

const ms = (t0: number) => Math.round((performance.now() - t0) * 10) / 10;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const log = (...parts: unknown[]) => console.log(...parts, `(load average ${os.loadavg()[0].toFixed(1)})`);

async function measureCommits(storage: Storage, label: string): Promise<void> {
  const owner = await storage.createUser("bench");
  await storage.createBoard({ id: "commits", title: "c", width: 1000, height: 1000, cooldownMs: 0, visibility: "public", createdBy: owner.id }, 100);
  await storage.createBoard({ id: "commits2", title: "c", width: 1000, height: 1000, cooldownMs: 0, visibility: "public", createdBy: owner.id }, 100);
  const users = await Promise.all(Array.from({ length: 2_000 }, (_, i) => storage.createUser(`u${i}`)));
  const rand = prng(1);
  const req = () => ({ userId: users[Math.floor(rand() * users.length)].id, x: Math.floor(rand() * 1000), y: Math.floor(rand() * 1000), color: Math.floor(rand() * 32) });
  for (let i = 0; i < 50; i++) await storage.commitPlacements("commits", [req()], { cooldownMs: 0 }); // warm up (prepare, caches)
  const lone: number[] = [];
  for (let i = 0; i < 500; i++) {
    const t0 = performance.now();
    await storage.commitPlacements("commits", [req()], { cooldownMs: 5_000 });
    lone.push(performance.now() - t0);
  }
  log(`${label} lone placement commit: median ${median(lone).toFixed(2)} ms, p99 ${pct(lone, 0.99).toFixed(2)} ms (500 sequential)`);
  for (const size of [100, 2_000]) {
    const groups = size === 100 ? 200 : 20;
    const t0 = performance.now();
    for (let g = 0; g < groups; g++) await storage.commitPlacements("commits", Array.from({ length: size }, req), { cooldownMs: 0 });
    const s = (performance.now() - t0) / 1000;
    log(`${label} groups of ${size}, one board: ${Math.round((groups * size) / s)} placements/s (${((s * 1000) / groups).toFixed(1)} ms per group)`);
  }
  const t0 = performance.now();
  await Promise.all(
    ["commits", "commits2"].map(async (board) => {
      for (let g = 0; g < 20; g++) await storage.commitPlacements(board, Array.from({ length: 2_000 }, req), { cooldownMs: 0 });
    }),
  );
  log(`${label} groups of 2000 on two boards at once: ${Math.round(80_000 / ((performance.now() - t0) / 1000))} placements/s`);
}

type Exec = (text: string, params?: unknown[]) => Promise<unknown>;

async function fillBoard(exec: Exec, board: string, n: number): Promise<void> {
  // Pseudo-random pixels (hashint4), 32 colours, 100 placements per millisecond of placed_at.
  await exec(
      `insert into placements (board_id, seq, x, y, color, user_id, placed_at)
       select $1, g, abs(hashint4(g)) % 1000, abs(hashint4(g + 1000000000)) % 1000, abs(hashint4(-g)) % 32,
              'user' || (abs(hashint4(g - 1000000000)) % 10000), 1700000000000 + g / 100
       from generate_series(1, $2::int) g`,
      [board, n],
  );
  await exec(`update boards set seq = $2 where id = $1`, [board, n]);
  await exec(`vacuum analyze placements`);
}

async function fillPostgres(url: string, board: string, n: number): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await fillBoard((text, params) => c.query(text, params), board, n);
  } finally {
    await c.end();
  }
}

async function measureLoad(db: () => Storage, fill: (board: string, n: number) => Promise<void>, n: number, label: string, sizeOf: (board: string) => Promise<string>): Promise<void> {
  const board = `load${n}`;
  const owner = await db().createUser("filler");
  await db().createBoard({ id: board, title: "l", width: 1000, height: 1000, cooldownMs: 0, visibility: "public", createdBy: owner.id }, 100);
  let t0 = performance.now();
  await fill(board, n);
  log(`${label}: filled ${n} placements in ${(ms(t0) / 1000).toFixed(1)} s`);

  const runs: number[] = [];
  for (let i = 0; i < 2; i++) {
    t0 = performance.now();
    const img = await loadBoard(db(), board, 1000, 1000);
    runs.push(ms(t0));
    if (img.seq !== n) throw new Error(`loaded seq ${img.seq}`);
  }
  log(`${label} loadBoard ${n} placements, no snapshot: ${runs.join(", ")} ms`);

  // Snapshots up to n − EVERY, so the load replays a full interval's tail (the worst case).
  const writer = new SnapshotWriter(db(), { onError: (_b, err) => console.error(err) });
  t0 = performance.now();
  writer.noteSeq(board, n - 1);
  await writer.idle();
  const snaps = await db().latestSnapshotSeq(board);
  log(`${label} SnapshotWriter catch-up to ${snaps} (${Math.floor(snaps / SNAPSHOT_EVERY_PLACEMENTS)} snapshots): ${(ms(t0) / 1000).toFixed(1)} s`);
  log(`snapshot size: ${await sizeOf(board)}`);

  runs.length = 0;
  for (let i = 0; i < 5; i++) {
    t0 = performance.now();
    const img = await loadBoard(db(), board, 1000, 1000);
    runs.push(ms(t0));
    if (img.seq !== n) throw new Error(`loaded seq ${img.seq}`);
  }
  log(`${label} loadBoard ${n} placements, snapshot + ${n - snaps} tail: median ${median(runs)} ms (${runs.join(", ")})`);

  const rand = prng(n);
  const worst = Array.from({ length: 5 }, () => Math.floor(rand() * Math.floor(n / SNAPSHOT_EVERY_PLACEMENTS)) * SNAPSHOT_EVERY_PLACEMENTS + SNAPSHOT_EVERY_PLACEMENTS - 1);
  const random = Array.from({ length: 10 }, () => 1 + Math.floor(rand() * n));
  for (const [kind, seqs] of [
    ["one short of the next snapshot", worst],
    ["random", random],
  ] as const) {
    const times: number[] = [];
    for (const seq of seqs) {
      t0 = performance.now();
      await boardAtSeq(db(), board, Math.min(seq, n));
      times.push(ms(t0));
    }
    log(`${label} board at seq (${kind}) on ${n}: median ${median(times)} ms, max ${Math.max(...times)} ms`);
  }
}

async function main(): Promise<void> {
  const cluster = await PrivatePostgres.start();
  try {
    const url = await cluster.createDatabase("measure");
    const storage = await openPostgres(url, () => {});
    try {
      if (want("--commit")) await measureCommits(storage, "postgres");
      const sizeOf = async (board: string) => {
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        try {
          const r = await c.query(`select avg(length(pixels))::int as avg, sum(length(pixels))::bigint as total from snapshots where board_id = $1`, [board]);
          return `${r.rows[0].avg} bytes each, ${Math.round(Number(r.rows[0].total) / 1e6)} MB in all`;
        } finally {
          await c.end();
        }
      };
      for (const n of loadSizes) await measureLoad(() => storage, (board, k) => fillPostgres(url, board, k), n, "postgres", sizeOf);
    } finally {
      await storage.close();
    }
  } finally {
    await cluster.destroy();
  }
  if (want("--pglite")) {
    const storage = await openPglite(tempDir());
    try {
      await measureCommits(storage, "pglite");
    } finally {
      await storage.close();
    }
  }
  for (const n of pgliteLoadSizes) {
    // PGlite has one connection, held by the storage: fill through a second PGlite opened on the
    // same directory while the storage is closed, then reopen.
    const dir = tempDir();
    let storage = await openPglite(dir);
    const fill = async (board: string, k: number) => {
      await storage.close();
      const client = new PGlite(path.join(dir, "pglite"));
      await fillBoard((text, params) => client.query(text, params), board, k);
      await client.close();
      storage = await openPglite(dir);
    };
    try {
      await measureLoad(() => storage, fill, n, "pglite", async () => "(not read on PGlite)");
    } finally {
      await storage.close();
    }
  }
}

await main();
