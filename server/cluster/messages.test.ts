// The validators of what arrives over Redis (after its signature checked out): every field bounded
// against the board, anything off refused as a whole — never thrown on.

import { describe, expect, it } from "vitest";
import { readEvent } from "../moderation/events";
import type { BoardRow } from "../canvas/store";
import { readCursorMessage } from "./cursor-channel";
import { pixelMessage, readPixelMessage } from "./pixel-channel";

const board: BoardRow = { id: "art", title: "Art", width: 10, height: 8, cooldownMs: 0, visibility: "public", state: "open", createdAt: 0, createdBy: null, seq: 0 };
const placed = (seq: number, x = 1, y = 2) => ({ seq, x, y, color: 3, userId: "u1", username: "ann", placedAt: 1_000 });

describe("pixel-updates messages", () => {
  it("round-trip one placement and a commit group", () => {
    const one = JSON.parse(JSON.stringify(pixelMessage("art", [placed(5)], "r1")));
    expect(one).toMatchObject({ type: "pixel_updated", board: "art", seq: 5, userId: "u1", username: "ann", timestamp: 1_000, origin: "r1" });
    expect(readPixelMessage(one, "art", board)).toEqual({ origin: "r1", records: [{ seq: 5, x: 1, y: 2, color: 3, userId: "u1", placedAt: 1_000 }] });
    const group = JSON.parse(JSON.stringify(pixelMessage("art", [placed(6), placed(7, 9, 7)], "r1")));
    expect(group.type).toBe("pixels_updated");
    expect(readPixelMessage(group, "art", board)?.records.map((r) => r.seq)).toEqual([6, 7]);
  });

  it.each([
    ["another board's message", { board: "main" }],
    ["x off the board", { x: 10 }],
    ["y off the board", { y: -1 }],
    ["a colour past the palette", { color: 32 }],
    ["seq 0", { seq: 0 }],
    ["seq beyond u32", { seq: 2 ** 32 }],
    ["a fractional seq", { seq: 1.5 }],
    ["a bad user id", { userId: "a b" }],
    ["a missing timestamp", { timestamp: undefined }],
  ])("refuses %s", (_what, change) => {
    const m = { ...(JSON.parse(JSON.stringify(pixelMessage("art", [placed(5)], "r1"))) as Record<string, unknown>), ...change };
    expect(readPixelMessage(m, "art", board)).toBeNull();
  });

  it("refuses a whole group when one of its records is off, and groups that are empty or huge", () => {
    const group = JSON.parse(JSON.stringify(pixelMessage("art", [placed(6), placed(7)], "r1")));
    group.updates[1].x = 99;
    expect(readPixelMessage(group, "art", board)).toBeNull();
    expect(readPixelMessage({ type: "pixels_updated", board: "art", origin: "r", updates: [] }, "art", board)).toBeNull();
    const huge = Array.from({ length: 10_001 }, (_, i) => ({ ...group.updates[0], seq: i + 1 }));
    expect(readPixelMessage({ type: "pixels_updated", board: "art", origin: "r", updates: huge }, "art", board)).toBeNull();
    expect(readPixelMessage({ type: "pixels_updated", board: "art", origin: "r", updates: [null] }, "art", board)).toBeNull();
  });
});

describe("cursor batches", () => {
  const batch = (moves: unknown[]) => ({ type: "cursors", board: "art", origin: "r1", moves });

  it("accept moves on the board and gone ids", () => {
    expect(readCursorMessage(batch([{ id: "u1", name: "ann", x: 9, y: 7 }, { id: "u2", gone: true }]), board)).toEqual({
      origin: "r1",
      moves: [{ id: "u1", name: "ann", x: 9, y: 7 }, { id: "u2", gone: true }],
    });
  });

  it.each([
    ["off the board", { id: "u1", name: "ann", x: 10, y: 0 }],
    ["a fractional coordinate", { id: "u1", name: "ann", x: 1.5, y: 0 }],
    ["an empty name", { id: "u1", name: "", x: 1, y: 1 }],
    ["a long name", { id: "u1", name: "n".repeat(25), x: 1, y: 1 }],
    ["a bad id", { id: "<script>", name: "ann", x: 1, y: 1 }],
    ["not an object", 5],
  ])("refuse a batch with a move %s", (_what, move) => {
    expect(readCursorMessage(batch([move]), board)).toBeNull();
  });

  it("refuse another board's batch and oversized batches", () => {
    expect(readCursorMessage({ ...batch([]), board: "main" }, board)).toBeNull();
    expect(readCursorMessage(batch(Array.from({ length: 1_001 }, () => ({ id: "u", gone: true }))), board)).toBeNull();
  });
});

describe("replica events", () => {
  it("accept the four kinds and refuse anything else", () => {
    expect(readEvent({ type: "user_banned", userId: "u1", until: 5 })).toEqual({ type: "user_banned", userId: "u1", until: 5 });
    expect(readEvent({ type: "user_unbanned", userId: "u1" })).toEqual({ type: "user_unbanned", userId: "u1" });
    expect(readEvent({ type: "user_changed", userId: "u1" })).toEqual({ type: "user_changed", userId: "u1" });
    expect(readEvent({ type: "board_changed", board: "art" })).toEqual({ type: "board_changed", board: "art" });
    for (const bad of [
      { type: "user_banned", userId: "u1", until: "soon" },
      { type: "user_banned", userId: "u 1", until: 5 },
      { type: "user_banned", userId: "u1", until: Infinity },
      { type: "board_changed", board: "-x" },
      { type: "user_update", podId: "p" },
      { type: "__proto__" },
      {},
    ]) {
      expect(readEvent(bad as Record<string, unknown>)).toBeNull();
    }
  });
});
