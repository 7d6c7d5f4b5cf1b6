import { describe, expect, it } from "vitest";
import { formatCountdown, formatRelative, pageTitle, rejectText } from "./format";

describe("formatCountdown", () => {
  it("shows tenths under ten seconds, rounding up", () => {
    expect(formatCountdown(3210)).toBe("3.3s");
    expect(formatCountdown(3200)).toBe("3.2s");
    expect(formatCountdown(1)).toBe("0.1s");
    expect(formatCountdown(0)).toBe("0.0s");
  });
  it("shows whole seconds, then minutes", () => {
    expect(formatCountdown(12_400)).toBe("13s");
    expect(formatCountdown(65_000)).toBe("1:05");
  });
});

describe("pageTitle", () => {
  it("prefixes the whole seconds left", () => {
    expect(pageTitle(2100)).toBe("(3s) Tessera");
    expect(pageTitle(0)).toBe("Tessera");
  });
  it("says Ready once the cooldown is over, until that has been seen", () => {
    expect(pageTitle(0, true)).toBe("✓ Ready · Tessera");
    expect(pageTitle(1500, true)).toBe("(2s) Tessera");
  });
});

describe("formatRelative", () => {
  const now = 1_700_000_000_000;
  it("covers seconds to days", () => {
    expect(formatRelative(now - 1000, now)).toBe("just now");
    expect(formatRelative(now + 5000, now)).toBe("just now");
    expect(formatRelative(now - 42_000, now)).toBe("42 s ago");
    expect(formatRelative(now - 125_000, now)).toBe("2 min ago");
    expect(formatRelative(now - 3 * 3600_000, now)).toBe("3 h ago");
    expect(formatRelative(now - 24 * 3600_000, now)).toBe("1 day ago");
    expect(formatRelative(now - 5 * 24 * 3600_000, now)).toBe("5 days ago");
  });
});

describe("rejectText", () => {
  it("has a message per code", () => {
    expect(rejectText("cooldown", 2000)).toContain("2.0s");
    for (const code of ["invalid_pixel", "rate_limited", "unavailable", "other"]) {
      expect(rejectText(code).length).toBeGreaterThan(10);
    }
  });
});
