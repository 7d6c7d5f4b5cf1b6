// Display-name rules (lib/names.ts): the look-alike and invisible-character cases of issue 10 as
// examples, and properties over random input (fast-check, seeded: the seed is printed, and
// TESSERA_SEED replays it).

import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { testSeed } from "../test/prng";
import { NAME_MAX_MARKS_PER_BASE, NAME_TAG_CHARS } from "./limits";
import { checkName, cleanName, nameTag, scriptsOf } from "./names";

beforeAll(() => {
  fc.configureGlobal({ seed: testSeed() });
});

const problem = (input: unknown) => {
  const r = checkName(input);
  return r.ok ? null : r.problem;
};

describe("checkName: examples", () => {
  it.each([
    ["admin + variation selector 16", "admin\uFE0F", "invisible"],
    ["zero-width space", "ad\u200Bmin", "invisible"],
    ["zero-width joiner", "ad\u200Dmin", "invisible"],
    ["soft hyphen", "ad\u00ADmin", "invisible"],
    ["word joiner", "ad\u2060min", "invisible"],
    ["combining grapheme joiner", "ad\u034Fmin", "invisible"],
    ["Mongolian vowel separator", "ad\u180Emin", "invisible"],
    ["tag characters", "admin\u{E0041}", "invisible"],
    ["Hangul filler alone", "\u3164", "invisible"],
    ["Hangul filler inside", "ad\u3164min", "invisible"],
    ["halfwidth Hangul filler", "\uFFA0bob", "invisible"],
    ["Hangul choseong filler", "\u115Fbob", "invisible"],
    ["Hangul jungseong filler", "bob\u1160", "invisible"],
    ["Khmer inherent vowel", "\u17B4bob", "invisible"],
    ["23 stacked combining marks", "z" + "\u0301".repeat(23), "marks"],
    ["3 marks on one base", "a\u0316\u0317\u0318", "marks"],
    ["Cyrillic a in Latin", "\u0430dmin", "mixed_scripts"],
    ["Cyrillic o in Latin", "r\u043Ebert", "mixed_scripts"],
    ["Greek Alpha in Latin", "\u0391lice", "mixed_scripts"],
    ["Greek omicron in Latin", "g\u03BFogle", "mixed_scripts"],
    ["Armenian in Latin", "\u0570ello", "mixed_scripts"],
    ["Cherokee in Latin", "\u13AAdmin", "mixed_scripts"],
    ["Cyrillic with Greek", "\u0411\u03B1", "mixed_scripts"],
    ["right-to-left override", "a\u202Eb", "invisible"],
    ["a tab", "a\tb", "characters"],
    ["punctuation", "a.b", "characters"],
    ["emoji", "ada\u{1F600}", "characters"],
    ["leading mark", "\u0301abc", "characters"],
    ["empty", "", "length"],
    ["blank", " \u3000 ", "length"],
    ["25 characters", "a".repeat(25), "length"],
    ["huge input", "a".repeat(100_000), "length"],
    ["not text", 42, "not_text"],
  ])("refuses %s", (_what, input, want) => {
    expect(problem(input)).toBe(want);
    expect(cleanName(input)).toBeNull();
  });

  it.each([
    ["fullwidth folds to ASCII", "\uFF41\uFF44\uFF41", "ada"],
    ["ligature folds", "\uFB01sh", "fish"],
    ["mathematical bold folds", "\u{1D41A}\u{1D41D}\u{1D41A}", "ada"],
    ["decomposed accent composes", "Jose\u0301", "Jos\u00E9"],
    ["ideographic space trims", "\u3000ada\u3000", "ada"],
    ["no-break space becomes a space", "ada\u00A0lovelace", "ada lovelace"],
    ["superscript digit folds", "ada\u00B2", "ada2"],
    ["Cyrillic alone", "\u0411\u043E\u0440\u0438\u0441 2", "\u0411\u043E\u0440\u0438\u0441 2"],
    ["Greek alone", "\u0395\u03BB\u03AD\u03BD\u03B7", "\u0395\u03BB\u03AD\u03BD\u03B7"],
    ["Japanese with Latin", "\u5C71\u7530 \u305F\u308D\u3046 Taro", "\u5C71\u7530 \u305F\u308D\u3046 Taro"],
    ["Katakana with the prolonged sound mark", "\u30B1\u30FC\u30AD", "\u30B1\u30FC\u30AD"],
    ["Korean with Latin", "\uAE40\uBBFC\uC900 Kim", "\uAE40\uBBFC\uC900 Kim"],
    ["Hindi (vowel signs and virama)", "\u0928\u092E\u0938\u094D\u0924\u0947", "\u0928\u092E\u0938\u094D\u0924\u0947"],
    ["Thai (vowel and tone mark on one base)", "\u0E01\u0E35\u0E48", "\u0E01\u0E35\u0E48"],
    ["Arabic", "\u0645\u062D\u0645\u062F", "\u0645\u062D\u0645\u062F"],
    ["digits, space, underscore, hyphen", "pixel_fan-42 x", "pixel_fan-42 x"],
    ["24 astral letters", "\u{20000}".repeat(24), "\u{20000}".repeat(24)],
  ])("accepts %s", (_what, input, want) => {
    expect(checkName(input)).toEqual({ ok: true, name: want });
  });

  it("every refusal says what is wrong in words", () => {
    const r = checkName("\u0430dmin");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(/Latin and Cyrillic/);
  });
});

describe("scriptsOf", () => {
  it("names the scripts of letters only", () => {
    expect([...scriptsOf("ada 42_-")]).toEqual(["Latin"]);
    expect([...scriptsOf("\u0430dmin")].sort()).toEqual(["Cyrillic", "Latin"]);
    expect(scriptsOf("42 _-").size).toBe(0);
  });
});

// ---------------------------------------------------------------- properties

/** Letters of the scripts people write names in, and the odd characters that attack them. */
const latin = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\u00E9\u00FC\u00F1");
const cyrillicLookalike = fc.constantFrom("\u0430", "\u0435", "\u043E", "\u0440", "\u0441", "\u0443", "\u0445", "\u0410", "\u0412", "\u041C", "\u041D");
const greekLookalike = fc.constantFrom("\u03BF", "\u03B1", "\u0391", "\u0392", "\u0395", "\u039F", "\u03A1", "\u03BD");
const invisible = fc.constantFrom(
  "\u00AD", "\u034F", "\u115F", "\u1160", "\u17B4", "\u180E", "\u200B", "\u200C", "\u200D", "\u200E", "\u2060", "\u2064",
  "\u3164", "\uFE00", "\uFE0F", "\uFEFF", "\uFFA0", "\u{E0001}", "\u{E0041}", "\u{E01EF}",
);
const latinName = fc.array(fc.oneof({ weight: 8, arbitrary: latin }, { weight: 1, arbitrary: fc.constantFrom(" ", "_", "-", "7") }), { minLength: 2, maxLength: 20 })
  .map((cs) => cs.join("").trim())
  .filter((n) => [...n].filter((c) => /\p{L}/u.test(c)).length >= 2);
/** Strings over the characters that matter here, so that random names often come close to valid. */
const tricky = fc.string({
  unit: fc.oneof(latin, cyrillicLookalike, greekLookalike, invisible, fc.constantFrom(" ", "\u3000", "\u00A0", "_", "-", "1", "\u0301", "\u0316", "\uFF41", "\u5C71", "\u30FC")),
  maxLength: 30,
});
const anyText = fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), fc.string({ unit: "binary" }), tricky);

describe("checkName: properties", () => {
  it("never throws, and an accepted name is normalised, trimmed, 1–24 allowed characters", () => {
    fc.assert(
      fc.property(fc.oneof(anyText, fc.anything()), (input) => {
        const r = checkName(input);
        if (!r.ok) return;
        const n = r.name;
        expect(n.normalize("NFKC")).toBe(n);
        expect(n).toBe(n.trim());
        expect([...n].length).toBeGreaterThanOrEqual(1);
        expect([...n].length).toBeLessThanOrEqual(24);
        expect(n).toMatch(/^[\p{L}\p{N} _-][\p{L}\p{M}\p{N} _-]*$/u);
        expect(n).not.toMatch(/\p{Default_Ignorable_Code_Point}/u);
      }),
      { numRuns: 5_000 },
    );
  });

  it("is idempotent: cleaning a clean name gives it back", () => {
    fc.assert(
      fc.property(anyText, (input) => {
        const once = cleanName(input);
        if (once !== null) expect(cleanName(once)).toBe(once);
      }),
      { numRuns: 5_000 },
    );
  });

  it("accepts plain Latin names unchanged", () => {
    fc.assert(
      fc.property(latinName, (name) => {
        expect(cleanName(name)).toBe(name.normalize("NFKC"));
      }),
    );
  });

  it("refuses any invisible character inside an otherwise accepted name", () => {
    fc.assert(
      fc.property(latinName, invisible, fc.nat(), (name, ch, at) => {
        const cps = [...name];
        const i = at % (cps.length + 1);
        const forged = [...cps.slice(0, i), ch, ...cps.slice(i)].join("");
        // Refused, or (U+FEFF at either end, which trimming removes) exactly the plain name.
        const r = cleanName(forged);
        expect(r === null || r === cleanName(name), JSON.stringify(forged)).toBe(true);
        if (i > 0 && i < cps.length) expect(r, JSON.stringify(forged)).toBeNull();
      }),
    );
  });

  it("refuses a Latin name with one letter swapped for a Cyrillic or Greek look-alike", () => {
    fc.assert(
      fc.property(latinName, fc.oneof(cyrillicLookalike, greekLookalike), fc.nat(), (name, ch, at) => {
        const cps = [...name];
        const letters = cps.flatMap((c, i) => (/\p{L}/u.test(c) ? [i] : []));
        const i = letters[at % letters.length];
        cps[i] = ch;
        expect(checkName(cps.join(""))).toMatchObject({ ok: false, problem: "mixed_scripts" });
      }),
    );
  });

  it(`caps combining marks at ${NAME_MAX_MARKS_PER_BASE} per base character`, () => {
    // Marks of distinct combining classes that NFKC cannot compose with a Latin x.
    const mark = fc.constantFrom("\u0316", "\u0317", "\u0318", "\u0319", "\u031C", "\u0320", "\u0324", "\u0325");
    fc.assert(
      fc.property(fc.array(mark, { minLength: 1, maxLength: 30 }), (marks) => {
        const name = "x" + marks.join("");
        expect(cleanName(name) !== null).toBe(marks.length <= NAME_MAX_MARKS_PER_BASE);
      }),
    );
  });
});

describe("nameTag", () => {
  it("is 4 unambiguous characters, the same for the same id", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 64 }), (id) => {
        const tag = nameTag(id);
        expect(tag).toMatch(new RegExp(`^[0-9A-HJKMNP-TV-Z]{${NAME_TAG_CHARS}}$`));
        expect(nameTag(id)).toBe(tag);
      }),
    );
    expect(nameTag("moderation")).toBe(nameTag("moderation"));
  });

  it("spreads ids over the tags: 10,000 random ids share few tags", () => {
    // 2^20 tags: 10,000 uniform draws collide about 48 times (birthday bound); allow some slack.
    const ids = fc.sample(fc.uint8Array({ minLength: 12, maxLength: 12 }).map((b) => Buffer.from(b).toString("base64url")), 10_000);
    const distinctIds = new Set(ids).size;
    const tags = new Set(ids.map(nameTag)).size;
    expect(distinctIds - tags).toBeLessThan(150);
  });

  it("differs for ids that differ in one character", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 12, maxLength: 12 }), fc.nat(15), (bytes, at) => {
        const id = Buffer.from(bytes).toString("base64url");
        const other = id.slice(0, at) + (id[at] === "A" ? "B" : "A") + id.slice(at + 1);
        // Not a guarantee of a 20-bit hash, but a one-character change colliding would be a bad sign.
        return nameTag(id) !== nameTag(other) || id === other;
      }),
      { numRuns: 2_000 },
    );
  });
});
