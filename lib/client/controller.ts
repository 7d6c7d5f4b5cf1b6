// Glue between the store, the Connection and the renderer: what the components call.
// One live session per page; browser-only (every entry point runs from effects or handlers).

import { CURSOR_MESSAGES_PER_S } from "../limits";
import { colorLabel, colorName } from "../palette";
import type { BoardInfo, ClientMessage } from "../protocol";
import {
  ApiError,
  SESSION_PATH,
  boardPath,
  createSession,
  getBoard,
  getCanvas,
  getPixel,
  getSessionInfo,
  getStats,
  placementsWatchSource,
  probeServer,
  socketUrl,
  takePrefetched,
  type CanvasSnapshot,
} from "./api";
import { BoardPoller } from "./board-poller";
import { boardFromLocation, rememberBoard } from "./boards";
import { Connection, type ConnectionEvent, type SocketLike } from "./connection";
import { useExtras } from "./extras-store";
import { CursorLayer, loadCursorPreference, saveCursorPreference } from "./cursor-layer";
import {
  BOARD_STATE_POLL_MS,
  PROTOCOL_RELOAD_GUARD_MS,
  WATCH_MAX_RECORDS,
  INFO_REFRESH_MS,
  PLACE_MIN_ZOOM,
  PLACE_ZOOM_TARGET,
  PREFETCH_MAX_AGE_MS,
  READY_TITLE_MS,
  RECENT_HIGHLIGHT_MAX,
  RECENT_HIGHLIGHT_MS,
  TOAST_MS,
  URL_UPDATE_DEBOUNCE_MS,
  WATCH_POLL_MS,
  WATCH_STATS_POLL_MS,
  ZOOM_STEP_FACTOR,
} from "./constants";
import { rejectText } from "./format";
import { loadNotifyPreference, notifyReady, requestNotifications, saveNotifyPreference } from "./notify";
import { BoardRenderer, type PixelSource } from "./renderer";
import { loadSoundPreference, playReadyChime, saveSoundPreference, unlockAudio } from "./sound";
import { getState, setState, useTessera, type TemplateState, type ToastKind } from "./store";
import { isLoadableUrl, loadStoredTemplate, normalizeTemplate, parseTemplateLink, quantize, storeTemplate, templateHeight, withTemplateLink } from "./template";
import { TemplateLayer } from "./template-layer";
import { Throttle } from "./throttle";
import {
  centerOn,
  fitView,
  initialView,
  panBy as panView,
  pixelAt,
  resizeView,
  screenToBoard,
  viewToLink,
  withDeepLink,
  zoomAt,
  type Size,
} from "./viewport";

/**
 * The board this page shows (SPEC §9): `/b/{id}` or `/` (main). Switching boards loads another
 * page, so it is fixed for the life of this module.
 */
const HERE = typeof window === "undefined" ? { id: "main", valid: true } : boardFromLocation(window.location.pathname);
const BOARD_ID = HERE.id;
setState({ boardId: BOARD_ID });

let connection: Connection | null = null;
/** Without a session: the board kept fresh over HTTP (lib/client/board-poller.ts). */
let watcher: BoardPoller | null = null;
let statsTimer: ReturnType<typeof setInterval> | null = null;
let renderer: BoardRenderer | null = null;
let canvasEl: HTMLCanvasElement | null = null;
let viewBoard: Size | null = null;
/** The next link-up is a deliberate reconnect (new name), not the end of an outage. */
let quietReconnect = false;

/** What is drawn: the live connection's board, or the watched one. */
function pixelSource(): (PixelSource & { board: { width: number; height: number; pixels: Uint8Array; seq: number; maxSeq: number; contains(x: number, y: number): boolean } | null }) | null {
  return connection ?? watcher;
}

// ------------------------------------------------------------------ toasts

let toastId = 0;
const toastTimers = new Map<number, ReturnType<typeof setTimeout>>();

/**
 * Show a short message; the same text again refreshes the visible toast instead of stacking.
 * With `countdown`, `{time}` in the text counts down to `until` and `doneText` replaces it after.
 */
function toast(text: string, kind: ToastKind = "info", countdown?: { until: number; doneText: string }): void {
  const s = getState();
  const same = s.toasts.find((t) => t.text === text);
  const id = same ? same.id : ++toastId;
  const entry = { id, kind, text, ...(countdown ? { until: countdown.until, doneText: countdown.doneText } : {}) };
  setState({ toasts: same ? s.toasts.map((t) => (t.id === id ? entry : t)) : [...s.toasts.slice(-3), entry] });
  const old = toastTimers.get(id);
  if (old) clearTimeout(old);
  let ms = kind === "error" ? TOAST_MS * 1.5 : TOAST_MS;
  // A short countdown is shown to its end, so the toast itself says "ready".
  if (countdown) ms = Math.min(TOAST_MS * 2, Math.max(ms, countdown.until - Date.now() + TOAST_MS / 3));
  toastTimers.set(id, setTimeout(() => dismissToast(id), ms));
}

export function dismissToast(id: number): void {
  const t = toastTimers.get(id);
  if (t) clearTimeout(t);
  toastTimers.delete(id);
  setState({ toasts: getState().toasts.filter((x) => x.id !== id) });
}

// ------------------------------------------------------------------ session

/**
 * Ask the server about this board and who we are: an unknown board shows "no such board"; with a
 * session the live board starts, without one the watched board and the name form.
 */
export async function checkSession(): Promise<void> {
  if (!HERE.valid) {
    setState({ boardStatus: "missing", auth: "anonymous" });
    return;
  }
  try {
    // Both were usually started by the head script already (app/layout.tsx).
    const [session, board] = await Promise.all([
      getSessionInfo(takePrefetched(SESSION_PATH, PREFETCH_MAX_AGE_MS)),
      getBoard(BOARD_ID, takePrefetched(boardPath(BOARD_ID), PREFETCH_MAX_AGE_MS)),
    ]);
    if (!board) {
      setState({ boardStatus: "missing", auth: session ? "authenticated" : "anonymous", user: session?.user ?? null });
      return;
    }
    setBoard(board);
    // Start loading the board now rather than after React has rendered the whole page for it.
    if (session) {
      startLive();
      setState({ auth: "authenticated", user: session.user, moderator: session.moderator });
    } else {
      setState({ auth: "anonymous", user: null, moderator: false, nameFormOpen: true, joinReason: null });
      startWatch();
    }
  } catch {
    setState({ auth: "unreachable" });
  }
}

/** The board's description changed (first read, a welcome, a freeze): keep it, and note the visit. */
function setBoard(board: BoardInfo): void {
  const before = getState().board;
  setState({ board, boardStatus: "ok" });
  if (!before || before.title !== board.title) {
    try {
      rememberBoard(window.localStorage, { id: board.id, title: board.title });
    } catch {
      // No storage: the switcher just has no recent boards.
    }
  }
  if (before?.state === "frozen" && board.state === "open") toast("The board is open again: you can place pixels.", "success");
  watchBoardState(board.state === "frozen");
}

/** Read the board's description again and take its state. */
function recheckBoard(): void {
  getBoard(BOARD_ID).then(
    (b) => {
      if (b && getState().board?.state !== b.state) setBoard(b);
    },
    () => {},
  );
}

let boardStateTimer: ReturnType<typeof setInterval> | null = null;

/**
 * While the board is frozen, ask now and then whether it still is (the server tells a connected
 * page about a freeze only through welcome and rejects), so placing comes back by itself.
 */
function watchBoardState(frozen: boolean): void {
  if (!frozen) {
    if (boardStateTimer !== null) clearInterval(boardStateTimer);
    boardStateTimer = null;
    return;
  }
  if (boardStateTimer !== null) return;
  boardStateTimer = setInterval(() => {
    if (document.visibilityState === "visible") recheckBoard();
  }, BOARD_STATE_POLL_MS);
}

/** Create a session, then go live on the board already shown. Returns the server's error message, or null on success. */
export async function signIn(name: string): Promise<string | null> {
  try {
    const user = await createSession(name);
    const snapshot = watchedSnapshot();
    stopWatch();
    setState({ auth: "authenticated", user, moderator: false, nameFormOpen: false, joinReason: null, banned: false });
    startLive(snapshot);
    return null;
  } catch (e) {
    if (e instanceof ApiError) return e.code === "rate_limited" ? "Too many new names from this address — try again in a minute." : e.message;
    return "Could not reach the server. Check your connection and try again.";
  }
}

/** "Just watch": close the name form and keep looking. */
export function justWatch(): void {
  setState({ nameFormOpen: false, joinReason: null, pendingPlace: null });
}

/** Open the name form (the watcher's "Join" button). */
export function openNameForm(reason: string | null = null): void {
  setState({ nameFormOpen: true, joinReason: reason });
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
  setState({ user, moderator: false });
  quietReconnect = true;
  connection?.reconnect();
  toast(before && before.name !== user.name ? `You are now ${user.name}.` : `Signed in again as ${user.name}.`, "success");
  return null;
}

// ------------------------------------------------------------------ live board

function onEvent(e: ConnectionEvent): void {
  switch (e.type) {
    case "link": {
      const s = getState();
      const wasDown = s.hadLive && (s.link === "reconnecting" || s.link === "offline");
      setState({ link: e.state, browserOffline: e.browserOffline, retryAt: e.retryAt, ...(e.state === "live" ? { hadLive: true } : {}) });
      // Cursors are volatile: what was drawn before a drop is not where people are now.
      if (e.state !== "live") cursorLayer.clear();
      if (e.state === "live") {
        if (wasDown && !quietReconnect) toast("Back online — the board is up to date.", "success");
        // A new socket knows nothing of our view: tell it, so other people's cursors come.
        sendCurrentView(true);
        quietReconnect = false;
        const p = getState().pendingPlace;
        if (p) {
          // The pixel a watcher clicked before choosing a name.
          setState({ pendingPlace: null, selectedColor: p.color });
          placeAt(p.x, p.y);
        }
      }
      return;
    }
    case "welcome": {
      const m = e.message;
      const s = getState();
      const paletteChanged = m.palette.length !== s.palette.length || m.palette.some((c, i) => c !== s.palette[i]);
      if (m.board && typeof m.board === "object") {
        const known = getState().board;
        if (known?.state === "frozen" && m.board.state !== "frozen") {
          // We saw the board frozen (its description, or a reject) and this welcome says open: ask
          // the board itself before placing is offered again, whichever of the two is older.
          setBoard({ ...m.board, state: "frozen" });
          recheckBoard();
        } else {
          setBoard(m.board);
        }
      }
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
      setState({ users: e.users, usersTotal: e.total });
      return;
    case "cursors":
      if (getState().showCursors) cursorLayer.update(e.cursors, e.gone);
      return;
    case "banned":
      becomeBanned();
      return;
    case "protocol_mismatch":
      reloadForProtocol(e.protocol);
      return;
    case "cooldown":
      setState({ cooldownUntil: e.until, ...(e.until > Date.now() ? { readyTitle: false } : {}) });
      scheduleReadySignal(e.until);
      return;
    case "placed":
      return;
    case "rejected": {
      if (e.ref) setState({ recent: getState().recent.filter((r) => r.ref !== e.ref) });
      const b = getState().board;
      if (e.code === "frozen" && b && b.state !== "frozen") setBoard({ ...b, state: "frozen" });
      if (e.code === "banned") setState({ banned: true });
      toast(rejectText(e.code, e.retryAfterMs), "error");
      return;
    }
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
      setState({ auth: "anonymous", user: null, nameFormOpen: true, joinReason: "Your session has ended: choose a name to go on placing." });
      startWatch();
      return;
  }
}

let readyTimer: ReturnType<typeof setTimeout> | null = null;

/**
 * When the cooldown ends: note it (the badge pulses), say "Ready" in the tab title until you have
 * seen the page, chime if you asked for sound, and notify if you asked for that and are elsewhere.
 */
function scheduleReadySignal(until: number): void {
  if (readyTimer !== null) clearTimeout(readyTimer);
  readyTimer = null;
  const ms = until - Date.now();
  if (ms <= 0) return;
  readyTimer = setTimeout(() => {
    readyTimer = null;
    setState({ readyAt: Date.now(), readyTitle: true });
    whenSeen(() => setTimeout(() => setState({ readyTitle: false }), READY_TITLE_MS));
    const s = getState();
    if (s.soundOn) playReadyChime();
    if (s.notifyOn && !pageInView()) notifyReady();
  }, ms);
}

/** The page is on screen and has the focus: the user sees the badge, no need to call them. */
function pageInView(): boolean {
  return document.visibilityState === "visible" && document.hasFocus();
}

/** Run `fn` once the user looks at the page (now, if they already do). */
function whenSeen(fn: () => void): void {
  if (pageInView()) return fn();
  const check = () => {
    if (!pageInView()) return;
    window.removeEventListener("focus", check);
    document.removeEventListener("visibilitychange", check);
    fn();
  };
  window.addEventListener("focus", check);
  document.addEventListener("visibilitychange", check);
}

/** Turn the "ready" browser notification on (asks the browser's permission) or off. Call from a user gesture. */
export async function setNotify(on: boolean): Promise<void> {
  if (!on) {
    saveNotifyPreference(false);
    setState({ notifyOn: false });
    return;
  }
  const answer = await requestNotifications();
  if (answer === "granted") {
    saveNotifyPreference(true);
    setState({ notifyOn: true });
    toast("You will get a notification when you can place again.", "success");
  } else {
    setState({ notifyOn: false });
    toast(
      answer === "unsupported" ? "This browser has no notifications." : "Notifications are blocked for this site: allow them in the browser's site settings.",
      "error",
    );
  }
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

function newRenderer(source: PixelSource): void {
  renderer?.destroy();
  renderer = new BoardRenderer(source, getState().palette);
  renderer.onFullPaint = (canvas) => {
    boardPainted = true;
    if (canvas.style.visibility !== "hidden") markBoardShown();
    templateLayer?.invalidateAll();
  };
  renderer.attach(canvasEl);
  templateLayer?.setSource(source);
}

/**
 * Connect (idempotent): snapshot, socket, renderer. `snapshot`: the board a watcher already has
 * (used instead of downloading it again; `sync` fills in what happened since).
 */
function startLive(snapshot?: CanvasSnapshot | null): void {
  if (connection) return;
  let given = snapshot ?? null;
  const conn = new Connection(
    {
      wsUrl: socketUrl(window.location, BOARD_ID),
      // SocketLike's handlers take a narrower event than the DOM's, so a cast is needed at this one seam.
      createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
      // The first snapshot may already be here (watched) or on its way (the page's head script).
      loadCanvas: () => {
        const s = given;
        given = null;
        return s ? Promise.resolve(s) : getCanvas(BOARD_ID, takePrefetched(boardPath(BOARD_ID, "/canvas"), PREFETCH_MAX_AGE_MS));
      },
      checkSession: async () => (await getSessionInfo()) !== null,
      probe: () => probeServer(BOARD_ID),
    },
    { event: onEvent, pixel: onPixel },
  );
  connection = conn;
  setState({ soundOn: loadSoundPreference(), notifyOn: loadNotifyPreference() });
  newRenderer(conn);
  window.addEventListener("online", onOnline);
  window.addEventListener("offline", onOffline);
  if (!navigator.onLine) conn.setBrowserOnline(false);
  conn.start();
  startCursors();
  loadTemplateOnce();
  exposeDebug();
}

function stopLive(): void {
  if (readyTimer !== null) clearTimeout(readyTimer);
  readyTimer = null;
  stopCursors();
  connection?.stop();
  renderer?.destroy();
  connection = null;
  renderer = null;
  window.removeEventListener("online", onOnline);
  window.removeEventListener("offline", onOffline);
}

function onVisibility(): void {
  watcher?.visibilityChanged();
  if (document.visibilityState === "visible" && watcher) void refreshWatchStats();
}

/** Watch without a session: the board over HTTP while the tab is visible, and the online count. */
function startWatch(): void {
  if (watcher || connection) return;
  const w = new BoardPoller(
    {
      // The head script may have started the first download already.
      source: placementsWatchSource(BOARD_ID, WATCH_MAX_RECORDS, () => takePrefetched(boardPath(BOARD_ID, "/canvas"), PREFETCH_MAX_AGE_MS)),
      intervalMs: WATCH_POLL_MS,
      isVisible: () => document.visibilityState === "visible",
    },
    {
      board: (b) => {
        if (!getState().boardReady) mark(MARK_SNAPSHOT);
        setState({ width: b.width, height: b.height, boardReady: true });
        renderer?.invalidateAll();
        ensureView();
      },
      redraw: () => renderer?.invalidateAll(),
      pixel: onPixel,
      status: (ok) => setState({ link: ok ? "live" : navigator.onLine ? "reconnecting" : "offline", browserOffline: !navigator.onLine, retryAt: null }),
    },
  );
  watcher = w;
  newRenderer(w);
  document.addEventListener("visibilitychange", onVisibility);
  w.start();
  void refreshWatchStats();
  statsTimer = setInterval(() => {
    if (document.visibilityState === "visible") void refreshWatchStats();
  }, WATCH_STATS_POLL_MS);
  loadTemplateOnce();
  exposeDebug();
}

async function refreshWatchStats(): Promise<void> {
  try {
    const st = await getStats(BOARD_ID);
    if (watcher) setState({ activeUsers: st.activeUsers, users: st.users, usersTotal: st.total, scope: null });
  } catch {
    // The board poll reports the outage; the count just stays as it was (shown as stale).
  }
}

function stopWatch(): void {
  watcher?.stop();
  watcher = null;
  if (statsTimer !== null) clearInterval(statsTimer);
  statsTimer = null;
  document.removeEventListener("visibilitychange", onVisibility);
}

/** The watched board as a snapshot for the live connection, or null. */
function watchedSnapshot(): CanvasSnapshot | null {
  const b = watcher?.board;
  return b ? { bytes: b.pixels.slice(), seq: b.seq, width: b.width, height: b.height } : null;
}

/** "Retry now": reconnect the live link, or ask again for the watched board. */
export function retryConnection(): void {
  connection?.retryNow();
  watcher?.pollNow();
}

// ------------------------------------------------------------------ banned, protocol

/** Closed with 4003 (SPEC §12): no reconnecting; the board stays in view, read-only. */
function becomeBanned(): void {
  setState({ banned: true, pendingPlace: null, target: null, targetBy: null });
  stopLive();
  startWatch();
}

const PROTOCOL_RELOAD_KEY = "tessera.protocolReloadAt";

/**
 * The server speaks another protocol (a deploy happened): reload to get the page that matches.
 * Once per PROTOCOL_RELOAD_GUARD_MS only, so a page and a server that keep disagreeing (a cached
 * page, a half-finished rollout) do not reload forever: the second time the page says so instead.
 */
function reloadForProtocol(protocol: number): void {
  stopLive();
  let last = Number.NaN;
  try {
    last = Number(window.sessionStorage.getItem(PROTOCOL_RELOAD_KEY) ?? 0);
    if (!(Date.now() - last < PROTOCOL_RELOAD_GUARD_MS)) {
      window.sessionStorage.setItem(PROTOCOL_RELOAD_KEY, String(Date.now()));
      window.location.reload();
      return;
    }
  } catch {
    // No session storage: a reload could not tell it already tried, so do not reload at all.
  }
  setState({ protocolMismatch: protocol });
}

// ------------------------------------------------------------------ live cursors (SPEC §11)

const cursorLayer = new CursorLayer();
/** `view` and `cursor` each go out at most this often (SPEC §11: 10 a second). */
const CURSOR_SEND_INTERVAL_MS = 1000 / CURSOR_MESSAGES_PER_S;
type ViewRect = Omit<Extract<ClientMessage, { type: "view" }>, "type">;
/** A view no cursor can be in: sent while cursors are hidden, so the server sends us none. */
const NO_VIEW: ViewRect = { x0: -1, y0: -1, x1: -1, y1: -1 };
const sameRect = (a: ViewRect, b: ViewRect) => a.x0 === b.x0 && a.y0 === b.y0 && a.x1 === b.x1 && a.y1 === b.y1;

const viewThrottle = new Throttle<ViewRect>({
  intervalMs: CURSOR_SEND_INTERVAL_MS,
  send: (r) => void connection?.sendVolatile({ type: "view", ...r }),
  equals: sameRect,
});
const cursorThrottle = new Throttle<{ x: number | null; y: number | null }>({
  intervalMs: CURSOR_SEND_INTERVAL_MS,
  send: (p) => void connection?.sendVolatile({ type: "cursor", x: p.x, y: p.y }),
  equals: (a, b) => a.x === b.x && a.y === b.y,
});
let stopCursorTracking: (() => void) | null = null;

/** The board pixels the viewport shows (inclusive, clamped to the board), or null before the first view. */
function visibleRect(): ViewRect | null {
  const s = getState();
  if (!s.view || s.width <= 0 || s.height <= 0 || s.viewportSize.width <= 0) return null;
  const a = screenToBoard(s.view, 0, 0);
  const b = screenToBoard(s.view, s.viewportSize.width, s.viewportSize.height);
  const cx = (v: number) => Math.max(0, Math.min(s.width - 1, Math.floor(v)));
  const cy = (v: number) => Math.max(0, Math.min(s.height - 1, Math.floor(v)));
  return { x0: cx(a.x), y0: cy(a.y), x1: cx(b.x), y1: cy(b.y) };
}

/** Tell the server what we look at (`fresh`: a new socket, which knows nothing yet). */
function sendCurrentView(fresh: boolean): void {
  if (fresh) {
    viewThrottle.reset();
    cursorThrottle.reset();
  }
  const r = getState().showCursors ? visibleRect() : NO_VIEW;
  if (r) viewThrottle.push(r);
}

function startCursors(): void {
  if (stopCursorTracking) return;
  setState({ showCursors: loadCursorPreference() });
  cursorLayer.setView(getState().view);
  stopCursorTracking = useTessera.subscribe((s, prev) => {
    if (s.view !== prev.view || s.viewportSize !== prev.viewportSize || s.width !== prev.width) {
      cursorLayer.setView(s.view);
      sendCurrentView(false);
    }
    // Our own pointer, for the others (the hovered board pixel; null off the board).
    if (s.hover !== prev.hover) cursorThrottle.push(s.hover ? { x: s.hover.x, y: s.hover.y } : { x: null, y: null });
  });
}

function stopCursors(): void {
  stopCursorTracking?.();
  stopCursorTracking = null;
  viewThrottle.cancel();
  cursorThrottle.cancel();
  cursorLayer.clear();
}

/** Show or hide other people's cursors (kept for next time). */
export function setShowCursors(on: boolean): void {
  saveCursorPreference(on);
  setState({ showCursors: on });
  if (!on) cursorLayer.clear();
  sendCurrentView(false);
}

/** The cursor layer's element mounted or unmounted. */
export function attachCursorLayer(el: HTMLElement | null): void {
  cursorLayer.attach(el);
}

// ------------------------------------------------------------------ performance marks

/** Marks on the page's performance timeline (read by e2e/performance.spec.ts and DevTools). */
const MARK_SNAPSHOT = "tessera:snapshot-loaded";
const MARK_BOARD_SHOWN = "tessera:board-shown";
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

let recentId = 0;

/**
 * Place the selected colour at (x, y) (optimistically; the server settles it). A visitor without a
 * session is asked for a name first; the pixel is placed once they have joined.
 */
export function placeAt(x: number, y: number): void {
  const s = getState();
  // The timelapse shows the past over the live board: a pixel placed now would land on a board the
  // user cannot see (its layer already swallows clicks; this covers the keyboard and the place button).
  if (useExtras.getState().timelapseOpen) {
    toast("You are looking at the past: close the timelapse to place.", "info");
    return;
  }
  if (s.banned) {
    toast("You are banned: you can watch this board but not place pixels.", "error");
    return;
  }
  if (s.board?.state === "frozen") {
    toast("This board is frozen: nobody can place pixels on it right now.", "error");
    return;
  }
  if (s.auth !== "authenticated") {
    setState({ pendingPlace: { x, y, color: s.selectedColor } });
    openNameForm(`Choose a name to place your pixel at (${x}, ${y}).`);
    return;
  }
  const conn = connection;
  if (!conn) return;
  const r = conn.place(x, y, s.selectedColor);
  if (r.ok) {
    // A tapped target is used up; the keyboard cursor stays where it is for the next pixel.
    if (getState().targetBy !== "keyboard") setState({ target: null, targetBy: null });
    markRecent(x, y, r.ref);
    return;
  }
  switch (r.reason) {
    case "cooldown":
      toast("Cooling down — {time} left.", "info", { until: Date.now() + r.remainingMs, doneText: "Ready — you can place a pixel now." });
      return;
    case "busy":
      toast("Still placing your last pixel…", "info");
      return;
    case "offline":
      toast("Not connected — placing is paused until the connection is back.", "error");
      return;
    case "invalid":
      return;
  }
}

/** Ring your new pixel for a moment, so you see where it landed. */
function markRecent(x: number, y: number, ref: string): void {
  const id = ++recentId;
  setState({ recent: [...getState().recent.slice(-(RECENT_HIGHLIGHT_MAX - 1)), { id, x, y, ref }] });
  setTimeout(() => setState({ recent: getState().recent.filter((r) => r.id !== id) }), RECENT_HIGHLIGHT_MS);
}

/**
 * A click (or tap) on board pixel (x, y) at viewport point (sx, sy): places — or, too far out to
 * see the pixel (SPEC §7: under PLACE_MIN_ZOOM), zooms in on the spot and places nothing.
 * Returns true when it placed (or asked to).
 */
export function clickToPlace(x: number, y: number, sx: number, sy: number): boolean {
  const v = getState().view;
  if (!v) return false;
  if (v.zoom < PLACE_MIN_ZOOM) {
    zoomToPlace(sx, sy);
    return false;
  }
  placeAt(x, y);
  return true;
}

/** Zoom in around viewport point (sx, sy) to a zoom where single pixels can be placed. */
export function zoomToPlace(sx: number, sy: number): void {
  const s = getState();
  if (!s.view) return;
  const vp = s.viewportSize;
  setState({ view: zoomAt(s.view, Math.max(PLACE_ZOOM_TARGET, s.view.zoom), sx, sy, boardSize(), vp) });
}

let inspectGen = 0;
let inspectRefresh: ReturnType<typeof setTimeout> | null = null;

/** A pixel's shown colour may have changed: draw it, and refresh its details if they are open. */
function onPixel(index: number): void {
  renderer?.invalidate(index);
  templateLayer?.invalidate(index);
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
    const d = await getPixel(BOARD_ID, x, y);
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
        user: d.user ?? undefined,
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
  const src = pixelSource();
  const board = src?.board;
  if (!src || !board || !board.contains(x, y)) return;
  const color = src.colorAt(y * board.width + x);
  setState({ selectedColor: color, tool: "place" });
  const hex = getState().palette[color];
  toast(`Picked ${hex ? colorLabel(hex) : "a colour"} from (${x}, ${y}).`, "success");
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

/** What a screen reader hears about the keyboard cursor at (x, y). */
function cursorAnnouncement(x: number, y: number): string {
  const src = pixelSource();
  const b = src?.board;
  const hex = b && b.contains(x, y) ? getState().palette[src!.colorAt(y * b.width + x)] : undefined;
  const there = hex ? `, ${colorName(hex) ?? hex}` : "";
  return `Cursor at ${x}, ${y}${there}.`;
}

/**
 * Keyboard: put the cursor (target) on the pixel at the viewport centre, zooming in so that it can
 * be seen (the same rule as for clicks).
 */
export function targetCentre(): void {
  const s = getState();
  if (!s.view || !s.boardReady) return;
  const board = boardSize();
  const vp = s.viewportSize;
  const p = pixelAt(s.view, vp.width / 2, vp.height / 2, board) ?? {
    x: Math.max(0, Math.min(board.width - 1, Math.floor(board.width / 2))),
    y: Math.max(0, Math.min(board.height - 1, Math.floor(board.height / 2))),
  };
  const view = s.view.zoom < PLACE_MIN_ZOOM ? centerOn(p.x, p.y, PLACE_ZOOM_TARGET, board, vp) : s.view;
  setState({ target: p, targetBy: "keyboard", view, announcement: `${cursorAnnouncement(p.x, p.y)} Arrow keys move it, Enter places, Escape hides it.` });
}

/** Keyboard: move the cursor by (dx, dy) board pixels; the view follows so it stays centred. */
export function moveTarget(dx: number, dy: number): void {
  const s = getState();
  if (!s.target || !s.view) return;
  const board = boardSize();
  const x = Math.max(0, Math.min(board.width - 1, s.target.x + dx));
  const y = Math.max(0, Math.min(board.height - 1, s.target.y + dy));
  setState({ target: { x, y }, view: centerOn(x, y, s.view.zoom, board, s.viewportSize), announcement: cursorAnnouncement(x, y) });
}

export function clearTarget(): void {
  setState({ target: null, targetBy: null });
}

export function fitToScreen(): void {
  const s = getState();
  if (s.boardReady) setState({ view: fitView(boardSize(), s.viewportSize) });
}

/** The page's address for the current view. */
function currentLink(): string {
  const s = getState();
  if (!s.view) return window.location.href;
  const q = withTemplateLink(withDeepLink(window.location.search, viewToLink(s.view, s.viewportSize, boardSize())), s.template);
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
    if ((s.view === prev.view && s.template === prev.template) || !s.view) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      const st = getState();
      if (!st.view) return;
      const q = withTemplateLink(withDeepLink(window.location.search, viewToLink(st.view, st.viewportSize, boardSize())), st.template);
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

// ------------------------------------------------------------------ template overlay

let templateLayer: TemplateLayer | null = null;
let templateLoaded = false;
let templateGen = 0;
/** The last decoded template image, so moving it or changing its opacity never reloads it. */
let templateCache: { key: string; size: { width: number; height: number }; indices: Int16Array | null; image: HTMLImageElement } | null = null;

function layer(): TemplateLayer {
  if (!templateLayer) {
    const src = pixelSource();
    templateLayer = new TemplateLayer(src ?? { board: null, colorAt: () => 0 }, getState().palette);
    templateLayer.onDrawn = (n) => {
      if (getState().templateMismatches !== n) setState({ templateMismatches: n });
    };
  }
  return templateLayer;
}

/** The template's canvas mounted or unmounted. */
export function attachTemplateCanvas(el: HTMLCanvasElement | null): void {
  layer().attach(el);
}

/** React gave the template canvas its size: draw it. */
export function templateCanvasResized(): void {
  templateLayer?.invalidateAll();
}

/** At start: the template of the page address (a shared link), else the one kept for this board. */
function loadTemplateOnce(): void {
  if (templateLoaded) return;
  templateLoaded = true;
  const fromLink = parseTemplateLink(window.location.search, window.location.origin);
  const t = fromLink ?? loadStoredTemplate(BOARD_ID, safeStorage(), window.location.origin);
  if (!t) return;
  if (fromLink) storeTemplate(BOARD_ID, fromLink, safeStorage());
  setState({ template: t });
  void renderTemplate(t);
}

function safeStorage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

/** Change the template (null removes it): kept for this board, shown at once. */
export function setTemplate(next: TemplateState | null): void {
  const t = next ? normalizeTemplate(next) : null;
  const before = getState().template;
  setState({ template: t, ...(t ? {} : { templateSize: null, templateNote: null, templateMismatches: null }) });
  if (!storeTemplate(BOARD_ID, t, safeStorage()) && t?.kind === "file") {
    toast("This image is too big to keep on this device: it is shown until you close the page.", "info");
  }
  const onlyMoved = before && t && before.src === t.src && before.width === t.width && before.hidden === t.hidden && before.mismatchOnly === t.mismatchOnly;
  if (onlyMoved && templateCache && templateCache.indices && (before.x !== t.x || before.y !== t.y)) {
    layer().setTemplate({ indices: templateCache.indices, ...templateCache.size, x: t.x, y: t.y }, t.mismatchOnly);
    return;
  }
  if (onlyMoved && before.x === t.x && before.y === t.y) return; // opacity: CSS only
  void renderTemplate(t);
}

/** Start a template from an image the page may load (https, or this site); placed at the view's centre. */
export async function loadTemplateUrl(raw: string): Promise<string | null> {
  const url = raw.trim();
  if (!isLoadableUrl(url, window.location.origin)) return "Use an https:// address of an image (PNG, GIF, WebP, JPEG).";
  return startTemplate(new URL(url, window.location.origin).href, "url", url);
}

/** Start a template from an image file (kept on this device only). */
export async function loadTemplateFile(file: File): Promise<string | null> {
  if (!file.type.startsWith("image/")) return "That file is not an image.";
  const dataUrl = await new Promise<string | null>((resolve) => {
    const r = new FileReader();
    r.onload = () => resolve(typeof r.result === "string" ? r.result : null);
    r.onerror = () => resolve(null);
    r.readAsDataURL(file);
  });
  if (!dataUrl) return "The file could not be read.";
  return startTemplate(dataUrl, "file", file.name);
}

async function startTemplate(src: string, kind: "url" | "file", label: string): Promise<string | null> {
  let img: HTMLImageElement;
  try {
    img = (await loadImage(src, kind)).image;
  } catch {
    return kind === "url" ? "The image could not be loaded from that address." : "The file is not an image this browser can show.";
  }
  const s = getState();
  const board = boardSize();
  const width = Math.min(img.naturalWidth, board.width || img.naturalWidth);
  const height = templateHeight(width, img.naturalWidth, img.naturalHeight);
  const c = s.view ? pixelAt(s.view, s.viewportSize.width / 2, s.viewportSize.height / 2, board) : null;
  const x = c ? Math.max(0, c.x - Math.floor(width / 2)) : 0;
  const y = c ? Math.max(0, c.y - Math.floor(height / 2)) : 0;
  setTemplate({ src, kind, label, x, y, width, opacity: 0.6, mismatchOnly: false, hidden: false });
  return null;
}

/** Load an image; cross-origin ones with CORS when the host allows it (so its pixels can be read). */
async function loadImage(src: string, kind: "url" | "file"): Promise<{ image: HTMLImageElement; readable: boolean }> {
  const crossOrigin = kind === "url" && new URL(src, window.location.origin).origin !== window.location.origin;
  const attempt = async (cors: boolean) => {
    const img = new Image();
    if (cors) img.crossOrigin = "anonymous";
    img.decoding = "async";
    img.src = src;
    await img.decode();
    return img;
  };
  if (!crossOrigin) return { image: await attempt(false), readable: true };
  try {
    return { image: await attempt(true), readable: true };
  } catch {
    // The host sends no CORS headers: the image can still be shown, but not read.
    return { image: await attempt(false), readable: false };
  }
}

/** Decode, scale and match a template to the palette, then hand it to its layer. */
async function renderTemplate(t: TemplateState | null): Promise<void> {
  const gen = ++templateGen;
  const l = layer();
  if (!t || t.hidden) {
    l.setTemplate(null, false);
    setState({ templateSize: null, templateMismatches: null });
    return;
  }
  try {
    const key = `${t.src.length}:${t.src.slice(0, 256)}:${t.src.slice(-64)}:${t.width}`;
    let cached = templateCache?.key === key ? templateCache : null;
    if (!cached) {
      const { image, readable } = await loadImage(t.src, t.kind);
      if (gen !== templateGen) return;
      const width = t.width > 0 ? t.width : image.naturalWidth;
      const height = templateHeight(width, image.naturalWidth, image.naturalHeight);
      let indices: Int16Array | null = null;
      if (readable && width > 0 && height > 0) {
        const c = document.createElement("canvas");
        c.width = width;
        c.height = height;
        const ctx = c.getContext("2d", { willReadFrequently: true })!;
        // Nearest-neighbour: a pixel-art template must not be blurred into colours it never had.
        ctx.imageSmoothingEnabled = false;
        ctx.drawImage(image, 0, 0, width, height);
        indices = quantize(ctx.getImageData(0, 0, width, height).data, getState().palette);
      }
      cached = { key, size: { width, height }, indices, image };
      templateCache = cached;
    }
    setState({
      templateSize: cached.size,
      templateNote: cached.indices
        ? null
        : "This image's server does not let pages read its pixels (no CORS), so it is shown as it is: colours are not matched to the palette and mismatches can't be found.",
    });
    if (cached.indices) l.setTemplate({ indices: cached.indices, ...cached.size, x: t.x, y: t.y }, t.mismatchOnly);
    else l.setImage(cached.image, cached.size.width, cached.size.height);
  } catch {
    if (gen !== templateGen) return;
    l.setTemplate(null, false);
    setState({ templateSize: null, templateNote: "The template image could not be loaded." });
  }
}

// ------------------------------------------------------------------ debugging hook for tests

function exposeDebug(): void {
  const w = window as unknown as { __tessera?: unknown };
  w.__tessera = {
    get seq() {
      return pixelSource()?.board?.seq ?? 0;
    },
    get maxSeq() {
      return pixelSource()?.board?.maxSeq ?? 0;
    },
    get connected() {
      return connection?.connected ?? false;
    },
    /** "live" (a session and a socket) or "watch" (no session: polling). */
    get mode() {
      return connection ? "live" : watcher ? "watch" : "none";
    },
    /** A watcher's poll is on its way or planned (false while its tab is hidden). */
    get watchPolling() {
      return watcher?.active ?? false;
    },
    /** Reconnects started because the server was seen answering again (lib/client/connection.ts). */
    get probeReconnects() {
      return connection?.probeReconnects ?? 0;
    },
    get board() {
      return pixelSource()?.board ?? null;
    },
    get pending() {
      return connection?.pending.size ?? 0;
    },
    get state() {
      return getState();
    },
    /** Palette index shown at (x, y), optimistic pixels included. */
    colorAt(x: number, y: number) {
      const src = pixelSource();
      const b = src?.board;
      return b && b.contains(x, y) ? src!.colorAt(y * b.width + x) : null;
    },
    /** Template pixels the board does not match yet (null without a template). */
    get templateMismatches() {
      return templateLayer && getState().template ? templateLayer.mismatches : null;
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
      if (templateLayer) Object.assign(templateLayer.stats, { flushes: 0, totalMs: 0, maxMs: 0 });
    },
    /** Main-thread time the template layer spent drawing (null without a template). */
    get templateRenderStats() {
      return templateLayer && getState().template ? { ...templateLayer.stats } : null;
    },
    get boardId() {
      return BOARD_ID;
    },
    /** Ids of the other people's cursors drawn now. */
    get cursors() {
      return cursorLayer.ids();
    },
    /** Main-thread time the cursor layer spent placing cursors: { frames, totalMs, maxMs }. */
    get cursorStats() {
      return { ...cursorLayer.stats };
    },
    resetCursorStats() {
      Object.assign(cursorLayer.stats, { frames: 0, totalMs: 0, maxMs: 0 });
    },
    /** Draw queued pixels now instead of on the next animation frame. */
    flush() {
      renderer?.flush();
      templateLayer?.flush();
    },
  };
}
