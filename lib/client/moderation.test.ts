import { describe, expect, it } from "vitest";
import { banReasonProblem, describeEntry, formatDuration, isUserId, parseAfterSeq, rectArea, rectFromCorners, wipeProblem } from "./moderation";

describe("wipe rectangles", () => {
  it("orders the corners however the rectangle was drawn", () => {
    expect(rectFromCorners({ x: 9, y: 2 }, { x: 3, y: 7 })).toEqual({ x0: 3, y0: 2, x1: 9, y1: 7 });
    expect(rectArea({ x0: 3, y0: 2, x1: 9, y1: 7 })).toBe(42);
    expect(rectArea({ x0: 5, y0: 5, x1: 5, y1: 5 })).toBe(1);
  });

  it("says what the API would refuse", () => {
    expect(wipeProblem({ x0: 0, y0: 0, x1: 999, y1: 999 }, 1000, 1000)).toBeNull();
    expect(wipeProblem({ x0: 0, y0: 0, x1: 1000, y1: 10 }, 1000, 1000)).toMatch(/x up to 999/);
    expect(wipeProblem({ x0: 4, y0: 0, x1: 3, y1: 10 }, 1000, 1000)).toMatch(/above and left/);
    expect(wipeProblem({ x0: -1, y0: 0, x1: 3, y1: 10 }, 1000, 1000)).toMatch(/whole numbers/);
    expect(wipeProblem({ x0: 0.5, y0: 0, x1: 3, y1: 10 }, 1000, 1000)).toMatch(/whole numbers/);
    expect(wipeProblem({ x0: 0, y0: 0, x1: 1999, y1: 999 }, 4096, 4096)).toMatch(/at most 1,000,000 pixels; this one has 2,000,000/);
  });
});

describe("ban and rollback fields", () => {
  it("checks the reason as the server does", () => {
    expect(banReasonProblem("  ")).toMatch(/Say why/);
    expect(banReasonProblem("griefing the flag")).toBeNull();
    expect(banReasonProblem("x".repeat(201))).toMatch(/At most 200/);
    expect(banReasonProblem("bad\u200bword")).toMatch(/invisible/);
  });

  it("reads the optional seq", () => {
    expect(parseAfterSeq("")).toBeNull();
    expect(parseAfterSeq(" 120 ")).toBe(120);
    expect(parseAfterSeq("-4")).toBe("invalid");
    expect(parseAfterSeq("1e3")).toBe("invalid");
  });

  it("accepts user ids only", () => {
    expect(isUserId("u_Ab-9")).toBe(true);
    expect(isUserId("a b")).toBe(false);
    expect(isUserId("")).toBe(false);
  });

  it("words durations with their largest whole unit", () => {
    expect(formatDuration(3_600_000)).toBe("1 h");
    expect(formatDuration(7 * 86_400_000)).toBe("7 days");
    expect(formatDuration(90_000)).toBe("90 s");
    expect(formatDuration(90_500)).toBe("1.5 min");
    expect(formatDuration(45_000)).toBe("45 s");
  });
});

describe("describeEntry", () => {
  it("puts each action of the audit log in words", () => {
    expect(describeEntry({ action: "ban", params: { userId: "u1", reason: "spam", durationMs: 86_400_000 }, result: { user: { id: "u1", name: "Griefer" }, until: 1 } })).toBe(
      "banned Griefer (u1) for 1 day — “spam”",
    );
    expect(describeEntry({ action: "ban", params: { userId: "u1", reason: "spam", durationMs: null }, result: null })).toBe("banned u1 until unbanned — “spam”");
    expect(describeEntry({ action: "rollback", params: { userId: "u1", afterSeq: 0 }, result: { reverted: 12, firstSeq: 40, lastSeq: 51 } })).toBe(
      "rolled back u1: 12 pixels reverted (#40–#51)",
    );
    expect(describeEntry({ action: "rollback", params: { userId: "u1", afterSeq: 9 }, result: { reverted: 1, firstSeq: 40, lastSeq: 40, error: "database down", complete: false } })).toBe(
      "rolled back u1 after #9: 1 pixel reverted (#40) — failed: database down",
    );
    expect(describeEntry({ action: "wipe", params: { x0: 1, y0: 2, x1: 3, y1: 4, color: 0 }, result: { pixels: 9, firstSeq: 1, lastSeq: 9 } })).toBe(
      "wiped (1, 2)–(3, 4) to colour 0: 9 pixels (#1–#9)",
    );
    expect(describeEntry({ action: "freeze", params: { frozen: true }, result: { state: "frozen" } })).toBe("froze the board");
    expect(describeEntry({ action: "something_new", params: { a: 1 }, result: null })).toBe('something_new {"a":1}');
  });
});
