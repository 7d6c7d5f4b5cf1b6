import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { countCursorFrame } from "./cursor-count";

const frame = (cursors: unknown[], gone: string[]) => Buffer.from(JSON.stringify({ type: "cursors", cursors, gone }));

describe("countCursorFrame", () => {
  it("counts entries and gone ids as a parser would, whatever the names hold", () => {
    const entry = fc.record({ id: fc.string({ minLength: 1, maxLength: 30 }), name: fc.string({ maxLength: 24 }), x: fc.integer({ min: 0, max: 999 }), y: fc.integer({ min: 0, max: 999 }) });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 50 }), fc.array(fc.string({ maxLength: 30 }), { maxLength: 20 }), (cursors, gone) => {
        expect(countCursorFrame(frame(cursors, gone))).toEqual({ entries: cursors.length, gone: gone.length });
      }),
    );
  });

  it("names that look like entries are not counted", () => {
    const tricky = [{ id: "a", name: '{"id":"b"}', x: 1, y: 2 }];
    expect(countCursorFrame(frame(tricky, ['"gone":["x"]']))).toEqual({ entries: 1, gone: 1 });
  });

  it("other frames are not cursors frames", () => {
    expect(countCursorFrame(Buffer.from('{"type":"stats","activeUsers":3}'))).toBeNull();
    expect(countCursorFrame(Buffer.from('{"type":"cursorsX"}'))).toBeNull();
    expect(countCursorFrame(Buffer.from(""))).toBeNull();
  });
});
