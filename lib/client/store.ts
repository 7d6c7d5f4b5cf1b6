// The page's state (zustand). The board bytes are not in here: they live in the Connection's Board
// and go to the canvas through the renderer; the store holds what React renders.

import { create } from "zustand";
import { PALETTE } from "../palette";
import type { PublicUser, RedisStatus, StatsScope } from "../protocol";
import type { LinkState } from "./connection";
import type { Point, Size, View } from "./viewport";

export type AuthState = "checking" | "anonymous" | "authenticated" | "unreachable";
export type Tool = "place" | "pick";
export type ToastKind = "info" | "success" | "error";

export interface Toast {
  id: number;
  kind: ToastKind;
  text: string;
}

export interface PixelInfoState {
  x: number;
  y: number;
  status: "loading" | "placed" | "never" | "error";
  color?: number;
  name?: string;
  /** Epoch ms. */
  placedAt?: number;
  seq?: number;
  message?: string;
}

export interface TesseraState {
  auth: AuthState;
  user: PublicUser | null;

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
  users: string[];
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
  pixelInfo: PixelInfoState | null;
  toasts: Toast[];
  sidebarOpen: boolean;
}

export const initialState: TesseraState = {
  auth: "checking",
  user: null,
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
  pixelInfo: null,
  toasts: [],
  sidebarOpen: false,
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
