import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Board } from "../canvas";
import { BoardPoller, type WatchSource, type WatchUpdate } from "./board-poller";

const W = 4;
const H = 2;

function setup(answers: Array<WatchUpdate | Error>, visible = { now: true }) {
  const asked: Array<Board | null> = [];
  const source: WatchSource = {
    async next(board) {
      asked.push(board);
      const a = answers.shift() ?? { kind: "same" };
      if (a instanceof Error) throw a;
      return a;
    },
  };
  const log: string[] = [];
  const pixels: number[] = [];
  const poller = new BoardPoller(
    { source, intervalMs: 2000, isVisible: () => visible.now },
    {
      board: (b) => log.push(`board ${b.width}x${b.height}`),
      redraw: () => log.push("redraw"),
      pixel: (i) => pixels.push(i),
      status: (ok) => log.push(ok ? "ok" : "failed"),
    },
  );
  return { poller, asked, log, pixels, visible };
}

const snap = (seq: number, bytes: number[], w = W, h = H): WatchUpdate => ({ kind: "snapshot", seq, bytes: new Uint8Array(bytes), width: w, height: h });

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("BoardPoller", () => {
  it("loads, then asks every interval and draws only the pixels that changed", async () => {
    const t = setup([snap(1, [0, 0, 0, 0, 0, 0, 0, 1]), { kind: "same" }, snap(3, [0, 5, 0, 0, 0, 0, 0, 1])]);
    t.poller.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(t.log).toEqual(["board 4x2", "ok"]);
    expect(t.poller.board!.seq).toBe(1);
    await vi.advanceTimersByTimeAsync(2000);
    expect(t.asked).toHaveLength(2);
    expect(t.asked[1]).toBe(t.poller.board); // the source sees what we have (for If-None-Match / after=)
    expect(t.pixels).toEqual([]);
    await vi.advanceTimersByTimeAsync(2000);
    expect(t.pixels).toEqual([1]);
    expect(t.poller.board!.seq).toBe(3);
    expect(t.poller.colorAt(1)).toBe(5);
  });

  it("redraws everything when much changed, and makes a new board when the size changed", async () => {
    const t = setup([snap(1, [0, 0, 0, 0, 0, 0, 0, 0]), snap(9, [1, 1, 1, 1, 1, 1, 1, 1]), snap(10, [2, 2], 2, 1)]);
    t.poller.start();
    await vi.advanceTimersByTimeAsync(4000);
    expect(t.log).toEqual(["board 4x2", "ok", "redraw", "ok", "board 2x1", "ok"]);
  });

  it("ignores an older snapshot than the one it has", async () => {
    const t = setup([snap(5, [1, 1, 1, 1, 1, 1, 1, 1]), snap(4, [0, 0, 0, 0, 0, 0, 0, 0])]);
    t.poller.start();
    await vi.advanceTimersByTimeAsync(2000);
    expect(t.poller.board!.seq).toBe(5);
    expect(t.poller.colorAt(0)).toBe(1);
  });

  it("applies records from a history source", async () => {
    const t = setup([
      snap(2, [0, 0, 0, 0, 0, 0, 0, 0]),
      { kind: "records", records: [{ seq: 3, x: 1, y: 1, color: 4 }, { seq: 2, x: 0, y: 0, color: 9 }] },
    ]);
    t.poller.start();
    await vi.advanceTimersByTimeAsync(2000);
    expect(t.pixels).toEqual([5]); // seq 2 was already in the snapshot
    expect(t.poller.board!.seq).toBe(3);
  });

  it("reports failures and keeps asking", async () => {
    const t = setup([new Error("down"), new Error("down"), snap(1, [0, 0, 0, 0, 0, 0, 0, 0])]);
    t.poller.start();
    await vi.advanceTimersByTimeAsync(2000);
    expect(t.poller.failures).toBe(2);
    await vi.advanceTimersByTimeAsync(2000);
    expect(t.poller.failures).toBe(0);
    expect(t.log).toEqual(["failed", "failed", "board 4x2", "ok"]);
  });

  it("pauses while the tab is hidden and catches up when it is shown", async () => {
    const t = setup([snap(1, [0, 0, 0, 0, 0, 0, 0, 0])]);
    t.poller.start();
    await vi.advanceTimersByTimeAsync(0);
    t.visible.now = false;
    t.poller.visibilityChanged();
    expect(t.poller.active).toBe(false);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(t.asked).toHaveLength(1);
    t.visible.now = true;
    t.poller.visibilityChanged();
    await vi.advanceTimersByTimeAsync(0);
    expect(t.asked).toHaveLength(2);
  });

  it("stops asking after stop()", async () => {
    const t = setup([]);
    t.poller.start();
    await vi.advanceTimersByTimeAsync(0);
    t.poller.stop();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(t.asked).toHaveLength(1);
  });
});
