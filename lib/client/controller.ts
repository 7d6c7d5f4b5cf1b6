// Glue between the store, the Connection and the renderer: what the components call.
// One live session per page; browser-only (every entry point runs from effects or handlers).

import { ApiError, createSession, getCanvas, getPixel, getSession, socketUrl } from "./api";
import { Connection, type ConnectionEvent, type SocketLike } from "./connection";
import { TOAST_MS, URL_UPDATE_DEBOUNCE_MS, ZOOM_STEP_FACTOR } from "./constants";
import { formatCountdown, rejectText } from "./format";
import { BoardRenderer } from "./renderer";
import { getState, setState, useTessera, type ToastKind } from "./store";
import {
  clampPan,
  fitView,
  initialView,
  panBy as panView,
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
    const user = await getSession();
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
      loadCanvas: getCanvas,
      checkSession: async () => (await getSession()) !== null,
    },
    { event: onEvent, pixel: (i) => renderer?.invalidate(i) },
  );
  connection = conn;
  renderer = new BoardRenderer(conn, getState().palette);
  renderer.attach(canvasEl);
  window.addEventListener("online", onOnline);
  window.addEventListener("offline", onOffline);
  if (!navigator.onLine) conn.setBrowserOnline(false);
  conn.start();
  exposeDebug();
}

export function stopLive(): void {
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
    setState({ target: null });
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

/** Show who placed (x, y) and when. */
export async function inspect(x: number, y: number): Promise<void> {
  const gen = ++inspectGen;
  setState({ pixelInfo: { x, y, status: "loading" } });
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
    /** Draw queued pixels now instead of on the next animation frame. */
    flush() {
      renderer?.flush();
    },
  };
}
