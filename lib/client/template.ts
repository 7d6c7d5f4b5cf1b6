// The template overlay's pure parts: the shareable address (`?template=&ox=&oy=&tw=&oo=`, the
// parameter names pxls uses, so links from that community read naturally), per-board storage,
// and turning an image into palette indices.

import type { TemplateState } from "./store";

/** Address parameters of a shared template. */
const P = { src: "template", x: "ox", y: "oy", width: "tw", opacity: "oo", mismatch: "tm" } as const;

/** A file template is kept in localStorage only up to this size (data: URL characters). */
const MAX_STORED_FILE_CHARS = 2_000_000;
/** Templates wider or taller than this (board pixels) are refused: the layer is one canvas. */
const MAX_TEMPLATE_SIDE = 4096;

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));

/** True for an image address the page may load: https anywhere (CSP `img-src https:`), or this origin. */
export function isLoadableUrl(raw: string, pageOrigin: string): boolean {
  try {
    const u = new URL(raw, pageOrigin);
    return u.protocol === "https:" || u.origin === pageOrigin;
  } catch {
    return false;
  }
}

/** The template named by a page address, or null (no `template`, or not an address the page may load). */
export function parseTemplateLink(search: string, pageOrigin: string): TemplateState | null {
  const q = new URLSearchParams(search);
  const src = q.get(P.src);
  if (!src || !isLoadableUrl(src, pageOrigin)) return null;
  const num = (k: string, d: number) => {
    const v = Number(q.get(k));
    return q.get(k) !== null && q.get(k)!.trim() !== "" && Number.isFinite(v) ? v : d;
  };
  return normalizeTemplate({
    src,
    kind: "url",
    label: src,
    x: num(P.x, 0),
    y: num(P.y, 0),
    width: num(P.width, 0),
    opacity: num(P.opacity, 0.6),
    mismatchOnly: q.get(P.mismatch) === "1",
    hidden: false,
  });
}

/** Put a URL template into a query string (or take any template out of it), keeping other parameters. */
export function withTemplateLink(search: string, t: TemplateState | null): string {
  const q = new URLSearchParams(search);
  for (const k of Object.values(P)) q.delete(k);
  if (t && t.kind === "url" && !t.hidden) {
    q.set(P.src, t.src);
    q.set(P.x, String(t.x));
    q.set(P.y, String(t.y));
    q.set(P.width, String(t.width));
    q.set(P.opacity, String(Math.round(t.opacity * 100) / 100));
    if (t.mismatchOnly) q.set(P.mismatch, "1");
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** Bounds every number (a stored or linked template is untrusted input). `width` 0 means "the image's own". */
export function normalizeTemplate(t: TemplateState): TemplateState {
  return {
    ...t,
    x: Math.round(clamp(Number.isFinite(t.x) ? t.x : 0, -MAX_TEMPLATE_SIDE, MAX_TEMPLATE_SIDE)),
    y: Math.round(clamp(Number.isFinite(t.y) ? t.y : 0, -MAX_TEMPLATE_SIDE, MAX_TEMPLATE_SIDE)),
    width: Math.round(clamp(Number.isFinite(t.width) ? t.width : 0, 0, MAX_TEMPLATE_SIDE)),
    opacity: clamp(Number.isFinite(t.opacity) ? t.opacity : 0.6, 0.05, 1),
    mismatchOnly: t.mismatchOnly === true,
    hidden: t.hidden === true,
  };
}

const storageKey = (boardId: string) => `tessera.template.${boardId}`;

/** The template kept for a board on this device, or null. */
export function loadStoredTemplate(boardId: string, storage: Storage | undefined, pageOrigin: string): TemplateState | null {
  try {
    const raw = storage?.getItem(storageKey(boardId));
    if (!raw) return null;
    const t = JSON.parse(raw) as Partial<TemplateState>;
    if (typeof t.src !== "string" || (t.kind !== "url" && t.kind !== "file")) return null;
    if (t.kind === "url" && !isLoadableUrl(t.src, pageOrigin)) return null;
    if (t.kind === "file" && !t.src.startsWith("data:image/")) return null;
    return normalizeTemplate({
      src: t.src,
      kind: t.kind,
      label: typeof t.label === "string" ? t.label.slice(0, 200) : t.kind,
      x: Number(t.x),
      y: Number(t.y),
      width: Number(t.width),
      opacity: Number(t.opacity),
      mismatchOnly: t.mismatchOnly === true,
      hidden: t.hidden === true,
    });
  } catch {
    return null;
  }
}

/** Keep (or with null, forget) a board's template. Returns false when it could not be kept (too big, storage full). */
export function storeTemplate(boardId: string, t: TemplateState | null, storage: Storage | undefined): boolean {
  try {
    if (!storage) return false;
    if (!t) {
      storage.removeItem(storageKey(boardId));
      return true;
    }
    if (t.kind === "file" && t.src.length > MAX_STORED_FILE_CHARS) return false;
    storage.setItem(storageKey(boardId), JSON.stringify(t));
    return true;
  } catch {
    return false;
  }
}

/** Height on the board of an image `imgW`×`imgH` drawn `width` board pixels wide. */
export function templateHeight(width: number, imgW: number, imgH: number): number {
  if (!(imgW > 0) || !(imgH > 0) || !(width > 0)) return 0;
  return Math.max(1, Math.round((imgH * width) / imgW));
}

/**
 * RGBA pixels → palette indices: the nearest palette colour (RGB distance) of every pixel at
 * least half opaque, -1 for the (mostly) transparent ones the template leaves alone.
 */
export function quantize(rgba: Uint8ClampedArray | Uint8Array, palette: readonly string[]): Int16Array {
  const pal = palette.map((h) => {
    const v = parseInt(h.slice(1), 16);
    return [(v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff] as const;
  });
  const n = rgba.length >> 2;
  const out = new Int16Array(n);
  const cache = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const o = i << 2;
    if (rgba[o + 3] < 128) {
      out[i] = -1;
      continue;
    }
    const key = (rgba[o] << 16) | (rgba[o + 1] << 8) | rgba[o + 2];
    let best = cache.get(key);
    if (best === undefined) {
      let bestD = Infinity;
      best = 0;
      for (let k = 0; k < pal.length; k++) {
        const dr = rgba[o] - pal[k][0];
        const dg = rgba[o + 1] - pal[k][1];
        const db = rgba[o + 2] - pal[k][2];
        const d = dr * dr + dg * dg + db * db;
        if (d < bestD) {
          bestD = d;
          best = k;
        }
      }
      cache.set(key, best);
    }
    out[i] = best;
  }
  return out;
}
