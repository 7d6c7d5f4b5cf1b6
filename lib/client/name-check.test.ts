import { describe, expect, it } from "vitest";
import { cleanName } from "../protocol";
import { nameProblem } from "./name-check";

describe("nameProblem", () => {
  it("accepts what the server accepts", () => {
    for (const n of ["Ann", "pixel_pusher", "  spaced out  ", "Zoë", "字", "a-b c_d", "x".repeat(24), "नमस्ते"]) {
      expect(nameProblem(n), n).toBeNull();
      expect(cleanName(n), n).not.toBeNull();
    }
  });

  it("says what is wrong, specifically", () => {
    expect(nameProblem("   ")).toMatch(/type a name/i);
    expect(nameProblem("x".repeat(27))).toBe("Too long: 27 characters, 24 at most.");
    expect(nameProblem("no/slashes!")).toMatch(/Not allowed: “\/”, “!”\. Use letters/);
    expect(nameProblem("tab\there")).toMatch(/tabs and line breaks/);
    expect(nameProblem("a\u200bb")).toMatch(/invisible characters/);
    expect(nameProblem("\u0301abc")).toMatch(/combining mark/);
  });

  it("never passes a name the server refuses", () => {
    const samples = ["", " ", "ok", "<script>", "a".repeat(25), "😀", "é", "e\u0301", "\u0301", "a\nb", "__", "-", "Ωmega 9"];
    for (const n of samples) expect(nameProblem(n) === null, JSON.stringify(n)).toBe(cleanName(n) !== null);
  });
});
