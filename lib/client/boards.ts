// Which board a page address means, the addresses of a board's pages, the boards this browser
// visited lately, and the create-board form's checks — pure functions, unit-tested.

import { BOARD_TITLE_MAX_CHARS, MAX_BOARD_COOLDOWN_MS, MAX_BOARD_SIDE } from "../limits";
import { MAIN_BOARD, isBoardId, type BoardInfo, type BoardVisibility } from "../protocol";

/**
 * The board of a page address: `/b/{id}` is board `id`, `/` is `main`. `valid` is false for an id
 * no board can have.
 */
export function boardFromLocation(pathname: string): { id: string; valid: boolean } {
  const m = /^\/b\/([^/]*)\/?$/.exec(pathname);
  if (!m) return { id: MAIN_BOARD, valid: true };
  let id: string;
  try {
    id = decodeURIComponent(m[1]);
  } catch {
    return { id: m[1], valid: false };
  }
  return { id, valid: isBoardId(id) };
}

/** The page of a board: `/` for main, `/b/{id}` otherwise. */
export function boardHref(id: string): string {
  return id === MAIN_BOARD ? "/" : `/b/${encodeURIComponent(id)}`;
}

/** The stats page of a board: `/stats` for main, `/b/{id}/stats` otherwise. */
export function statsHref(id: string): string {
  return id === MAIN_BOARD ? "/stats" : `/b/${encodeURIComponent(id)}/stats`;
}

/** What the page calls a board: its title ("main" is the shared board every visitor starts on). */
export function boardLabel(board: { id: string; title: string }): string {
  return board.id === MAIN_BOARD && board.title === MAIN_BOARD ? "Main board" : board.title;
}

// ------------------------------------------------------------------ recently visited boards

export interface RecentBoard {
  id: string;
  title: string;
}

const RECENT_KEY = "tessera.recentBoards";
/** Boards remembered for the switcher. */
export const RECENT_BOARDS_MAX = 8;

/** The boards this browser opened lately, newest first (an empty list when nothing valid is kept). */
export function loadRecentBoards(storage: Pick<Storage, "getItem"> | undefined): RecentBoard[] {
  try {
    const raw = JSON.parse(storage?.getItem(RECENT_KEY) ?? "[]") as unknown;
    if (!Array.isArray(raw)) return [];
    return raw
      .filter((b): b is RecentBoard => typeof b === "object" && b !== null && isBoardId(b.id) && typeof b.title === "string")
      .slice(0, RECENT_BOARDS_MAX)
      .map((b) => ({ id: b.id, title: b.title.slice(0, BOARD_TITLE_MAX_CHARS) }));
  } catch {
    return [];
  }
}

/** Put `board` first in the recent list (kept at most RECENT_BOARDS_MAX); returns the new list. */
export function rememberBoard(storage: Pick<Storage, "getItem" | "setItem"> | undefined, board: RecentBoard): RecentBoard[] {
  const list = [{ id: board.id, title: board.title }, ...loadRecentBoards(storage).filter((b) => b.id !== board.id)].slice(0, RECENT_BOARDS_MAX);
  try {
    storage?.setItem(RECENT_KEY, JSON.stringify(list));
  } catch {
    // Storage full or forbidden: the switcher just shows fewer boards.
  }
  return list;
}

// ------------------------------------------------------------------ the create-board form

export type BoardField = "title" | "width" | "height" | "cooldown" | "visibility" | "id";

/** The form as typed (numbers as the text of their inputs; the cooldown in seconds). */
export interface BoardFormValues {
  title: string;
  width: string;
  height: string;
  cooldownS: string;
  visibility: BoardVisibility;
  id: string;
}

export type BoardFormErrors = Partial<Record<BoardField, string>>;

function wholeNumber(raw: string): number | null {
  const t = raw.trim();
  return /^\d{1,9}$/.test(t) ? Number(t) : null;
}

/** What is wrong with each field, with the server's limits (lib/limits.ts); {} when it can be sent. */
export function checkBoardForm(v: BoardFormValues): BoardFormErrors {
  const errors: BoardFormErrors = {};
  const title = v.title.normalize("NFC").trim();
  const chars = [...title].length;
  if (chars < 1) errors.title = "Give the board a title.";
  else if (chars > BOARD_TITLE_MAX_CHARS) errors.title = `At most ${BOARD_TITLE_MAX_CHARS} characters (${chars} now).`;
  else if (/[\p{Cc}\p{Cf}\p{Co}\p{Cs}]/u.test(title)) errors.title = "No control or invisible characters.";
  for (const side of ["width", "height"] as const) {
    const n = wholeNumber(v[side]);
    if (n === null) errors[side] = "A whole number of pixels.";
    else if (n < 1 || n > MAX_BOARD_SIDE) errors[side] = `From 1 to ${MAX_BOARD_SIDE} pixels.`;
  }
  const raw = v.cooldownS.trim();
  const seconds = Number(raw);
  if (raw === "" || !Number.isFinite(seconds)) errors.cooldown = "A number of seconds (0 for none).";
  else if (seconds < 0 || seconds * 1000 > MAX_BOARD_COOLDOWN_MS) errors.cooldown = `From 0 to ${MAX_BOARD_COOLDOWN_MS / 1000} seconds.`;
  if (v.visibility !== "public" && v.visibility !== "unlisted") errors.visibility = "Public or unlisted.";
  const id = v.id.trim();
  // (Passed as unknown: the guard's "not a board id" would otherwise narrow `id` to never.)
  if (id !== "" && !isBoardId(id as unknown)) {
    errors.id = /[A-Z]/.test(id) && isBoardId(id.toLowerCase() as unknown)
      ? "Lower-case letters only."
      : id.startsWith("-")
        ? "It may not start with '-'."
        : id.length > 32
          ? "At most 32 characters."
          : "Only a-z, 0-9 and '-'.";
  }
  return errors;
}

/** The request body of a valid form (call after checkBoardForm found nothing). */
export function boardFormBody(v: BoardFormValues): { title: string; width: number; height: number; cooldownMs: number; visibility: BoardVisibility; id?: string } {
  const id = v.id.trim();
  return {
    title: v.title.normalize("NFC").trim(),
    width: Number(v.width.trim()),
    height: Number(v.height.trim()),
    cooldownMs: Math.round(Number(v.cooldownS.trim()) * 1000),
    visibility: v.visibility,
    ...(id ? { id } : {}),
  };
}

/**
 * The field a server `invalid_board` message is about: the server names it before a colon
 * ("width: must be at most 1024"); `cooldownMs` is the form's cooldown. Null when none is named.
 */
export function fieldOfServerMessage(message: string): { field: BoardField | null; text: string } {
  const m = /^([a-zA-Z]+):\s*(.*)$/s.exec(message);
  if (!m) return { field: null, text: message };
  const key = m[1] === "cooldownMs" ? "cooldown" : m[1];
  const fields: BoardField[] = ["title", "width", "height", "cooldown", "visibility", "id"];
  const field = (fields as string[]).includes(key) ? (key as BoardField) : null;
  const text = m[2].charAt(0).toUpperCase() + m[2].slice(1);
  return { field, text: field ? `${text}${/[.!?]$/.test(text) ? "" : "."}` : message };
}

/** A list entry's live count, in words. */
export function peopleCount(n: number): string {
  return n === 1 ? "1 person here" : `${n.toLocaleString("en")} people here`;
}

/** The board objects the list shows, without any that appear twice (the order of "most active" may shift between pages). */
export function mergeBoardPages(have: readonly BoardInfo[], page: readonly BoardInfo[]): BoardInfo[] {
  const seen = new Set(have.map((b) => b.id));
  return [...have, ...page.filter((b) => !seen.has(b.id) && seen.add(b.id))];
}
