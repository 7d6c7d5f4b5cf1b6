// Glue between the store, the Connection and the renderer: what the components call.
// One live session per page; browser-only (every entry point runs from effects or handlers).

import { ApiError, createSession, getCanvas, getPixel, getSession, socketUrl, takePrefetched } from "./api";
import { Connection, type ConnectionEvent, type SocketLike } from "./connection";
import { INFO_REFRESH_MS, PREFETCH_MAX_AGE_MS, TOAST_MS, URL_UPDATE_DEBOUNCE_MS, ZOOM_STEP_FACTOR } from "./constants";
import { formatCountdown, rejectText } from "./format";
import { BoardRenderer } from "./renderer";
import { loadSoundPreference, playReadyChime, saveSoundPreference, unlockAudio } from "./sound";
import { getState, setState, useTessera, type ToastKind } from "./store";
import {
  centerOn,
  clampPan,
  fitView,
  initialView,
  panBy as panView,
  pixelAt,
  resizeView,
  viewToLink,
  withDeepLink,
  zoomAt,
  type Size,
  type View,
} from "./viewport";

let connection: Connection | null = null;
let renderer: BoardRenderer | null = null;
let canvasEl: HTMLCanvasElement | null = null;
let viewBoard: Size | null = null;

// ------------------------------------------------------------------ toasts

let toastId = 0;
const toastTimers = new Map<number, ReturnType<typeof setTimeout>>();

/** Show a short message; the same text again refreshes the visible toast instead of stacking. */
export function toast(text: string, kind: ToastKind = "info"): void {
  const s = getState();
  const same = s.toasts.find((t) => t.text === text);
  const id = same ? same.id : ++toastId;
  if (!same) setState({ toasts: [...s.toasts.slice(-3), { id, kind, text }] });
  const old = toastTimers.get(id);
  if (old) clearTimeout(old);
  toastTimers.set(id, setTimeout(() => dismissToast(id), kind === "error" ? TOAST_MS * 1.5 : TOAST_MS));
}

export function dismissToast(id: number): void {
  const t = toastTimers.get(id);
  if (t) clearTimeout(t);
  toastTimers.delete(id);
  setState({ toasts: getState().toasts.filter((x) => x.id !== id) });
}

// ------------------------------------------------------------------ session

/** Ask the server who we are; shows the name form on 401. */
export async function checkSession(): Promise<void> {
  try {
    const user = await getSession(takePrefetched("/api/session", PREFETCH_MAX_AGE_MS));
    // Start loading the board now rather than after React has rendered the whole page for it.
    if (user) startLive();
    setState(user ? { auth: "authenticated", user } : { auth: "anonymous", user: null });
  } catch {
    setState({ auth: "unreachable" });
  }
}

/** Create a session. Returns the server's error message, or null on success. */
export async function signIn(name: string): Promise<string | null> {
  try {
    const user = await createSession(name);
    setState({ auth: "authenticated", user });
    return null;
  } catch (e) {
    if (e instanceof ApiError) return e.message;
    return "Could not reach the server. Check your connection and try again.";
  }
}

/**
 * "Change name": the server has no rename, so this signs in again under the new name — a new user
 * (new id, fresh cooldown); pixels placed before keep the old name. The socket is replaced so the
 * live link runs as the new user. Returns the server's error message, or null on success.
 */
export async function rename(name: string): Promise<string | null> {
  const before = getState().user;
  let user;
  try {
    user = await createSession(name);
  } catch (e) {
    if (e instanceof ApiError) return e.code === "rate_limited" ? "Too many new names from this address — try again in a minute." : e.message;
    return "Could not reach the server. Check your connection and try again.";
  }
  setState({ user });
  connection?.reconnect();
  toast(before && before.name !== user.name ? `You are now ${user.name}.` : `Signed in again as ${user.name}.`, "success");
  return null;
}

// ------------------------------------------------------------------ live board

function onEvent(e: ConnectionEvent): void {
  switch (e.type) {
    case "link":
      setState({ link: e.state, browserOffline: e.browserOffline, retryAt: e.retryAt });
      return;
    case "welcome": {
      const m = e.message;
      const s = getState();
      const paletteChanged = m.palette.length !== s.palette.length || m.palette.some((c, i) => c !== s.palette[i]);
      setState({
        user: m.user,
        cooldownMs: m.cooldownMs,
        redis: m.redis,
        ...(paletteChanged ? { palette: m.palette } : {}),
        selectedColor: s.selectedColor < m.palette.length ? s.selectedColor : 0,
      });
      if (paletteChanged) renderer?.setPalette(m.palette);
      return;
    }
    case "board":
      if (!getState().boardReady) mark(MARK_SNAPSHOT);
      setState({ width: e.board.width, height: e.board.height, boardReady: true });
      renderer?.invalidateAll();
      ensureView();
      return;
    case "redraw":
      renderer?.invalidateAll();
      return;
    case "redis":
      setState({ redis: e.status });
      return;
    case "stats":
      setState({ activeUsers: e.activeUsers, connections: e.connections, scope: e.scope });
      return;
    case "users":
      setState({ users: e.users });
      return;
    case "cooldown":
      setState({ cooldownUntil: e.until });
      scheduleReadySignal(e.until);
      return;
    case "placed":
      return;
    case "rejected":
      toast(rejectText(e.code, e.retryAfterMs), "error");
      return;
    case "lost":
      toast(
        e.count === 1
          ? "The connection dropped before your pixel was confirmed; it shows again if it was placed."
          : `${e.count} placements were not confirmed.`,
        "error",
      );
      return;
    case "server_error":
      toast(`Server: ${e.message}`, "error");
      return;
    case "unauthorized":
      stopLive();
      setState({ auth: "anonymous", user: null });
      toast("Your session has ended — choose a name to continue.", "info");
      return;
  }
}

let readyTimer: ReturnType<typeof setTimeout> | null = null;

/** When the cooldown ends: note it (the badge pulses) and chime if the user asked for sound. */
function scheduleReadySignal(until: number): void {
  if (readyTimer !== null) clearTimeout(readyTimer);
  readyTimer = null;
  const ms = until - Date.now();
  if (ms <= 0) return;
  readyTimer = setTimeout(() => {
    readyTimer = null;
    setState({ readyAt: Date.now() });
    if (getState().soundOn) playReadyChime();
  }, ms);
}

/** Turn the "ready" chime on or off (kept for next time). Call from a user gesture. */
export function setSound(on: boolean): void {
  saveSoundPreference(on);
  setState({ soundOn: on });
  // A preview, so the user knows what to listen for.
  if (on) void unlockAudio().then(playReadyChime);
}

function onOnline(): void {
  connection?.setBrowserOnline(true);
}
function onOffline(): void {
  connection?.setBrowserOnline(false);
}

/** Connect (idempotent): snapshot, socket, renderer, URL tracking. */
export function startLive(): void {
  if (connection) return;
  const conn = new Connection(
    {
      wsUrl: socketUrl(window.location),
      // SocketLike's handlers take a narrower event than the DOM's, so a cast is needed at this one seam.
      createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
      // The first snapshot may already be on its way (started by the page's head script).
      loadCanvas: () => getCanvas(takePrefetched("/api/canvas", PREFETCH_MAX_AGE_MS)),
      checkSession: async () => (await getSession()) !== null,
    },
    { event: onEvent, pixel: onPixel },
  );
  connection = conn;
  setState({ soundOn: loadSoundPreference() });
  renderer = new BoardRenderer(conn, getState().palette);
  renderer.onFullPaint = (canvas) => {
    boardPainted = true;
    if (canvas.style.visibility !== "hidden") markBoardShown();
  };
  renderer.attach(canvasEl);
  window.addEventListener("online", onOnline);
  window.addEventListener("offline", onOffline);
  if (!navigator.onLine) conn.setBrowserOnline(false);
  conn.start();
  exposeDebug();
}

export function stopLive(): void {
  if (readyTimer !== null) clearTimeout(readyTimer);
  readyTimer = null;
  connection?.stop();
  renderer?.destroy();
  connection = null;
  renderer = null;
  window.removeEventListener("online", onOnline);
  window.removeEventListener("offline", onOffline);
}

export function retryConnection(): void {
  connection?.retryNow();
}

// ------------------------------------------------------------------ performance marks

/** Marks on the page's performance timeline (read by e2e/performance.spec.ts and DevTools). */
export const MARK_SNAPSHOT = "tessera:snapshot-loaded";
export const MARK_BOARD_SHOWN = "tessera:board-shown";
let boardPainted = false;
let boardShown = false;

function mark(name: string): void {
  try {
    performance.mark(name);
  } catch {
    // No User Timing API: nothing to record.
  }
}

/** The first time a fully painted board is on screen (painted and visible). */
function markBoardShown(): void {
  if (boardShown) return;
  boardShown = true;
  mark(MARK_BOARD_SHOWN);
}

/** BoardView made the canvas visible; if it was painted before, the board is now shown. */
export function boardVisible(): void {
  if (boardPainted) markBoardShown();
}

/** The board canvas mounted or unmounted. */
export function attachCanvas(el: HTMLCanvasElement | null): void {
  canvasEl = el;
  renderer?.attach(el);
}

/** React applied new canvas dimensions: the renderer may draw now. */
export function canvasResized(): void {
  renderer?.invalidateAll();
}

// ------------------------------------------------------------------ actions on pixels

/** Place the selected colour at (x, y) (optimistically; the server settles it). */
export function placeAt(x: number, y: number): void {
  const conn = connection;
  if (!conn) return;
  const r = conn.place(x, y, getState().selectedColor);
  if (r.ok) {
    // A tapped target is used up; the keyboard cursor stays where it is for the next pixel.
    if (getState().targetBy !== "keyboard") setState({ target: null, targetBy: null });
    return;
  }
  switch (r.reason) {
    case "cooldown":
      toast(`Cooling down — ${formatCountdown(r.remainingMs)} left.`, "info");
      return;
    case "busy":
      toast("Still placing your last pixel…", "info");
      return;
    case "offline":
      toast("Not connected — your pixel can't be placed right now.", "error");
      return;
    case "invalid":
      return;
  }
}

let inspectGen = 0;
let inspectRefresh: ReturnType<typeof setTimeout> | null = null;

/** A pixel's shown colour may have changed: draw it, and refresh its details if they are open. */
function onPixel(index: number): void {
  renderer?.invalidate(index);
  const info = getState().pixelInfo;
  const w = getState().width;
  if (!info || info.status === "loading" || info.y * w + info.x !== index || inspectRefresh !== null) return;
  // Someone painted over the pixel being looked at: show the new owner (coalesced).
  inspectRefresh = setTimeout(() => {
    inspectRefresh = null;
    const now = getState().pixelInfo;
    if (now && now.x === info.x && now.y === info.y) void inspect(info.x, info.y, true);
  }, INFO_REFRESH_MS);
}

/** Show who placed (x, y) and when. */
export async function inspect(x: number, y: number, quiet = false): Promise<void> {
  const gen = ++inspectGen;
  if (!quiet) setState({ pixelInfo: { x, y, status: "loading" } });
  try {
    const d = await getPixel(x, y);
    if (gen !== inspectGen) return;
    if (!d) {
      setState({ pixelInfo: { x, y, status: "never" } });
      return;
    }
    const placedAt = Date.parse(d.placedAt);
    setState({
      pixelInfo: {
        x,
        y,
        status: "placed",
        color: d.color,
        name: d.user?.name ?? "someone",
        placedAt: Number.isFinite(placedAt) ? placedAt : undefined,
        seq: d.seq,
      },
    });
  } catch (e) {
    if (gen !== inspectGen) return;
    setState({ pixelInfo: { x, y, status: "error", message: e instanceof Error ? e.message : "Request failed" } });
  }
}

export function closePixelInfo(): void {
  inspectGen++;
  setState({ pixelInfo: null });
}

/** Eyedropper: select the colour shown at (x, y) and go back to placing. */
export function pickAt(x: number, y: number): void {
  const conn = connection;
  const board = conn?.board;
  if (!conn || !board || !board.contains(x, y)) return;
  const color = conn.colorAt(y * board.width + x);
  setState({ selectedColor: color, tool: "place" });
  toast(`Picked ${getState().palette[color] ?? "colour"} from (${x}, ${y}).`, "success");
}

export function selectColor(index: number): void {
  if (index >= 0 && index < getState().palette.length) setState({ selectedColor: index, tool: "place" });
}

/** Next (+1) or previous (-1) colour of the palette, wrapping around. */
export function cycleColor(delta: number): void {
  const s = getState();
  const n = s.palette.length;
  if (n > 0) setState({ selectedColor: (((s.selectedColor + delta) % n) + n) % n, tool: "place" });
}

export function toggleEyedropper(): void {
  setState({ tool: getState().tool === "pick" ? "place" : "pick" });
}

// ------------------------------------------------------------------ view

function boardSize(): Size {
  const s = getState();
  return { width: s.width, height: s.height };
}

/** Make the first view once both the board and the viewport have a size (deep link honoured). */
function ensureView(): void {
  const s = getState();
  const board = boardSize();
  const vp = s.viewportSize;
  if (!s.boardReady || vp.width <= 0 || vp.height <= 0) return;
  if (s.view && viewBoard && viewBoard.width === board.width && viewBoard.height === board.height) return;
  viewBoard = board;
  setState({ view: initialView(window.location.search, board, vp) });
}

export function setViewportSize(size: Size): void {
  const s = getState();
  if (s.viewportSize.width === size.width && s.viewportSize.height === size.height) return;
  const old = s.viewportSize;
  if (s.view && old.width > 0 && old.height > 0 && size.width > 0 && size.height > 0) {
    setState({ viewportSize: size, view: resizeView(s.view, old, size, boardSize()) });
  } else {
    setState({ viewportSize: size });
    ensureView();
  }
}

export function setView(view: View): void {
  const s = getState();
  setState({ view: clampPan(view, boardSize(), s.viewportSize) });
}

/** Zoom by `factor` around viewport point (sx, sy); the viewport centre by default. */
export function zoomBy(factor: number, sx?: number, sy?: number): void {
  const s = getState();
  if (!s.view) return;
  const vp = s.viewportSize;
  setState({ view: zoomAt(s.view, s.view.zoom * factor, sx ?? vp.width / 2, sy ?? vp.height / 2, boardSize(), vp) });
}

export function zoomIn(): void {
  zoomBy(ZOOM_STEP_FACTOR);
}
export function zoomOut(): void {
  zoomBy(1 / ZOOM_STEP_FACTOR);
}

export function panBy(dx: number, dy: number): void {
  const s = getState();
  if (s.view) setState({ view: panView(s.view, dx, dy, boardSize(), s.viewportSize) });
}

/** Keyboard: put the cursor (target) on the pixel at the viewport centre. */
export function targetCentre(): void {
  const s = getState();
  if (!s.view || !s.boardReady) return;
  const board = boardSize();
  const vp = s.viewportSize;
  const p = pixelAt(s.view, vp.width / 2, vp.height / 2, board) ?? {
    x: Math.max(0, Math.min(board.width - 1, Math.floor(board.width / 2))),
    y: Math.max(0, Math.min(board.height - 1, Math.floor(board.height / 2))),
  };
  setState({ target: p, targetBy: "keyboard" });
}

/** Keyboard: move the cursor by (dx, dy) board pixels; the view follows so it stays centred. */
export function moveTarget(dx: number, dy: number): void {
  const s = getState();
  if (!s.target || !s.view) return;
  const board = boardSize();
  const x = Math.max(0, Math.min(board.width - 1, s.target.x + dx));
  const y = Math.max(0, Math.min(board.height - 1, s.target.y + dy));
  setState({ target: { x, y }, view: centerOn(x, y, s.view.zoom, board, s.viewportSize) });
}

export function clearTarget(): void {
  setState({ target: null, targetBy: null });
}

export function fitToScreen(): void {
  const s = getState();
  if (s.boardReady) setState({ view: fitView(boardSize(), s.viewportSize) });
}

/** The page's address for the current view. */
export function currentLink(): string {
  const s = getState();
  if (!s.view) return window.location.href;
  const q = withDeepLink(window.location.search, viewToLink(s.view, s.viewportSize, boardSize()));
  return `${window.location.origin}${window.location.pathname}${q}`;
}

export async function copyLink(): Promise<void> {
  const link = currentLink();
  try {
    await navigator.clipboard.writeText(link);
    toast("Link copied to the clipboard.", "success");
  } catch {
    // No clipboard permission (or not a secure context): fall back to a selected text area.
    const ta = document.createElement("textarea");
    ta.value = link;
    ta.setAttribute("readonly", "");
    ta.style.position = "fixed";
    ta.style.opacity = "0";
    document.body.appendChild(ta);
    ta.select();
    const ok = document.execCommand?.("copy") ?? false;
    ta.remove();
    toast(ok ? "Link copied to the clipboard." : `Copy this link: ${link}`, ok ? "success" : "info");
  }
}

/** Keep the address bar's ?x=&y=&zoom= following the view (debounced). Returns the unsubscribe. */
export function trackUrl(): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const unsub = useTessera.subscribe((s, prev) => {
    if (s.view === prev.view || !s.view) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      const st = getState();
      if (!st.view) return;
      const q = withDeepLink(window.location.search, viewToLink(st.view, st.viewportSize, boardSize()));
      if (q !== window.location.search) {
        window.history.replaceState(window.history.state, "", `${window.location.pathname}${q}${window.location.hash}`);
      }
    }, URL_UPDATE_DEBOUNCE_MS);
  });
  return () => {
    if (timer) clearTimeout(timer);
    unsub();
  };
}

// ------------------------------------------------------------------ debugging hook for tests

function exposeDebug(): void {
  const w = window as unknown as { __tessera?: unknown };
  w.__tessera = {
    get seq() {
      return connection?.board?.seq ?? 0;
    },
    get maxSeq() {
      return connection?.board?.maxSeq ?? 0;
    },
    get connected() {
      return connection?.connected ?? false;
    },
    get board() {
      return connection?.board ?? null;
    },
    get pending() {
      return connection?.pending.size ?? 0;
    },
    get state() {
      return getState();
    },
    /** Palette index shown at (x, y), optimistic pixels included. */
    colorAt(x: number, y: number) {
      const b = connection?.board;
      return b && b.contains(x, y) ? connection!.colorAt(y * b.width + x) : null;
    },
    /** Cut the socket as a network failure would; the client reconnects and syncs. */
    dropConnection() {
      connection?.dropSocket();
    },
    /** Main-thread time the renderer spent drawing: { flushes, totalMs, maxMs } (reset with resetRenderStats). */
    get renderStats() {
      return renderer ? { ...renderer.stats } : null;
    },
    resetRenderStats() {
      if (renderer) Object.assign(renderer.stats, { flushes: 0, totalMs: 0, maxMs: 0 });
    },
    /** Draw queued pixels now instead of on the next animation frame. */
    flush() {
      renderer?.flush();
    },
  };
}
