// The presence frames the gateway pushes (SPEC §10): at most 100 users and always under 8 KiB.

import { describe, expect, it } from "vitest";
import { PRESENCE_FRAME_MAX_BYTES } from "../../lib/limits";
import { presenceFrames } from "./gateway";

describe("presenceFrames", () => {
  const frame = (text: string) => JSON.parse(`${text},"timestamp":1}`);

  it("carries the window and the counts", () => {
    const f = presenceFrames({ users: [{ id: "a", name: "Ann" }], total: 7, connections: 9, scope: "cluster" });
    expect(frame(f.stats)).toEqual({ type: "stats", activeUsers: 7, connections: 9, scope: "cluster", timestamp: 1 });
    expect(frame(f.list)).toEqual({ type: "user_list", users: [{ id: "a", name: "Ann" }], total: 7, timestamp: 1 });
  });

  it("cuts a window of long multi-byte names to fit in 8 KiB, keeping the order and the total", () => {
    const users = Array.from({ length: 100 }, (_, i) => ({ id: `id-${String(i).padStart(3, "0")}-${"x".repeat(20)}`, name: "字".repeat(24) }));
    const f = presenceFrames({ users, total: 12_345, connections: 20_000, scope: "cluster" });
    const list = frame(f.list);
    expect(Buffer.byteLength(`${f.list},"timestamp":${Date.now()}}`)).toBeLessThan(8 * 1024);
    expect(Buffer.byteLength(f.list)).toBeLessThanOrEqual(PRESENCE_FRAME_MAX_BYTES + 64);
    expect(list.total).toBe(12_345);
    expect(list.users.length).toBeGreaterThan(20);
    expect(list.users.length).toBeLessThan(100);
    expect(list.users).toEqual(users.slice(0, list.users.length));
  });
});
