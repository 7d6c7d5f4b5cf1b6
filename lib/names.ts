// Display names: what a person may call themselves (SPEC §3), and the short tag shown beside a name
// so that two people who chose the same — or a look-alike — name can still be told apart.
//
// Names are not unique, so the rules do not try to make look-alikes impossible; they remove the
// cheap ways to look like someone else while seeming to be a different string: invisible
// characters, Hangul fillers that render as blanks, compatibility forms (fullwidth, ligatures,
// mathematical letters) that NFKC folds, stacks of combining marks that paint over neighbours, and
// Latin words spelled with Cyrillic or Greek letters. What remains (two people both called "ada")
// is told apart by `nameTag`.

import { NAME_MAX_CHARS, NAME_MAX_INPUT_UNITS, NAME_MAX_MARKS_PER_BASE, NAME_TAG_CHARS } from "./limits";


export type NameProblem = "not_text" | "length" | "characters" | "invisible" | "marks" | "mixed_scripts";

export type NameCheck = { ok: true; name: string } | { ok: false; problem: NameProblem; message: string };

// Hangul fillers render as nothing; most are default-ignorable, U+3164 and U+FFA0 are letters.
const FILLERS = /[\u115F\u1160\u3164\uFFA0]/u;
const INVISIBLE = /\p{Default_Ignorable_Code_Point}/u;
/** Letters, marks, digits, space, `_`, `-`; a mark may not lead. */
const ALLOWED = /^[\p{L}\p{N} _-][\p{L}\p{M}\p{N} _-]*$/u;
const MARK = /\p{M}/u;
const LETTER = /\p{L}/u;

/**
 * Scripts a letter can belong to, for the mixing rule. A letter of a script missing here counts as
 * "other": mixing two unlisted scripts is not caught, mixing one with Latin is.
 */
const SCRIPTS = [
  "Latin", "Greek", "Cyrillic", "Armenian", "Cherokee", "Coptic", "Georgian", "Hebrew", "Arabic", "Syriac",
  "Thaana", "Devanagari", "Bengali", "Gurmukhi", "Gujarati", "Oriya", "Tamil", "Telugu", "Kannada",
  "Malayalam", "Sinhala", "Thai", "Lao", "Tibetan", "Myanmar", "Khmer", "Mongolian", "Ethiopic",
  "Canadian_Aboriginal", "Han", "Hiragana", "Katakana", "Hangul", "Bopomofo", "Tifinagh", "Vai", "Lisu",
] as const;
const SCRIPT_TESTS = SCRIPTS.map((s) => [s, new RegExp(`\\p{Script=${s}}`, "u")] as const);
const NEUTRAL = /[\p{Script=Common}\p{Script=Inherited}]/u;

/**
 * Script sets a name may use (UTS #39 "highly restrictive"): any single script, or Latin with the
 * scripts written beside it in Japanese, Chinese and Korean. Latin with Cyrillic, Greek, Armenian,
 * Cherokee… is where the look-alikes are.
 */
const ALLOWED_MIXES: ReadonlyArray<ReadonlySet<string>> = [
  new Set(["Latin", "Han", "Hiragana", "Katakana"]),
  new Set(["Latin", "Han", "Bopomofo"]),
  new Set(["Latin", "Han", "Hangul"]),
];

function scriptOf(ch: string): string | null {
  if (NEUTRAL.test(ch)) return null; // digits, space, `_`, `-`, the prolonged sound mark ー
  for (const [name, re] of SCRIPT_TESTS) if (re.test(ch)) return name;
  return "other";
}

/** The scripts of a name's letters (digits, marks and punctuation belong to none). */
export function scriptsOf(name: string): Set<string> {
  const found = new Set<string>();
  for (const ch of name) {
    if (!LETTER.test(ch)) continue;
    const s = scriptOf(ch);
    if (s) found.add(s);
  }
  return found;
}

function scriptsMix(scripts: ReadonlySet<string>): boolean {
  if (scripts.size <= 1) return false;
  return !ALLOWED_MIXES.some((allowed) => [...scripts].every((s) => allowed.has(s)));
}

function longestMarkRun(name: string): number {
  let run = 0;
  let longest = 0;
  for (const ch of name) {
    run = MARK.test(ch) ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  return longest;
}

const fail = (problem: NameProblem, message: string): NameCheck => ({ ok: false, problem, message });

/** Check a proposed display name: the normalised name, or what is wrong with it. */
export function checkName(input: unknown): NameCheck {
  if (typeof input !== "string") return fail("not_text", "a name must be text");
  if (input.length > NAME_MAX_INPUT_UNITS) return fail("length", `a name is at most ${NAME_MAX_CHARS} characters`);
  // NFKC first: it folds fullwidth and other compatibility forms, and turns some spaces into U+0020,
  // which trimming then removes.
  const name = input.normalize("NFKC").trim();
  const chars = [...name].length; // code points: "é" or "字" counts once
  if (chars < 1 || chars > NAME_MAX_CHARS) return fail("length", `a name is 1 to ${NAME_MAX_CHARS} characters`);
  if (INVISIBLE.test(name) || FILLERS.test(name)) return fail("invisible", "a name cannot contain invisible characters");
  if (!ALLOWED.test(name)) return fail("characters", "a name is letters, digits, spaces, '_' and '-' (no leading accent)");
  if (longestMarkRun(name) > NAME_MAX_MARKS_PER_BASE) {
    return fail("marks", `at most ${NAME_MAX_MARKS_PER_BASE} accents or other combining marks on one letter`);
  }
  if (scriptsMix(scriptsOf(name))) return fail("mixed_scripts", "a name cannot mix alphabets such as Latin and Cyrillic or Greek");
  return { ok: true, name };
}

/** The clean (NFKC-normalised, trimmed) display name, or null when it is not acceptable. */
export function cleanName(input: unknown): string | null {
  const r = checkName(input);
  return r.ok ? r.name : null;
}

/** Crockford's base-32 alphabet: no I, L, O or U, so a tag read aloud or copied is not misread. */
const TAG_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/**
 * A short tag for a user id, shown beside the name ("ada #K3F9"): 4 characters of Crockford base 32
 * (20 bits) from the FNV-1a hash of the id. A hash rather than the id's first characters because
 * ids are base64url, whose mixed case and `l`/`I`/`1`, `O`/`0` are themselves look-alikes; FNV-1a
 * because the browser computes it too, synchronously. Stable for an id forever. Ids are random and
 * issued by the server, so matching someone's tag takes about half a million new sessions.
 */
export function nameTag(userId: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < userId.length; i++) {
    h ^= userId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  let tag = "";
  for (let i = 0; i < NAME_TAG_CHARS; i++) {
    tag += TAG_ALPHABET[h & 31];
    h >>>= 5;
  }
  return tag;
}
