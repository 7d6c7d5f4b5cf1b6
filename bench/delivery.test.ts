// The delivery check must catch every way a client can be short-changed, and must not call a
// legitimate duplicate (a replay) or an out-of-order frame a loss. Run: npm run bench:test
import { describe, expect, it } from "vitest";
import { encodePixels } from "../lib/protocol";
import { DeliveryTracker } from "./delivery";

const frame = (seqs: number[]) => encodePixels(seqs.map((seq) => ({ seq, x: seq % 1000, y: 7, color: seq % 32 })));
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe("DeliveryTracker", () => {
  it("a complete window in shuffled frames is complete", () => {
    const t = new DeliveryTracker(100);
    const seqs = range(101, 5_000).sort((a, b) => ((a * 7919) % 4099) - ((b * 7919) % 4099));
    for (let i = 0; i < seqs.length; i += 37) t.frame(frame(seqs.slice(i, i + 37)));
    expect(t.close(5_000)).toEqual({ expected: 4_900, missing: 0, duplicates: 0, old: 0, beyond: 0, records: 4_900 });
  });

  it("one missing seq is found even when a duplicate makes the count right", () => {
    const t = new DeliveryTracker(0);
    t.frame(frame([1, 2, 3, 4, 6, 7, 8, 9, 10]));
    t.frame(frame([7]));
    const r = t.close(10);
    expect(r.records).toBe(10);
    expect(r.missing).toBe(1);
    expect(r.duplicates).toBe(1);
  });

  it("duplicates from a replay are counted, not loss", () => {
    const t = new DeliveryTracker(0);
    t.frame(frame(range(1, 50)));
    t.frame(frame(range(40, 60)));
    expect(t.close(60)).toMatchObject({ expected: 60, missing: 0, duplicates: 11 });
  });

  it("old records and records of the next window are kept apart", () => {
    const t = new DeliveryTracker(10);
    t.frame(frame([9, 10, 11, 12, 13, 14, 15, 16])); // 9 and 10 are old; 16 is beyond `to` = 15
    expect(t.close(15)).toMatchObject({ expected: 5, missing: 0, old: 2, beyond: 1 });
    // 16 was carried into the next window
    t.frame(frame([17, 18]));
    expect(t.close(18)).toMatchObject({ expected: 3, missing: 0, beyond: 0 });
  });

  it("the window grows past its first allocation and windows follow each other", () => {
    const t = new DeliveryTracker(1_000_000);
    t.frame(frame(range(1_000_001, 1_200_000)));
    expect(t.close(1_200_000)).toMatchObject({ expected: 200_000, missing: 0 });
    t.frame(frame(range(1_200_001, 1_200_010)));
    expect(t.close(1_200_020)).toMatchObject({ expected: 20, missing: 10 });
  });

  it("a seq above 2^31 is read as unsigned", () => {
    const t = new DeliveryTracker(2 ** 31 + 5);
    t.frame(frame([2 ** 31 + 6, 2 ** 31 + 7]));
    expect(t.close(2 ** 31 + 7)).toMatchObject({ expected: 2, missing: 0, old: 0 });
  });

  it("without seqs (Socket.IO events) only counts are compared", () => {
    const t = new DeliveryTracker(0);
    t.count(98);
    expect(t.close(null, 100)).toMatchObject({ expected: 100, missing: 2 });
  });
});
