// The page's state (zustand). The board bytes are not in here: they live in the Connection's Board
// and go to the canvas through the renderer; the store holds what React renders.
//
// Read by the moderation panel, timelapse, pixel history and stats (components/BoardExtras.tsx and
// what it renders), which never write here: `boardId`, `board` (the SPEC §9 object from `welcome`
// or GET /api/boards/{id}), `moderator` (GET /api/session), `user`, `pixelInfo` (the inspected
// pixel: x, y and, once loaded, its author) and `target` (the pixel selected for placing).

import { create } from "zustand";
import { PALETTE } from "../palette";
import type { BoardInfo, PublicUser, RedisStatus, StatsScope } from "../protocol";
import type { LinkState } from "./connection";
import type { Point, Size, View } from "./viewport";

export type AuthState = "checking" | "anonymous" | "authenticated" | "unreachable";
export type Tool = "place" | "pick";
export type ToastKind = "info" | "success" | "error";

export interface Toast {
  id: number;
  kind: ToastKind;
  /** The message; `{time}` in it is replaced by the live countdown to `until`. */
  text: string;
  /** Local epoch ms the countdown in `text` runs to. */
  until?: number;
  /** Shown instead of `text` once `until` has passed. */
  doneText?: string;
}

export interface TemplateState {
  /** Image URL (https:, shareable through the page address) or a data: URL of a file (this device only). */
  src: string;
  kind: "url" | "file";
  /** File name or URL, for the panel. */
  label: string;
  /** Board pixel of the template's top-left corner. */
  x: number;
  y: number;
  /** Width on the board, in board pixels (the height follows the image's aspect ratio). */
  width: number;
  /** 0…1. */
  opacity: number;
  /** Draw only the template pixels the board does not match yet. */
  mismatchOnly: boolean;
  /** The layer is hidden (the settings are kept). */
  hidden: boolean;
}

export interface PixelInfoState {
  x: number;
  y: number;
  status: "loading" | "placed" | "never" | "error";
  color?: number;
  name?: string;
  /** Who placed it (id and name). */
  user?: PublicUser;
  /** Epoch ms. */
  placedAt?: number;
  seq?: number;
  message?: string;
}

export interface TesseraState {
  /** The board this page shows (SPEC §9): `main` at `/`, `id` at `/b/{id}`. */
  boardId: string;
  /** The board's description, once known; `state` says whether it is frozen. */
  board: BoardInfo | null;
  /** `missing`: no such board (the page says so and links to /boards). */
  boardStatus: "loading" | "ok" | "missing";
  auth: AuthState;
  user: PublicUser | null;
  /** The session may moderate (GET /api/session's `moderator`). */
  moderator: boolean;
  /** Closed with 4003 or refused with `banned`: placing is over; the board is only watched. */
  banned: boolean;
  /** The server speaks this other protocol and a reload did not help (null: all is well). */
  protocolMismatch: number | null;
  /** Without a session: the name form is shown (on load, and again at the first placement). */
  nameFormOpen: boolean;
  /** Why the name form was opened again ("to place your pixel at (3, 4)"); null on load. */
  joinReason: string | null;
  /** The pixel a watcher tried to place: placed once the new session is live. */
  pendingPlace: { x: number; y: number; color: number } | null;

  // board
  width: number;
  height: number;
  palette: readonly string[];
  cooldownMs: number;
  boardReady: boolean;

  // link
  link: LinkState;
  browserOffline: boolean;
  retryAt: number | null;
  redis: RedisStatus;
  activeUsers: number | null;
  connections: number | null;
  scope: StatsScope | null;
  /** The first people on the board (at most 100, by name then id), from `user_list` or the stats. */
  users: PublicUser[];
  /** Everyone on the board, cluster-wide (the people list pages through them). */
  usersTotal: number;
  /** Other people's cursors are drawn (a toggle, kept in localStorage). */
  showCursors: boolean;
  /** Local epoch ms until which placing is refused; 0 = ready. */
  cooldownUntil: number;

  // interaction
  selectedColor: number;
  tool: Tool;
  view: View | null;
  viewportSize: Size;
  hover: Point | null;
  /** The selected pixel waiting for the place button (touch tap, or Enter on the keyboard). */
  target: Point | null;
  /** How the target was chosen: with the keyboard, arrow keys move it pixel by pixel. */
  targetBy: "touch" | "keyboard" | null;
  /** Play a chime when the cooldown ends (off by default; saved in localStorage). */
  soundOn: boolean;
  /** Local epoch ms of the last cooldown end (0: none yet), for the "ready" signal. */
  readyAt: number;
  /** Notify (browser notification) when placing is possible again (opt-in, saved). */
  notifyOn: boolean;
  /** The tab title says "Ready" (set when the cooldown ends, cleared once you have seen it). */
  readyTitle: boolean;
  /** Your own recent pixels, ringed for a moment so you see where they landed. */
  recent: Array<{ id: number; x: number; y: number; ref: string }>;
  /** The link was live at least once (so a later drop is an outage, not a slow start). */
  hadLive: boolean;
  /** What screen readers are told about the keyboard cursor (aria-live). */
  announcement: string;
  pixelInfo: PixelInfoState | null;
  toasts: Toast[];
  sidebarOpen: boolean;
  /** The top bar's "more" menu (phones and narrow windows). */
  menuOpen: boolean;
  templatePanelOpen: boolean;
  template: TemplateState | null;
  /** Why the template can't be compared with the board (cross-origin image without CORS), or null. */
  templateNote: string | null;
  /** The template's footprint on the board once its image is loaded (board pixels). */
  templateSize: { width: number; height: number } | null;
  /** Template pixels the board does not match yet (null: unknown). */
  templateMismatches: number | null;
}

const initialState: TesseraState = {
  boardId: "main",
  board: null,
  boardStatus: "loading",
  auth: "checking",
  user: null,
  moderator: false,
  banned: false,
  protocolMismatch: null,
  nameFormOpen: false,
  joinReason: null,
  pendingPlace: null,
  width: 0,
  height: 0,
  palette: PALETTE,
  cooldownMs: 0,
  boardReady: false,
  link: "stopped",
  browserOffline: false,
  retryAt: null,
  redis: "disabled",
  activeUsers: null,
  connections: null,
  scope: null,
  users: [],
  usersTotal: 0,
  showCursors: true,
  cooldownUntil: 0,
  selectedColor: 4,
  tool: "place",
  view: null,
  viewportSize: { width: 0, height: 0 },
  hover: null,
  target: null,
  targetBy: null,
  soundOn: false,
  readyAt: 0,
  notifyOn: false,
  readyTitle: false,
  recent: [],
  hadLive: false,
  announcement: "",
  pixelInfo: null,
  toasts: [],
  sidebarOpen: false,
  menuOpen: false,
  templatePanelOpen: false,
  template: null,
  templateNote: null,
  templateSize: null,
  templateMismatches: null,
};

export const useTessera = create<TesseraState>()(() => ({ ...initialState }));

/** Shorthand for updates from outside React. */
export const setState = useTessera.setState;
export const getState = useTessera.getState;

export type ConnectionBadge = "live" | "degraded" | "reconnecting" | "offline";

/** The `data-state` of the connection badge (SPEC §7). */
export function connectionBadge(s: Pick<TesseraState, "link" | "redis" | "browserOffline">): ConnectionBadge {
  if (s.browserOffline || s.link === "offline") return "offline";
  if (s.link === "live") return s.redis === "down" ? "degraded" : "live";
  return "reconnecting";
}

/** Equality of two optional points, to skip store updates that change nothing. */
export function samePoint(a: Point | null, b: Point | null): boolean {
  return a === b || (a !== null && b !== null && a.x === b.x && a.y === b.y);
}
