// Preloaded into benchmark replicas with `--import` (never in production):
//  - with BENCH_LOOP_FILE (`npm run bench -- --loop-probe`): the event-loop delay once per second,
//    to tell a blocked event loop from a saturated machine when latencies rise;
//  - with BENCH_MEM_FILE: on SIGUSR2, a full GC (needs --expose-gc) and then the memory figures,
//    so memory per connection is measured on live objects, not on whatever the heap kept.

import fs from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";

const loopFile = process.env.BENCH_LOOP_FILE;
if (loopFile) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t = setInterval(() => {
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    fs.appendFileSync(loopFile, JSON.stringify({ t: Date.now(), p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) }) + "\n");
    h.reset();
  }, 1_000);
  t.unref();
}

const memFile = process.env.BENCH_MEM_FILE;
if (memFile) {
  process.on("SIGUSR2", () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    gc?.();
    fs.appendFileSync(memFile, JSON.stringify({ t: Date.now(), gc: !!gc, ...process.memoryUsage() }) + "\n");
  });
}
