import { describe, expect, it } from "vitest";
import { PerMinuteLimit, TokenBucket } from "./rate-limit";

const T0 = 1_000_000;

/** Take `n` times at time `now`; returns how many succeeded. */
function takeMany(bucket: TokenBucket, n: number, now: number): number {
  let ok = 0;
  for (let i = 0; i < n; i++) if (bucket.take(now)) ok++;
  return ok;
}

describe("TokenBucket", () => {
  it("allows a full burst at once, then refuses", () => {
    const b = new TokenBucket(10, 5, T0);
    expect(takeMany(b, 5, T0)).toBe(5);
    expect(b.take(T0)).toBe(false);
    expect(b.take(T0)).toBe(false);
  });

  it("refills at the rate: one token per 1000/rate ms", () => {
    const b = new TokenBucket(10, 5, T0); // one token every 100 ms
    expect(takeMany(b, 5, T0)).toBe(5);
    expect(b.take(T0 + 99)).toBe(false);
    expect(b.take(T0 + 100)).toBe(true);
    expect(b.take(T0 + 100)).toBe(false);
    expect(b.take(T0 + 350)).toBe(true); // 2.5 tokens accrued since T0+100
    expect(b.take(T0 + 350)).toBe(true);
    expect(b.take(T0 + 350)).toBe(false);
  });

  it("never saves up more than the burst", () => {
    const b = new TokenBucket(10, 3, T0);
    expect(takeMany(b, 3, T0)).toBe(3);
    expect(takeMany(b, 10, T0 + 60_000)).toBe(3);
  });

  it("sustains exactly the rate over time", () => {
    const b = new TokenBucket(2, 1, T0);
    let ok = 0;
    // 10 attempts per second for 10 seconds.
    for (let t = 0; t < 10_000; t += 100) if (b.take(T0 + t)) ok++;
    expect(ok).toBe(1 + 19); // the initial token plus 2/s for 9.9 s (rounded down)
  });

  it("is unlimited when the rate is 0", () => {
    const b = new TokenBucket(0, 0, T0);
    expect(takeMany(b, 10_000, T0)).toBe(10_000);
  });
});

describe("PerMinuteLimit", () => {
  it("allows perMinute hits per key in a window, then refuses", () => {
    const l = new PerMinuteLimit(3);
    expect([1, 2, 3, 4, 5].map(() => l.hit("ip1", T0))).toEqual([true, true, true, false, false]);
  });

  it("counts keys separately", () => {
    const l = new PerMinuteLimit(2);
    expect(l.hit("a", T0)).toBe(true);
    expect(l.hit("a", T0)).toBe(true);
    expect(l.hit("a", T0)).toBe(false);
    expect(l.hit("b", T0)).toBe(true);
    expect(l.hit("b", T0)).toBe(true);
    expect(l.hit("b", T0)).toBe(false);
  });

  it("resets at the next one-minute window boundary, not 60 s after the first hit", () => {
    const l = new PerMinuteLimit(1);
    const windowStart = 60_000 * 1000;
    expect(l.hit("a", windowStart + 59_000)).toBe(true);
    expect(l.hit("a", windowStart + 59_999)).toBe(false);
    expect(l.hit("a", windowStart + 60_000)).toBe(true);
    expect(l.hit("a", windowStart + 119_999)).toBe(false);
    expect(l.hit("a", windowStart + 120_000)).toBe(true);
  });

  it("works in the very first window (epoch minute 0)", () => {
    const l = new PerMinuteLimit(1);
    expect(l.hit("a", 0)).toBe(true);
    expect(l.hit("a", 59_999)).toBe(false);
  });
});
