// The hub's fan-out: a frame right after a quiet spell, a gap after each frame that grows with what
// a flush costs (between the minimum gap and the tick), one frame for every client, early flush of a
// full frame.

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

  it("sends a record after a quiet spell at once, and coalesces what follows within the gap", () => {
    // A fixed 50 ms gap: the tick at its widest.
    const hub = new PixelHub(8, 8, { tickMs: 50, minGapMs: 50 });
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

  it("keeps frames as close as the minimum gap while flushes are cheap, and widens the gap as they cost more", () => {
    const hub = new PixelHub(8, 8, { tickMs: 50, minGapMs: 2 });
    let cost = 0;
    const s = new Sink();
    // A sink whose writes take `cost` ms of (fake) time: what a room of many clients costs.
    hub.addSink({ sendPixels: (f) => (s.sendPixels(f), vi.advanceTimersByTime(cost)) } as PixelSink);
    hub.ingest([rec(1)]);
    vi.advanceTimersToNextTimer();
    hub.ingest([rec(2)]);
    vi.advanceTimersByTime(1);
    expect(s.frames).toHaveLength(1); // within the 2 ms minimum gap
    vi.advanceTimersByTime(1);
    expect(s.frames).toHaveLength(2); // cheap flushes: at the minimum gap, not the 50 ms tick
    // Flushes now take 20 ms each: the hub idles about as long after each one.
    cost = 20;
    for (let seq = 3; seq < 9; seq++) {
      hub.ingest([rec(seq)]);
      vi.advanceTimersByTime(60);
    }
    expect(hub.gapMs).toBeGreaterThan(10);
    expect(hub.gapMs).toBeLessThanOrEqual(50);
    cost = 500; // never beyond the tick, however slow
    hub.ingest([rec(9)]);
    vi.advanceTimersByTime(600);
    hub.ingest([rec(10)]);
    vi.advanceTimersByTime(600);
    expect(hub.gapMs).toBe(50);
    expect(s.frames.flat().map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
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
    const hub = new PixelHub(8, 8, { tickMs: 50, minGapMs: 50, maxRecordsPerFrame: 3 });
    const s = new Sink();
    hub.addSink(s);
    hub.ingest([rec(1), rec(2), rec(3), rec(4), rec(2)]);
    expect(s.frames).toEqual([[rec(1), rec(2), rec(3)]]);
    vi.advanceTimersByTime(50);
    expect(s.frames).toEqual([[rec(1), rec(2), rec(3)], [rec(4)]]);
    hub.close();
  });
});
