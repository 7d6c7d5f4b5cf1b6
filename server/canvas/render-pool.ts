// One worker thread for CPU-heavy renders (server/canvas/render-worker.ts), started on first use.
// Jobs run one at a time in arrival order; the caller awaits its bytes while the event loop stays free.

import { Worker } from "node:worker_threads";
import type { RenderJob } from "./render-worker";

interface Pending {
  resolve: (bytes: Uint8Array) => void;
  reject: (err: Error) => void;
}

export class RenderPool {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;

  /** Run a job in the worker; transfers `transfer` buffers instead of copying them. */
  run(job: RenderJob, transfer: ArrayBuffer[] = []): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new Error("render pool closed"));
    const worker = this.ensure();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, job }, transfer);
    });
  }

  /** Jobs waiting or running (requests beyond a bound are refused by the HTTP layer). */
  get queued(): number {
    return this.pending.size;
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(new URL("./render-worker-entry.mjs", import.meta.url));
    w.unref();
    w.on("message", (msg: { id: number; ok: boolean; bytes?: Uint8Array; error?: string }) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok && msg.bytes) p.resolve(msg.bytes);
      else p.reject(new Error(msg.error ?? "render failed"));
    });
    const fail = (err: Error) => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      this.worker = null; // the next job starts a new worker
    };
    w.on("error", fail);
    w.on("exit", (code) => {
      if (this.worker === w) fail(new Error(`render worker exited with code ${code}`));
    });
    this.worker = w;
    return w;
  }

  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
    for (const p of this.pending.values()) p.reject(new Error("render pool closed"));
    this.pending.clear();
  }
}
