// Counting a `cursors` frame (SPEC §11) without parsing it: scenario 8's 500 clients receive up to
// ten frames a second each, and the generator shares the machine with the servers it measures.
//
// `{"type":"cursors","cursors":[{"id":…,"name":…,"x":…,"y":…},…],"gone":[id,…]}`. Every cursor
// entry is an object that starts with `{"id":` — a sequence that cannot occur inside a JSON string
// (its quote would be escaped) — so counting that sequence counts the entries. `gone` is usually
// empty and always short: it alone is parsed.

const TYPE = Buffer.from('{"type":"cursors"');
const ENTRY = Buffer.from('{"id":');
const GONE = Buffer.from('"gone":');

/** Cursor entries and gone ids of a `cursors` frame; null when the frame is not one. */
export function countCursorFrame(data: Buffer): { entries: number; gone: number } | null {
  if (data.length < TYPE.length || data.compare(TYPE, 0, TYPE.length, 0, TYPE.length) !== 0) return null;
  const goneAt = data.lastIndexOf(GONE);
  const end = goneAt < 0 ? data.length : goneAt;
  let entries = 0;
  for (let i = data.indexOf(ENTRY, TYPE.length); i >= 0 && i < end; i = data.indexOf(ENTRY, i + ENTRY.length)) entries++;
  let gone = 0;
  if (goneAt >= 0) {
    // `"gone":[…]}`: the array runs to the object's closing brace.
    const list = JSON.parse(data.toString("utf8", goneAt + GONE.length, data.lastIndexOf(0x7d))) as unknown;
    if (Array.isArray(list)) gone = list.length;
  }
  return { entries, gone };
}
