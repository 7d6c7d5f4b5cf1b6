import { describe, expect, it } from "vitest";
import { Signer } from "./signing";

describe("Signer", () => {
  const a = new Signer("a-secret-of-sixteen+");
  const b = new Signer("another-secret-16chars");

  it("round-trips an object and keeps it readable JSON", () => {
    const text = a.sign({ type: "pixel_updated", x: 1, name: "é\"}" });
    expect(JSON.parse(text).type).toBe("pixel_updated");
    expect(a.verify(text)).toEqual({ type: "pixel_updated", x: 1, name: "é\"}" });
  });

  it("refuses other keys, tampering, missing or moved signatures", () => {
    const text = a.sign({ type: "x", seq: 5 });
    expect(b.verify(text)).toBeNull();
    expect(a.verify(text.replace('"seq":5', '"seq":6'))).toBeNull();
    expect(a.verify('{"type":"x","seq":5}')).toBeNull();
    expect(a.verify(`${text} `)).toBeNull();
    expect(a.verify("")).toBeNull();
    expect(a.verify('{"sig":"' + "A".repeat(43) + '"}')).toBeNull();
  });

  it("never throws on arbitrary input", () => {
    for (const s of ["{", "null", '{,"sig":"' + "x".repeat(43) + '"}', "\u0000", "[]"]) expect(a.verify(s)).toBeNull();
  });
});
