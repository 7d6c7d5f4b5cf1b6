// The render worker: CPU-heavy encodings (the board as PNG, timelapse GIFs) run here, in their own
// thread, so a request for one never holds up the event loop that serves placements.

import { parentPort } from "node:worker_threads";
import { encodeIndexedPng } from "./png";

export interface PngJob {
  kind: "png";
  width: number;
  height: number;
  pixels: Uint8Array;
  palette: readonly string[];
  scale: number;
}

export type RenderJob = PngJob;

parentPort?.on("message", (msg: { id: number; job: RenderJob }) => {
  try {
    const out = render(msg.job);
    parentPort!.postMessage({ id: msg.id, ok: true, bytes: out }, [out.buffer as ArrayBuffer]);
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, ok: false, error: (err as Error).message });
  }
});

function render(job: RenderJob): Uint8Array {
  switch (job.kind) {
    case "png": {
      const png = encodeIndexedPng(job.width, job.height, job.pixels, job.palette, job.scale);
      // A fresh, exactly-sized buffer that can be transferred (Buffer.concat may share a pool).
      return new Uint8Array(png);
    }
    default: {
      const unknown: never = job.kind;
      throw new Error(`unknown render job ${String(unknown)}`);
    }
  }
}
