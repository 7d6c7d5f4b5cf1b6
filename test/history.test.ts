// History reads on both backends: the board at a seq (range errors), and placements pages as
// JSON objects and as a PIXELS body (SPEC §13). Exactness of the board at any seq against a full
// replay is in test/snapshots.test.ts.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodePixelsToArray } from "../lib/protocol";
import { PLACEMENTS_PAGE_MAX_LIMIT } from "../lib/limits";
import { boardAtSeq, HistoryRangeError, placementsPage, placementsPixels } from "../server/canvas/history";
import type { Storage } from "../server/canvas/storage";
import { UnknownBoardError } from "../server/canvas/store";
import { prng } from "./prng";
import { backend, BACKENDS, dropDatabases } from "./storage-backends";

afterAll(dropDatabases);

for (const kind of BACKENDS) {
  describe(`history on ${kind}`, () => {
    const b = backend(kind);
    let storage: Storage;
    let userId: string;
    beforeAll(async () => {
      storage = await b.open();
      userId = (await storage.createUser("historian")).id;
      await storage.createBoard({ id: "h", title: "h", width: 1024, height: 600, cooldownMs: 0, visibility: "public", createdBy: userId }, 5);
      await storage.createBoard({ id: "empty", title: "e", width: 3, height: 2, cooldownMs: 0, visibility: "public", createdBy: userId }, 5);
      const rand = prng(99);
      for (let g = 0; g < 10; g++) {
        const group = Array.from({ length: 25 }, () => ({ userId, x: Math.floor(rand() * 1024), y: Math.floor(rand() * 600), color: Math.floor(rand() * 32) }));
        await storage.commitPlacements("h", group, { cooldownMs: 0 });
      }
    });
    afterAll(async () => {
      await storage?.close();
    });

    it("gives the board at seq 0…current and refuses anything else with a clear error", async () => {
      const empty = await boardAtSeq(storage, "empty", 0);
      expect(empty).toEqual({ width: 3, height: 2, pixels: new Uint8Array(6), seq: 0 });
      const at = await boardAtSeq(storage, "h", 1);
      const [first] = await storage.placementsAfter("h", 0, 1);
      expect(at.pixels.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0)).toBe(first.color === 0 ? 0 : 1);
      expect(at.pixels[first.y * 1024 + first.x]).toBe(first.color);
      expect((await boardAtSeq(storage, "h", 250)).seq).toBe(250);
      for (const bad of [251, -1, 1.5, Number.NaN, 2 ** 60]) {
        await expect(boardAtSeq(storage, "h", bad)).rejects.toThrow(HistoryRangeError);
      }
      await expect(boardAtSeq(storage, "h", 251)).rejects.toThrow("seq must be an integer from 0 to 250 (the board's current seq), got 251");
      await expect(boardAtSeq(storage, "nope", 0)).rejects.toBeInstanceOf(UnknownBoardError);
    });

    it("pages placements as JSON with the next cursor, null once the current seq is reached", async () => {
      const all = await storage.placementsAfter("h", 0, 1_000);
      const p1 = await placementsPage(storage, "h", 0, 100);
      expect(p1.placements).toEqual(all.slice(0, 100));
      expect(p1.next).toBe(100);
      const p3 = await placementsPage(storage, "h", 200, 100);
      expect(p3.placements).toEqual(all.slice(200));
      expect(p3.next).toBeNull();
      // A page that ends exactly at the current seq says so.
      expect((await placementsPage(storage, "h", 150, 100)).next).toBeNull();
      expect(await placementsPage(storage, "h", 250, 10)).toEqual({ placements: [], next: null });
      expect(await placementsPage(storage, "h", 9_999, 10)).toEqual({ placements: [], next: null });
    });

    it("pages placements as a PIXELS body that decodes to the same records", async () => {
      const all = await storage.placementsAfter("h", 0, 1_000);
      const page = await placementsPixels(storage, "h", 40, 120);
      expect(page.body[0]).toBe(0x01);
      expect(page.body.length).toBe(1 + 120 * 9);
      expect(page.count).toBe(120);
      expect(page.next).toBe(160);
      expect(decodePixelsToArray(page.body)).toEqual(all.slice(40, 160).map((p) => ({ seq: p.seq, x: p.x, y: p.y, color: p.color })));
      const last = await placementsPixels(storage, "h", 240, 100);
      expect(last.next).toBeNull();
      expect(decodePixelsToArray(last.body)?.map((r) => r.seq)).toEqual([241, 242, 243, 244, 245, 246, 247, 248, 249, 250]);
      const none = await placementsPixels(storage, "h", 250, 100);
      expect(none).toEqual({ body: new Uint8Array([0x01]), count: 0, next: null });
    });

    it("refuses bad page parameters and unknown boards", async () => {
      for (const [after, limit] of [
        [-1, 10],
        [0.5, 10],
        [0, 0],
        [0, PLACEMENTS_PAGE_MAX_LIMIT + 1],
        [0, 2.5],
      ]) {
        await expect(placementsPage(storage, "h", after, limit)).rejects.toThrow(HistoryRangeError);
        await expect(placementsPixels(storage, "h", after, limit)).rejects.toThrow(HistoryRangeError);
      }
      await expect(placementsPage(storage, "nope", 0, 10)).rejects.toBeInstanceOf(UnknownBoardError);
      await expect(placementsPixels(storage, "nope", 0, 10)).rejects.toBeInstanceOf(UnknownBoardError);
    });
  });
}
