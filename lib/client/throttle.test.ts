import { describe, expect, it } from "vitest";
import { Throttle } from "./throttle";

function harness(equals?: (a: number, b: number) => boolean) {
  let now = 0;
  const timers: Array<{ at: number; fn: () => void; id: number }> = [];
  let nextId = 0;
  const sent: Array<[number, number]> = [];
  const t = new Throttle<number>({
    intervalMs: 100,
    send: (v) => sent.push([now, v]),
    equals,
    now: () => now,
    setTimer: (fn, ms) => {
      const id = ++nextId;
      timers.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimer: (id) => {
      const i = timers.findIndex((x) => x.id === id);
      if (i >= 0) timers.splice(i, 1);
    },
  });
  const advance = (ms: number) => {
    const end = now + ms;
    for (;;) {
      timers.sort((a, b) => a.at - b.at);
      const next = timers[0];
      if (!next || next.at > end) break;
      timers.shift();
      now = next.at;
      next.fn();
    }
    now = end;
  };
  return { t, sent, advance, pending: () => timers.length };
}

describe("Throttle", () => {
  it("sends the first value at once and the latest of a burst when the interval is over", () => {
    const h = harness();
    h.t.push(1);
    h.advance(10);
    h.t.push(2);
    h.t.push(3);
    expect(h.sent).toEqual([[0, 1]]);
    h.advance(200);
    expect(h.sent).toEqual([
      [0, 1],
      [100, 3],
    ]);
  });

  it("never sends more than one value per interval, however many are pushed", () => {
    const h = harness();
    for (let i = 0; i < 1000; i++) {
      h.t.push(i);
      h.advance(3);
    }
    h.advance(200);
    const times = h.sent.map(([at]) => at);
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(100);
    expect(h.sent.length).toBeLessThanOrEqual(Math.ceil(3000 / 100) + 1);
    expect(h.sent[h.sent.length - 1][1]).toBe(999); // the last value is never lost
  });

  it("skips a value equal to the last one sent, until reset", () => {
    const h = harness((a, b) => a === b);
    h.t.push(5);
    h.advance(500);
    h.t.push(5);
    h.advance(500);
    expect(h.sent).toHaveLength(1);
    h.t.reset();
    h.t.push(5);
    expect(h.sent).toHaveLength(2);
  });

  it("cancel drops a waiting value", () => {
    const h = harness();
    h.t.push(1);
    h.t.push(2);
    h.t.cancel();
    h.advance(500);
    expect(h.sent).toEqual([[0, 1]]);
    expect(h.pending()).toBe(0);
  });
});
