import { describe, expect, it } from "vitest";
import { barChart, minuteSeries, niceCeil, rankOf } from "./activity";

describe("minuteSeries", () => {
  it("fills the minutes nobody placed in with zeros", () => {
    const s = minuteSeries(
      [
        { minute: "2026-03-01T10:01:00.000Z", placements: 4 },
        { minute: "2026-03-01T10:03:00.000Z", placements: 2 },
      ],
      "2026-03-01T10:00:30.000Z",
      "2026-03-01T10:04:10.000Z",
    );
    expect(s.map((p) => p.n)).toEqual([0, 4, 0, 2, 0]);
    expect(s[0].t).toBe(Date.parse("2026-03-01T10:00:00Z"));
  });

  it("is empty for a window that makes no sense", () => {
    expect(minuteSeries([], "nonsense", "2026-03-01T10:04:10Z")).toEqual([]);
    expect(minuteSeries([], "2026-03-01T11:00:00Z", "2026-03-01T10:00:00Z")).toEqual([]);
  });
});

describe("niceCeil", () => {
  it("rounds up to 1, 2 or 5 times a power of ten", () => {
    expect([0, 1, 3, 7, 10, 11, 42, 180, 501].map(niceCeil)).toEqual([1, 1, 5, 10, 10, 20, 50, 200, 1000]);
  });
});

describe("barChart", () => {
  const t0 = Date.parse("2026-03-01T09:58:00Z");
  const series = [0, 5, 10, 0].map((n, i) => ({ t: t0 + i * 60_000, n }));

  it("draws one bar per non-zero minute, scaled to the round maximum", () => {
    const c = barChart(series, 400, 100);
    expect(c.max).toBe(10);
    expect(c.total).toBe(15);
    expect(c.peak).toEqual({ t: t0 + 120_000, n: 10 });
    // Bars are 100 wide (99 with the gap): 50 and 100 high.
    expect(c.path).toBe("M100 100h99v-50h-99zM200 100h99v-100h-99z");
    expect(c.hours).toEqual([{ x: 200, t: Date.parse("2026-03-01T10:00:00Z") }]);
  });

  it("draws nothing for a quiet board", () => {
    const c = barChart([{ t: t0, n: 0 }], 100, 50);
    expect(c.path).toBe("");
    expect(c.peak).toBeNull();
    expect(c.max).toBe(1);
  });
});

describe("rankOf", () => {
  it("is the 1-based place of a user, or null", () => {
    const list = [
      { user: { id: "a", name: "A" }, placements: 9 },
      { user: { id: "b", name: "B" }, placements: 3 },
    ];
    expect(rankOf(list, "b")).toBe(2);
    expect(rankOf(list, "z")).toBeNull();
    expect(rankOf(list, null)).toBeNull();
  });
});
