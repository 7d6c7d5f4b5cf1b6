import { describe, expect, it } from "vitest";
import type { PublicUser } from "../protocol";
import { PEOPLE_RETRY_MS, PeoplePager } from "./people";

const u = (i: number): PublicUser => ({ id: `id${String(i).padStart(4, "0")}`, name: `user ${String(i).padStart(4, "0")}` });
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, k) => u(a + k));

describe("PeoplePager", () => {
  it("shows you first, then the window, each person once", () => {
    const p = new PeoplePager();
    p.setWindow([u(1), u(2), u(3)], 3);
    p.setMe(u(2));
    expect(p.rows().map((r) => r.id)).toEqual(["id0002", "id0001", "id0003"]);
    expect(p.hasMore).toBe(false);
    expect(p.startFetch(0)).toBeUndefined();
  });

  it("marks you by id: someone else with your name is not you", () => {
    const p = new PeoplePager();
    const twin = { id: "other", name: "user 0002" };
    p.setWindow([u(1), twin, u(2)], 3);
    p.setMe(u(2));
    const rows = p.rows();
    expect(rows[0]).toEqual(u(2));
    expect(rows.filter((r) => r.name === "user 0002").map((r) => r.id)).toEqual(["id0002", "other"]);
  });

  it("pages through the rest on demand, without duplicates, until the server has no more", () => {
    const everyone = range(0, 250);
    const p = new PeoplePager();
    p.setMe(u(180)); // you are beyond the first 100
    p.setWindow(everyone.slice(0, 100), 250);
    expect(p.rows()).toHaveLength(101);
    expect(p.hasMore).toBe(true);

    const first = p.startFetch(0);
    expect(first).toBeNull(); // from the start: the first page overlaps the window
    expect(p.startFetch(0)).toBeUndefined(); // one request at a time
    p.addPage(everyone.slice(0, 200), "c200", 250);
    expect(p.rows()).toHaveLength(200);
    expect(p.startFetch(0)).toBe("c200");
    p.addPage(everyone.slice(200, 250), null, 250);
    const rows = p.rows();
    expect(rows).toHaveLength(250);
    expect(new Set(rows.map((r) => r.id)).size).toBe(250);
    expect(rows[0]).toEqual(u(180));
    expect(p.hasMore).toBe(false);
    expect(p.startFetch(0)).toBeUndefined();
  });

  it("a live window change keeps paged people, and never lists one twice", () => {
    const p = new PeoplePager();
    p.setWindow(range(0, 100), 300);
    p.startFetch(0);
    p.addPage(range(0, 200), "c", 300);
    // Someone early in the order joined: the window now ends one earlier.
    p.setWindow([{ id: "aaa", name: "aaa" }, ...range(0, 99)], 301);
    const ids = p.rows().map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain("id0099");
    expect(ids).toHaveLength(201);
  });

  it("waits before asking again after a failed page", () => {
    const p = new PeoplePager();
    p.setWindow(range(0, 100), 150);
    expect(p.startFetch(1000)).toBeNull();
    p.fetchFailed(1000);
    expect(p.startFetch(1000 + PEOPLE_RETRY_MS - 1)).toBeUndefined();
    expect(p.startFetch(1000 + PEOPLE_RETRY_MS)).toBeNull();
  });
});
