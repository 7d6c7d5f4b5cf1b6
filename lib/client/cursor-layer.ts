// Draws other people's cursors (SPEC §11) on their own layer above the board: one small element
// per cursor (`data-testid="cursor-{userId}"`, with the name), placed with a CSS transform from the
// view, so a move never touches the board canvas and costs the compositor, not a repaint. Frames
// run only while a cursor is gliding or the view moved.

import { nameTag } from "../names";
import type { CursorEntry } from "../protocol";
import { CursorModel } from "./cursors";
import type { View } from "./viewport";

const PREFERENCE_KEY = "tessera.cursors";

/** Whether other people's cursors are shown (on unless turned off before). */
export function loadCursorPreference(): boolean {
  try {
    return window.localStorage.getItem(PREFERENCE_KEY) !== "off";
  } catch {
    return true;
  }
}

export function saveCursorPreference(on: boolean): void {
  try {
    window.localStorage.setItem(PREFERENCE_KEY, on ? "on" : "off");
  } catch {
    // Not kept: the choice lasts until the page closes.
  }
}

/** A colour per user (from the same hash as the name tag), so one person's cursor keeps its colour. */
function cursorHue(id: string): number {
  let h = 0;
  for (const ch of nameTag(id)) h = (h * 32 + ch.charCodeAt(0)) % 360;
  return h;
}

const ARROW =
  '<svg class="cursor-arrow" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><path d="M1 1 L1 13 L4.5 9.8 L7 15 L9.2 14 L6.8 8.9 L11.5 8.6 Z"/></svg>';

export class CursorLayer {
  private readonly model = new CursorModel();
  private el: HTMLElement | null = null;
  private readonly nodes = new Map<string, { root: HTMLElement; label: HTMLElement; name: string }>();
  private view: View | null = null;
  private frameRequest: number | null = null;
  /** Main-thread time spent placing cursors (tests and docs/UI-PERFORMANCE.md). */
  readonly stats = { frames: 0, totalMs: 0, maxMs: 0 };

  attach(el: HTMLElement | null): void {
    if (this.el === el) return;
    for (const n of this.nodes.values()) n.root.remove();
    this.nodes.clear();
    this.el = el;
    if (el) {
      this.model.positions(0, (p) => this.ensureNode(p.id, p.name));
      this.schedule();
    }
  }

  setView(view: View | null): void {
    this.view = view;
    this.schedule();
  }

  /** One `cursors` frame. */
  update(cursors: readonly CursorEntry[], gone: readonly string[]): void {
    const { removed } = this.model.update(cursors, gone, performance.now());
    for (const id of removed) this.dropNode(id);
    this.schedule();
  }

  /** Remove every cursor. */
  clear(): void {
    for (const id of this.model.clear()) this.dropNode(id);
  }

  ids(): string[] {
    const out: string[] = [];
    this.model.positions(performance.now(), (p) => out.push(p.id));
    return out;
  }

  private ensureNode(id: string, name: string): { root: HTMLElement; label: HTMLElement; name: string } | null {
    if (!this.el) return null;
    let n = this.nodes.get(id);
    if (!n) {
      const root = document.createElement("div");
      root.className = "cursor";
      root.dataset.testid = `cursor-${id}`;
      root.style.setProperty("--cursor-hue", String(cursorHue(id)));
      root.innerHTML = ARROW;
      const label = document.createElement("span");
      label.className = "cursor-name";
      root.appendChild(label);
      this.el.appendChild(root);
      n = { root, label, name: "" };
      this.nodes.set(id, n);
    }
    if (n.name !== name) {
      n.name = name;
      n.label.textContent = name;
      n.root.title = `${name} #${nameTag(id)}`;
    }
    return n;
  }

  private dropNode(id: string): void {
    this.nodes.get(id)?.root.remove();
    this.nodes.delete(id);
  }

  private schedule(): void {
    if (this.frameRequest !== null || !this.el || typeof requestAnimationFrame === "undefined") return;
    this.frameRequest = requestAnimationFrame(this.frame);
  }

  private readonly frame = (): void => {
    this.frameRequest = null;
    const v = this.view;
    if (!this.el || !v) return;
    const started = performance.now();
    const moving = this.model.positions(started, (p) => {
      const n = this.ensureNode(p.id, p.name);
      if (!n) return;
      // The arrow's tip on the centre of the board pixel.
      const sx = v.panX + (p.x + 0.5) * v.zoom;
      const sy = v.panY + (p.y + 0.5) * v.zoom;
      n.root.style.transform = `translate3d(${sx.toFixed(1)}px, ${sy.toFixed(1)}px, 0)`;
    });
    const ms = performance.now() - started;
    this.stats.frames++;
    this.stats.totalMs += ms;
    if (ms > this.stats.maxMs) this.stats.maxMs = ms;
    if (moving) this.schedule();
  };
}
