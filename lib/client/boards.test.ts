import { describe, expect, it } from "vitest";
import {
  boardFormBody,
  boardFromLocation,
  boardHref,
  checkBoardForm,
  fieldOfServerMessage,
  loadRecentBoards,
  rememberBoard,
  RECENT_BOARDS_MAX,
  statsHref,
  type BoardFormValues,
} from "./boards";

const form = (over: Partial<BoardFormValues> = {}): BoardFormValues => ({
  title: "Pixel club",
  width: "256",
  height: "128",
  cooldownS: "5",
  visibility: "public",
  id: "",
  ...over,
});

function memoryStorage(): Storage {
  const m = new Map<string, string>();
  return {
    getItem: (k) => m.get(k) ?? null,
    setItem: (k, v) => void m.set(k, v),
    removeItem: (k) => void m.delete(k),
    clear: () => m.clear(),
    key: () => null,
    get length() {
      return m.size;
    },
  };
}

describe("board addresses", () => {
  it("reads the board of a page address", () => {
    expect(boardFromLocation("/")).toEqual({ id: "main", valid: true });
    expect(boardFromLocation("/b/pixel-club")).toEqual({ id: "pixel-club", valid: true });
    expect(boardFromLocation("/b/pixel-club/")).toEqual({ id: "pixel-club", valid: true });
    expect(boardFromLocation("/b/Bad_Id")).toEqual({ id: "Bad_Id", valid: false });
    expect(boardFromLocation("/b/-x")).toEqual({ id: "-x", valid: false });
    expect(boardFromLocation("/b/%E0%A4%A").valid).toBe(false);
  });

  it("links to a board and its stats", () => {
    expect(boardHref("main")).toBe("/");
    expect(boardHref("club")).toBe("/b/club");
    expect(statsHref("main")).toBe("/stats");
    expect(statsHref("club")).toBe("/b/club/stats");
  });
});

describe("recent boards", () => {
  it("keeps the newest first, once each, at most RECENT_BOARDS_MAX", () => {
    const s = memoryStorage();
    for (let i = 0; i < RECENT_BOARDS_MAX + 3; i++) rememberBoard(s, { id: `b${i}`, title: `Board ${i}` });
    rememberBoard(s, { id: "b5", title: "Board five" });
    const list = loadRecentBoards(s);
    expect(list).toHaveLength(RECENT_BOARDS_MAX);
    expect(list[0]).toEqual({ id: "b5", title: "Board five" });
    expect(list.filter((b) => b.id === "b5")).toHaveLength(1);
  });

  it("ignores what it did not write", () => {
    const s = memoryStorage();
    s.setItem("tessera.recentBoards", "{not json");
    expect(loadRecentBoards(s)).toEqual([]);
    s.setItem("tessera.recentBoards", JSON.stringify([{ id: "UPPER", title: "x" }, { id: "ok", title: 3 }, { id: "fine", title: "Fine" }]));
    expect(loadRecentBoards(s)).toEqual([{ id: "fine", title: "Fine" }]);
    expect(loadRecentBoards(undefined)).toEqual([]);
  });
});

describe("the create-board form", () => {
  it("accepts a good form and builds the request body", () => {
    expect(checkBoardForm(form())).toEqual({});
    expect(boardFormBody(form({ cooldownS: "2.5", id: " club " }))).toEqual({ title: "Pixel club", width: 256, height: 128, cooldownMs: 2500, visibility: "public", id: "club" });
    expect(boardFormBody(form())).not.toHaveProperty("id");
  });

  it("names what is wrong with each field, with the server's limits", () => {
    const e = checkBoardForm(form({ title: "  ", width: "0", height: "2000", cooldownS: "-1", id: "Club" }));
    expect(e.title).toMatch(/title/i);
    expect(e.width).toMatch(/1 to 1024/);
    expect(e.height).toMatch(/1 to 1024/);
    expect(e.cooldown).toMatch(/0 to 3600/);
    expect(e.id).toMatch(/lower-case/i);
    expect(checkBoardForm(form({ title: "x".repeat(61) })).title).toMatch(/60/);
    expect(checkBoardForm(form({ width: "12.5" })).width).toMatch(/whole/);
    expect(checkBoardForm(form({ cooldownS: "abc" })).cooldown).toBeDefined();
    expect(checkBoardForm(form({ id: "-lead" })).id).toMatch(/start/);
    expect(checkBoardForm(form({ id: "a".repeat(33) })).id).toMatch(/32/);
    expect(checkBoardForm(form({ id: "a b" })).id).toMatch(/a-z/);
    expect(checkBoardForm(form({ title: "bad\u200bname" })).title).toMatch(/invisible/);
  });

  it("maps the server's invalid_board message to its field", () => {
    expect(fieldOfServerMessage("width: must be at most 1024")).toEqual({ field: "width", text: "Must be at most 1024." });
    expect(fieldOfServerMessage("cooldownMs: must be at least 0").field).toBe("cooldown");
    expect(fieldOfServerMessage("something else went wrong")).toEqual({ field: null, text: "something else went wrong" });
    expect(fieldOfServerMessage("color: nope")).toEqual({ field: null, text: "color: nope" });
  });
});
