import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CURSOR_TICK_MS, CURSORS_PER_FRAME } from "../../lib/limits";
import { type CursorMember, Cursors } from "./cursors";

interface Frame {
  type: string;
  cursors: Array<{ id: string; x: number; y: number }>;
  gone: string[];
}

function viewer(id: string): CursorMember & { frames: Frame[] } {
  const frames: Frame[] = [];
  return { user: { id, name: id }, board: "main", frames, sendText: (t) => frames.push(JSON.parse(t) as Frame) };
}

describe("cursors", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("with more cursors moving in view than a frame holds, every one is drawn within a few ticks", () => {
    const cursors = new Cursors(null);
    const v = viewer("watcher");
    cursors.view(v, { x0: 0, y0: 0, x1: 999, y1: 999 });
    const n = CURSORS_PER_FRAME * 2 + 20; // 120: three frames' worth
    const seen = new Set<string>();
    for (let tick = 0; tick < 4; tick++) {
      // Every cursor moves every tick, as a crowd's pointers do.
      cursors.remote("main", Array.from({ length: n }, (_, i) => ({ id: `u${i}`, name: `U${i}`, x: i, y: tick })));
      vi.advanceTimersByTime(CURSOR_TICK_MS);
    }
    for (const f of v.frames) {
      expect(f.cursors.length).toBeLessThanOrEqual(CURSORS_PER_FRAME);
      for (const c of f.cursors) seen.add(c.id);
    }
    expect(seen.size).toBe(n);
    cursors.close();
  });

  it("sends a cursor once while it stands still, and `gone` when it leaves the view", () => {
    const cursors = new Cursors(null);
    const v = viewer("watcher");
    cursors.view(v, { x0: 0, y0: 0, x1: 9, y1: 9 });
    cursors.remote("main", [{ id: "a", name: "A", x: 1, y: 1 }]);
    vi.advanceTimersByTime(CURSOR_TICK_MS);
    vi.advanceTimersByTime(CURSOR_TICK_MS);
    expect(v.frames.flatMap((f) => f.cursors.map((c) => c.id))).toEqual(["a"]);
    cursors.remote("main", [{ id: "a", name: "A", x: 50, y: 1 }]);
    vi.advanceTimersByTime(CURSOR_TICK_MS);
    expect(v.frames.at(-1)).toEqual({ type: "cursors", cursors: [], gone: ["a"] });
    cursors.close();
  });
});
