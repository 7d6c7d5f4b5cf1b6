import { describe, expect, it } from "vitest";
import { PALETTE, PALETTE_NAMES, colorLabel, colorName } from "./palette";

describe("palette names", () => {
  it("names every colour once", () => {
    expect(PALETTE_NAMES).toHaveLength(PALETTE.length);
    expect(new Set(PALETTE_NAMES).size).toBe(PALETTE_NAMES.length);
    for (const n of PALETTE_NAMES) expect(n).toMatch(/^[a-z]+( [a-z]+)?$/);
  });

  it("labels a colour with its name and hex, as SPEC §7's example", () => {
    expect(colorLabel("#FF4500")).toBe("orange red #FF4500");
    expect(colorLabel("#ff4500")).toBe("orange red #FF4500");
    expect(colorName("#000000")).toBe("black");
  });

  it("falls back to the hex for a colour the palette does not have", () => {
    expect(colorName("#123456")).toBeNull();
    expect(colorLabel("#123456")).toBe("#123456");
  });
});
