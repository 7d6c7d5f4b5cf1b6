import { describe, expect, it } from "vitest";
import { PALETTE } from "../palette";
import type { TemplateState } from "./store";
import { isLoadableUrl, loadStoredTemplate, normalizeTemplate, parseTemplateLink, quantize, storeTemplate, templateHeight, withTemplateLink } from "./template";

const ORIGIN = "http://localhost:3000";

const t = (patch: Partial<TemplateState> = {}): TemplateState => ({
  src: "https://img.example/a.png",
  kind: "url",
  label: "a.png",
  x: 10,
  y: 20,
  width: 64,
  opacity: 0.5,
  mismatchOnly: false,
  hidden: false,
  ...patch,
});

class MemoryStorage {
  data = new Map<string, string>();
  getItem(k: string) {
    return this.data.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.data.set(k, v);
  }
  removeItem(k: string) {
    this.data.delete(k);
  }
}

describe("template links", () => {
  it("round-trips a URL template through the address, keeping other parameters", () => {
    const q = withTemplateLink("?x=5&y=6&zoom=8", t({ mismatchOnly: true }));
    const u = new URLSearchParams(q);
    expect(u.get("x")).toBe("5");
    expect(u.get("template")).toBe("https://img.example/a.png");
    expect(parseTemplateLink(q, ORIGIN)).toEqual(t({ mismatchOnly: true, label: "https://img.example/a.png" }));
  });

  it("never puts a file (or a hidden template) in the address, and removes an old one", () => {
    expect(withTemplateLink("?x=1&template=https%3A%2F%2Fold&ox=3", t({ kind: "file", src: "data:image/png;base64,AA" }))).toBe("?x=1");
    expect(withTemplateLink("?x=1", t({ hidden: true }))).toBe("?x=1");
    expect(withTemplateLink("?template=https%3A%2F%2Fold", null)).toBe("");
  });

  it("accepts https anywhere and this origin, nothing else", () => {
    expect(isLoadableUrl("https://a.example/x.png", ORIGIN)).toBe(true);
    expect(isLoadableUrl("/api/canvas.png", ORIGIN)).toBe(true);
    expect(isLoadableUrl("http://a.example/x.png", ORIGIN)).toBe(false);
    expect(isLoadableUrl("javascript:alert(1)", ORIGIN)).toBe(false);
    expect(isLoadableUrl("data:image/png;base64,AA", ORIGIN)).toBe(false);
    expect(parseTemplateLink("?template=javascript%3Aalert(1)", ORIGIN)).toBeNull();
    expect(parseTemplateLink("?x=1", ORIGIN)).toBeNull();
  });

  it("bounds every number of an untrusted template", () => {
    const n = normalizeTemplate(t({ x: 1e9, y: -1e9, width: Number.NaN, opacity: 7 }));
    expect([n.x, n.y, n.width, n.opacity]).toEqual([4096, -4096, 0, 1]);
    expect(parseTemplateLink("?template=https%3A%2F%2Fi.example%2Fa.png&ox=abc&oo=0", ORIGIN)).toMatchObject({ x: 0, opacity: 0.05 });
  });
});

describe("template storage per board", () => {
  it("keeps, reads back and forgets a board's template", () => {
    const s = new MemoryStorage() as unknown as Storage;
    expect(storeTemplate("main", t(), s)).toBe(true);
    expect(loadStoredTemplate("main", s, ORIGIN)).toEqual(t());
    expect(loadStoredTemplate("other", s, ORIGIN)).toBeNull();
    storeTemplate("main", null, s);
    expect(loadStoredTemplate("main", s, ORIGIN)).toBeNull();
  });

  it("refuses what it must not load, and files too big to keep", () => {
    const s = new MemoryStorage() as unknown as Storage;
    s.setItem("tessera.template.main", JSON.stringify(t({ src: "http://evil.example/x.png" })));
    expect(loadStoredTemplate("main", s, ORIGIN)).toBeNull();
    s.setItem("tessera.template.main", "{not json");
    expect(loadStoredTemplate("main", s, ORIGIN)).toBeNull();
    expect(storeTemplate("main", t({ kind: "file", src: "data:image/png;base64," + "A".repeat(2_100_000) }), s)).toBe(false);
  });
});

describe("template pixels", () => {
  it("matches each pixel to the nearest palette colour and leaves transparent ones out", () => {
    const rgba = new Uint8Array([
      255, 69, 0, 255, // exactly orange red (7)
      250, 60, 10, 255, // near orange red
      0, 0, 0, 100, // mostly transparent
      255, 255, 255, 255, // white (0)
    ]);
    expect([...quantize(rgba, PALETTE)]).toEqual([7, 7, -1, 0]);
  });

  it("keeps the aspect ratio", () => {
    expect(templateHeight(100, 200, 50)).toBe(25);
    expect(templateHeight(3, 1000, 1)).toBe(1);
    expect(templateHeight(0, 10, 10)).toBe(0);
  });
});
