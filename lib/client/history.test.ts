import { describe, expect, it } from "vitest";
import { parseMoment, withMoment } from "./history";

describe("moments in the address", () => {
  it("reads ?seq= and ?t= (ISO or epoch ms)", () => {
    expect(parseMoment("?x=1&seq=42")).toEqual({ kind: "seq", seq: 42 });
    expect(parseMoment("?t=2026-03-01T12:00:00Z")).toEqual({ kind: "time", t: Date.parse("2026-03-01T12:00:00Z") });
    expect(parseMoment("?t=1700000000000")).toEqual({ kind: "time", t: 1_700_000_000_000 });
    expect(parseMoment("?seq=-1")).toBeNull();
    expect(parseMoment("?t=yesterday")).toBeNull();
    expect(parseMoment("?x=1")).toBeNull();
  });

  it("writes the seq and keeps the other parameters", () => {
    expect(withMoment("?x=5&y=6&zoom=4&t=123", 77)).toBe("?x=5&y=6&zoom=4&seq=77");
    expect(withMoment("?x=5&seq=77", null)).toBe("?x=5");
    expect(withMoment("?seq=77", null)).toBe("");
  });
});
