import { describe, expect, it } from "vitest";
import { fitTwo } from "./fit";

describe("fitTwo", () => {
  it("recovers the two costs from exact points", () => {
    const a = 50e-6;
    const b = 12e-6;
    const pts = [
      { p: 12_000, w: 200_000 },
      { p: 12_000, w: 2_000_000 },
      { p: 600, w: 900_000 },
    ].map((x) => ({ ...x, y: x.p * a + x.w * b }));
    const f = fitTwo(pts)!;
    expect(f.a).toBeCloseTo(a, 10);
    expect(f.b).toBeCloseTo(b, 10);
  });

  it("averages noise over more points than unknowns", () => {
    const f = fitTwo([
      { p: 1000, w: 0, y: 1.1 },
      { p: 1000, w: 0, y: 0.9 },
      { p: 0, w: 1000, y: 2 },
    ])!;
    expect(f.a).toBeCloseTo(1e-3, 10);
    expect(f.b).toBeCloseTo(2e-3, 10);
  });

  it("cannot split collinear points, or none", () => {
    expect(fitTwo([{ p: 1, w: 10, y: 1 }, { p: 2, w: 20, y: 2 }])).toBeNull();
    expect(fitTwo([])).toBeNull();
  });
});
