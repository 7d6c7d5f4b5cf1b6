// Other people's cursors as the page shows them (SPEC §11): the positions `cursors` frames bring,
// moved smoothly from where each cursor is drawn now to its new position over about the time
// between two updates, so a cursor updated ten times a second glides instead of jumping. Pure
// (time is passed in); lib/client/cursor-layer.ts draws it.

import type { CursorEntry } from "../protocol";

/** A move is animated over the time since the cursor's previous update, within these bounds (ms). */
export const CURSOR_GLIDE_MIN_MS = 50;
export const CURSOR_GLIDE_MAX_MS = 250;

interface Track {
  id: string;
  name: string;
  fromX: number;
  fromY: number;
  toX: number;
  toY: number;
  start: number;
  duration: number;
  /** When the last update arrived. */
  updatedAt: number;
}

/** A cursor's drawn position at some time. */
export interface CursorPosition {
  id: string;
  name: string;
  x: number;
  y: number;
}

export class CursorModel {
  private readonly tracks = new Map<string, Track>();

  get size(): number {
    return this.tracks.size;
  }

  has(id: string): boolean {
    return this.tracks.has(id);
  }

  /**
   * Apply one `cursors` frame received at `now`: new cursors appear where they are, known ones
   * glide there from where they are drawn at `now`, `gone` ones disappear. Returns the ids added
   * and removed (the layer makes and drops their elements).
   */
  update(cursors: readonly CursorEntry[], gone: readonly string[], now: number): { added: string[]; removed: string[] } {
    const added: string[] = [];
    const removed: string[] = [];
    for (const id of gone) if (this.tracks.delete(id)) removed.push(id);
    for (const c of cursors) {
      if (typeof c?.id !== "string" || !Number.isFinite(c.x) || !Number.isFinite(c.y)) continue;
      const t = this.tracks.get(c.id);
      if (!t) {
        this.tracks.set(c.id, { id: c.id, name: String(c.name ?? ""), fromX: c.x, fromY: c.y, toX: c.x, toY: c.y, start: now, duration: 0, updatedAt: now });
        added.push(c.id);
        continue;
      }
      const p = at(t, now);
      t.fromX = p.x;
      t.fromY = p.y;
      t.toX = c.x;
      t.toY = c.y;
      t.name = String(c.name ?? t.name);
      t.start = now;
      t.duration = Math.min(CURSOR_GLIDE_MAX_MS, Math.max(CURSOR_GLIDE_MIN_MS, now - t.updatedAt));
      t.updatedAt = now;
    }
    return { added, removed };
  }

  /** Forget every cursor (hidden, or the connection was lost); returns their ids. */
  clear(): string[] {
    const ids = [...this.tracks.keys()];
    this.tracks.clear();
    return ids;
  }

  /** Call `fn` with each cursor's position at `now`; returns true while some cursor is still gliding. */
  positions(now: number, fn: (p: CursorPosition) => void): boolean {
    let moving = false;
    for (const t of this.tracks.values()) {
      const p = at(t, now);
      if (now < t.start + t.duration) moving = true;
      fn({ id: t.id, name: t.name, x: p.x, y: p.y });
    }
    return moving;
  }
}

function at(t: Track, now: number): { x: number; y: number } {
  if (t.duration <= 0 || now >= t.start + t.duration) return { x: t.toX, y: t.toY };
  const k = Math.max(0, (now - t.start) / t.duration);
  // Ease out: quick to follow, soft to stop.
  const e = 1 - (1 - k) * (1 - k);
  return { x: t.fromX + (t.toX - t.fromX) * e, y: t.fromY + (t.toY - t.fromY) * e };
}
