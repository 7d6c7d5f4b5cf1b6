// The render worker: CPU-heavy encodings (the board as PNG, timelapse GIFs) run here, in their own
// thread, so a request for one never holds up the event loop that serves placements.
//
// A timelapse arrives as several jobs — begin (the board at `from` and the frame points), feeds
// (pages of packed placements, in seq order), end — so the main thread streams history pages
// from the database into it and never holds a whole history at once.

import { parentPort } from "node:worker_threads";
import { encodeIndexedPng } from "./png";
import { TimelapseGif, type TimelapseSpec } from "./timelapse-gif";

export interface PngJob {
  kind: "png";
  width: number;
  height: number;
  pixels: Uint8Array;
  palette: readonly string[];
  scale: number;
}

export interface GifBeginJob extends TimelapseSpec {
  kind: "gif_begin";
  /** Names this timelapse in the jobs that follow. */
  token: number;
}

export interface GifFeedJob {
  kind: "gif_feed";
  token: number;
  records: Uint8Array;
  count: number;
}

/** gif_end answers with the GIF; gif_abort drops an unfinished one. */
export interface GifEndJob {
  kind: "gif_end" | "gif_abort";
  token: number;
}

export type RenderJob = PngJob | GifBeginJob | GifFeedJob | GifEndJob;

const timelapses = new Map<number, TimelapseGif>();
const NOTHING = () => new Uint8Array(0);

parentPort?.on("message", (msg: { id: number; job: RenderJob }) => {
  try {
    const out = render(msg.job);
    parentPort!.postMessage({ id: msg.id, ok: true, bytes: out }, [out.buffer as ArrayBuffer]);
  } catch (err) {
    if (msg.job.kind !== "png") timelapses.delete(msg.job.token);
    parentPort!.postMessage({ id: msg.id, ok: false, error: (err as Error).message });
  }
});

function timelapse(token: number): TimelapseGif {
  const t = timelapses.get(token);
  if (!t) throw new Error(`no timelapse ${token} in this worker (it may have restarted)`);
  return t;
}

function render(job: RenderJob): Uint8Array {
  switch (job.kind) {
    case "png": {
      const png = encodeIndexedPng(job.width, job.height, job.pixels, job.palette, job.scale);
      // A fresh, exactly-sized buffer that can be transferred (Buffer.concat may share a pool).
      return new Uint8Array(png);
    }
    case "gif_begin":
      timelapses.set(job.token, new TimelapseGif(job));
      return NOTHING();
    case "gif_feed":
      timelapse(job.token).feed(job.records, job.count);
      return NOTHING();
    case "gif_end": {
      const gif = timelapse(job.token).finish();
      timelapses.delete(job.token);
      return gif;
    }
    case "gif_abort":
      timelapses.delete(job.token);
      return NOTHING();
    default: {
      const unknown: never = job;
      throw new Error(`unknown render job ${String((unknown as { kind: string }).kind)}`);
    }
  }
}
