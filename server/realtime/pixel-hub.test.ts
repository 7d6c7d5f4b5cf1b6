// The hub's fan-out ticks: a throttle with a leading edge, one frame per tick for every client,
// local and remote records in the same frame, early flush of a full frame.

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { decodePixelsToArray, type PixelRecord } from "../../lib/protocol";
import { PixelHub, type PixelSink } from "./pixel-hub";

class Sink implements PixelSink {
  frames: PixelRecord[][] = [];
  sendPixels(frame: Uint8Array): void {
    this.frames.push(decodePixelsToArray(frame)!);
  }
}

const rec = (seq: number): PixelRecord => ({ seq, x: seq % 8, y: 0, color: seq % 32 });

describe("PixelHub ticks", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setImmediate", "clearImmediate", "performance"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("sends a record after a quiet tick at once, and coalesces what follows within the tick", () => {
    const hub = new PixelHub(8, 8, { tickMs: 50 });
    const a = new Sink();
    const b = new Sink();
    hub.addSink(a);
    hub.addSink(b);
    hub.ingest([rec(1)]);
    expect(a.frames).toHaveLength(0); // not inside the same turn…
    vi.advanceTimersToNextTimer(); // …but right after it (setImmediate), not a tick later
    expect(a.frames).toEqual([[rec(1)]]);
    vi.advanceTimersByTime(10);
    hub.ingest([rec(2)]);
    vi.advanceTimersByTime(10);
    hub.ingest([rec(3), rec(4)]);
    vi.advanceTimersByTime(29);
    expect(a.frames).toHaveLength(1); // still inside the tick that began with frame 1
    vi.advanceTimersByTime(1);
    expect(a.frames).toEqual([[rec(1)], [rec(2), rec(3), rec(4)]]);
    expect(b.frames).toEqual(a.frames); // the same frame for every client
    expect(hub.counters.framesSent).toBe(2);
    hub.close();
  });

  it("puts records of one turn into one frame and tells which were new", () => {
    const hub = new PixelHub(8, 8, { tickMs: 50 });
    const s = new Sink();
    hub.addSink(s);
    const fresh: number[] = [];
    hub.ingest([rec(1), rec(2)], (r) => fresh.push(r.seq));
    hub.ingest([rec(3), rec(2)], (r) => fresh.push(r.seq)); // another source, same turn, one duplicate
    vi.advanceTimersToNextTimer();
    expect(s.frames).toEqual([[rec(1), rec(2), rec(3)]]);
    expect(fresh).toEqual([1, 2, 3]);
    hub.close();
  });

  it("flushes a full frame before the tick ends, and drops duplicates", () => {
    const hub = new PixelHub(8, 8, { tickMs: 50, maxRecordsPerFrame: 3 });
    const s = new Sink();
    hub.addSink(s);
    hub.ingest([rec(1), rec(2), rec(3), rec(4), rec(2)]);
    expect(s.frames).toEqual([[rec(1), rec(2), rec(3)]]);
    vi.advanceTimersByTime(50);
    expect(s.frames).toEqual([[rec(1), rec(2), rec(3)], [rec(4)]]);
    hub.close();
  });
});
