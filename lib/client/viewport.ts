// Zoom and pan as pure functions. A view maps board coordinates to viewport (screen) coordinates:
//   screenX = panX + boardX * zoom,  screenY = panY + boardY * zoom
// which is exactly the CSS `translate(panX, panY) scale(zoom)` (origin 0 0) applied to the canvas.

import { MAX_ZOOM, MIN_ZOOM_FIT_FRACTION } from "./constants";

export interface View {
  /** Screen pixels per board pixel. */
  zoom: number;
  /** Screen position of the board's top-left corner, relative to the viewport. */
  panX: number;
  panY: number;
}

export interface Size {
  width: number;
  height: number;
}

export interface Point {
  x: number;
  y: number;
}

/** Zoom at which the whole board just fits into the viewport. */
export function fitZoom(board: Size, vp: Size): number {
  if (board.width <= 0 || board.height <= 0 || vp.width <= 0 || vp.height <= 0) return 1;
  return Math.min(vp.width / board.width, vp.height / board.height);
}

/** Allowed zoom range: half of fit-to-screen up to MAX_ZOOM. */
export function zoomLimits(board: Size, vp: Size): { min: number; max: number } {
  const min = Math.min(fitZoom(board, vp) * MIN_ZOOM_FIT_FRACTION, MAX_ZOOM);
  return { min, max: MAX_ZOOM };
}

/** Clamp a zoom into the allowed range (non-finite values become the fit zoom). */
export function clampZoom(zoom: number, board: Size, vp: Size): number {
  const { min, max } = zoomLimits(board, vp);
  if (!Number.isFinite(zoom) || zoom <= 0) return Math.max(min, Math.min(max, fitZoom(board, vp)));
  return Math.max(min, Math.min(max, zoom));
}

/** Board coordinates (fractional) under a viewport point. */
export function screenToBoard(view: View, sx: number, sy: number): Point {
  return { x: (sx - view.panX) / view.zoom, y: (sy - view.panY) / view.zoom };
}

/** The board pixel under a viewport point, or null when the point is off the board. */
export function pixelAt(view: View, sx: number, sy: number, board: Size): Point | null {
  const p = screenToBoard(view, sx, sy);
  const x = Math.floor(p.x);
  const y = Math.floor(p.y);
  if (x < 0 || y < 0 || x >= board.width || y >= board.height) return null;
  return { x, y };
}

/**
 * Keep the board reachable: the board point at the viewport centre must stay on the board, so
 * panning can never lose it off-screen.
 */
function clampPan(view: View, board: Size, vp: Size): View {
  const c = screenToBoard(view, vp.width / 2, vp.height / 2);
  const cx = Math.max(0, Math.min(board.width, c.x));
  const cy = Math.max(0, Math.min(board.height, c.y));
  if (cx === c.x && cy === c.y) return view;
  return { zoom: view.zoom, panX: vp.width / 2 - cx * view.zoom, panY: vp.height / 2 - cy * view.zoom };
}

/** A view with the centre of board pixel (x, y) at the viewport centre. */
export function centerOn(x: number, y: number, zoom: number, board: Size, vp: Size): View {
  const z = clampZoom(zoom, board, vp);
  const view = { zoom: z, panX: vp.width / 2 - (x + 0.5) * z, panY: vp.height / 2 - (y + 0.5) * z };
  return clampPan(view, board, vp);
}

/** The whole board centred, slightly smaller than the viewport. */
export function fitView(board: Size, vp: Size): View {
  const z = clampZoom(fitZoom(board, vp) * 0.94, board, vp);
  return {
    zoom: z,
    panX: (vp.width - board.width * z) / 2,
    panY: (vp.height - board.height * z) / 2,
  };
}

/** Change the zoom keeping the board point under viewport point (sx, sy) in place. */
export function zoomAt(view: View, zoom: number, sx: number, sy: number, board: Size, vp: Size): View {
  const z = clampZoom(zoom, board, vp);
  if (z === view.zoom) return view;
  const p = screenToBoard(view, sx, sy);
  return clampPan({ zoom: z, panX: sx - p.x * z, panY: sy - p.y * z }, board, vp);
}

/** Move the board by (dx, dy) screen pixels. */
export function panBy(view: View, dx: number, dy: number, board: Size, vp: Size): View {
  return clampPan({ zoom: view.zoom, panX: view.panX + dx, panY: view.panY + dy }, board, vp);
}

/** The same board point stays at the viewport centre when the viewport is resized. */
export function resizeView(view: View, oldVp: Size, newVp: Size, board: Size): View {
  const c = screenToBoard(view, oldVp.width / 2, oldVp.height / 2);
  const z = clampZoom(view.zoom, board, newVp);
  return clampPan({ zoom: z, panX: newVp.width / 2 - c.x * z, panY: newVp.height / 2 - c.y * z }, board, newVp);
}

/** Zoom multiplier of one wheel event (deltaMode 0: pixels, 1: lines, 2: pages). */
export function wheelZoomFactor(deltaY: number, deltaMode: number): number {
  const px = deltaMode === 1 ? deltaY * 16 : deltaMode === 2 ? deltaY * 400 : deltaY;
  const f = Math.exp(-px * 0.002);
  return Math.max(0.5, Math.min(2, f));
}

/** The deep link of a view: the board pixel at the viewport centre and the zoom. */
export function viewToLink(view: View, vp: Size, board: Size): { x: number; y: number; zoom: number } {
  const c = screenToBoard(view, vp.width / 2, vp.height / 2);
  return {
    x: Math.max(0, Math.min(board.width - 1, Math.floor(c.x))),
    y: Math.max(0, Math.min(board.height - 1, Math.floor(c.y))),
    zoom: Math.round(view.zoom * 100) / 100,
  };
}

/** Read `?x=&y=&zoom=` (any may be missing or bad: those come back undefined). */
export function parseDeepLink(search: string): { x?: number; y?: number; zoom?: number } {
  const q = new URLSearchParams(search);
  const num = (k: string): number | undefined => {
    const raw = q.get(k);
    if (raw === null || raw.trim() === "") return undefined;
    const v = Number(raw);
    return Number.isFinite(v) ? v : undefined;
  };
  const x = num("x");
  const y = num("y");
  const zoom = num("zoom");
  return {
    x: x === undefined ? undefined : Math.floor(x),
    y: y === undefined ? undefined : Math.floor(y),
    zoom: zoom !== undefined && zoom > 0 ? zoom : undefined,
  };
}

/** The initial view: the deep link when it names a pixel, else the whole board. */
export function initialView(search: string, board: Size, vp: Size): View {
  const link = parseDeepLink(search);
  if (link.x === undefined && link.y === undefined && link.zoom === undefined) return fitView(board, vp);
  const x = Math.max(0, Math.min(board.width - 1, link.x ?? Math.floor(board.width / 2)));
  const y = Math.max(0, Math.min(board.height - 1, link.y ?? Math.floor(board.height / 2)));
  const zoom = link.zoom ?? Math.max(fitZoom(board, vp), Math.min(MAX_ZOOM, 8));
  return centerOn(x, y, zoom, board, vp);
}

/** Replace x, y and zoom in a query string, keeping any other parameters. */
export function withDeepLink(search: string, link: { x: number; y: number; zoom: number }): string {
  const q = new URLSearchParams(search);
  q.set("x", String(link.x));
  q.set("y", String(link.y));
  q.set("zoom", String(link.zoom));
  return `?${q.toString()}`;
}
