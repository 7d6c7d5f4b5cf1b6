// State of the board's extra panels (moderation, pixel history, timelapse), apart from the live
// page's store (lib/client/store.ts), which these panels only read.

import { create } from "zustand";
import type { PublicUser } from "../protocol";
import type { PixelPlacement } from "./history";
import type { Rect } from "./moderation";

export interface PixelHistoryState {
  board: string;
  x: number;
  y: number;
  status: "loading" | "ok" | "error";
  placements: PixelPlacement[];
  message?: string;
}

export interface ExtrasState {
  /** The signed-in user moderates (GET /api/session says so); null until it has answered. */
  moderator: boolean | null;
  modOpen: boolean;
  timelapseOpen: boolean;
  /** The last placements at the pixel the details card shows. */
  history: PixelHistoryState | null;
  /** The user the moderation panel acts on (the inspected pixel's author unless chosen otherwise). */
  modTarget: PublicUser | null;
  /** A wipe rectangle is being drawn on the board. */
  rectDrawing: boolean;
  /** The wipe rectangle (typed or drawn), shown on the board while the panel is open. */
  wipeRect: Rect | null;
}

export const useExtras = create<ExtrasState>()(() => ({
  moderator: null,
  modOpen: false,
  timelapseOpen: false,
  history: null,
  modTarget: null,
  rectDrawing: false,
  wipeRect: null,
}));

/** The id of the placing user that stands for moderation itself (rollbacks and wipes). */
export const MODERATION_USER_ID = "moderation";

/** Who the panel should act on for a pixel's history: its latest author other than moderation itself. */
export function authorOf(placements: readonly PixelPlacement[]): PublicUser | null {
  const p = placements.find((q) => q.user.id !== MODERATION_USER_ID);
  return p ? p.user : null;
}
