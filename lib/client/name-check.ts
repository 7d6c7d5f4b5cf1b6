// Checking a display name as it is typed, with a message that says what is wrong. The rules
// mirror the server's (SPEC §3: 1–24 characters of letters, digits, space, `_`, `-`, trimmed);
// `cleanName` from lib/protocol.ts, the server's own check, has the last word, so a stricter
// server rule still shows here (with a general message) instead of failing only on submit.

import { NAME_MAX_CHARS } from "../limits";
import { cleanName } from "../protocol";

/** What is wrong with `input` as a name, or null when the server will take it. */
export function nameProblem(input: string): string | null {
  const name = input.normalize("NFC").trim();
  const chars = [...name];
  if (chars.length === 0) return `Type a name: 1 to ${NAME_MAX_CHARS} letters, digits, spaces, _ or -.`;
  if (chars.length > NAME_MAX_CHARS) return `Too long: ${chars.length} characters, ${NAME_MAX_CHARS} at most.`;
  const bad = [...new Set(chars.filter((c) => !/^[\p{L}\p{M}\p{N} _-]$/u.test(c)))];
  if (bad.length > 0) {
    const shown = bad.slice(0, 3).map(describeChar).join(", ");
    return `Not allowed: ${shown}${bad.length > 3 ? "…" : ""}. Use letters, digits, spaces, _ or -.`;
  }
  if (/^\p{M}/u.test(name)) return "A name can't start with an accent or other combining mark.";
  if (cleanName(input) === null) return "The server does not accept this name; try another.";
  return null;
}

function describeChar(c: string): string {
  if (/\s/u.test(c)) return "tabs and line breaks";
  if (/\p{C}/u.test(c)) return "invisible characters";
  return `“${c}”`;
}
