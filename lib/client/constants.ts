// Browser-only tuning of the UI (gestures, zoom, toasts, recovery timers), named once with units.
// Protocol-level client limits (reconnect backoff, ping interval) live in lib/limits.ts.

/** Largest zoom: screen pixels per board pixel. */
export const MAX_ZOOM = 64;
/** The smallest zoom is this fraction of the fit-to-screen zoom. */
export const MIN_ZOOM_FIT_FRACTION = 0.5;
/** From this zoom on, a pixel grid and the hovered-pixel outline are drawn. */
export const GRID_MIN_ZOOM = 8;
/** Zoom factor of one +/- key press or toolbar button. */
export const ZOOM_STEP_FACTOR = 1.5;
/** Screen pixels moved by one arrow/WASD key press (Shift: ×4). */
export const KEY_PAN_PX = 64;

/**
 * A click or tap places only from this zoom on (screen pixels per board pixel, SPEC §7); below it
 * the click zooms in on the spot instead, so nobody places on a dot too small to see.
 */
export const PLACE_MIN_ZOOM = 4;
/** The zoom a click below PLACE_MIN_ZOOM goes to (≥ PLACE_MIN_ZOOM). */
export const PLACE_ZOOM_TARGET = 8;
/** Your own new pixels are ringed this long, so you see where they landed. */
export const RECENT_HIGHLIGHT_MS = 2_500;
/** At most this many of your recent pixels are ringed at once. */
export const RECENT_HIGHLIGHT_MAX = 8;

/** A mouse press that moves less than this many screen pixels is a click, not a drag. */
export const DRAG_THRESHOLD_PX = 4;
/** Same for a finger, which wobbles more. */
export const TOUCH_DRAG_THRESHOLD_PX = 10;
/** Holding a finger still this long asks about the pixel instead of selecting it. */
export const LONG_PRESS_MS = 500;

/**
 * The snapshot the head script prefetched is used only this soon after it was requested (a visitor
 * who spent longer on the name form gets a fresh one; either way `sync` fills any gap).
 */
export const PREFETCH_MAX_AGE_MS = 15_000;

/** Without a session (watching), the board is refreshed this often while the tab is visible. */
export const WATCH_POLL_MS = 2_000;
/** …and the online count this often. */
export const WATCH_STATS_POLL_MS = 10_000;
/**
 * A watcher asks for the placements since its board's seq, at most this many (9 bytes each); a
 * watcher further behind (its tab slept) loads the whole board instead.
 */
export const WATCH_MAX_RECORDS = 20_000;

/** While the board is frozen, the page asks this often whether it still is. */
export const BOARD_STATE_POLL_MS = 15_000;
/** A page that met another protocol reloads itself at most once per this interval. */
export const PROTOCOL_RELOAD_GUARD_MS = 60_000;

/** People fetched per page when the people list is scrolled past what it holds. */
export const PEOPLE_PAGE_USERS = 200;
/** Board list pages (the /boards page) and the switcher's "popular" boards. */
export const BOARD_LIST_PAGE = 24;
export const SWITCHER_POPULAR_BOARDS = 6;
/** The /boards page refreshes its live counts this often while visible. */
export const BOARD_LIST_REFRESH_MS = 15_000;

/**
 * While the live link is down, the page asks the server whether it answers again this often (plus
 * up to RECONNECT_PROBE_JITTER_MS, so a crowd does not come back in one instant), and reconnects as
 * soon as it does instead of waiting out the reconnect backoff.
 */
export const RECONNECT_PROBE_MS = 1_000;
export const RECONNECT_PROBE_JITTER_MS = 500;

/** The tab title says "Ready" this long after the cooldown ended while you are looking at the page. */
export const READY_TITLE_MS = 4_000;

/** Open pixel details refresh this long after someone paints over that pixel. */
export const INFO_REFRESH_MS = 250;

/** The address bar follows the view at most this often. */
export const URL_UPDATE_DEBOUNCE_MS = 300;
/** Toasts disappear after this long. */
export const TOAST_MS = 4_000;

/** A hole in the received seqs that stays open this long is filled with a `sync`. */
export const GAP_SYNC_MS = 2_000;
/** An optimistic pixel without `ack`/`reject` after this long is rolled back. */
export const PENDING_PLACE_TIMEOUT_MS = 10_000;
/** Reconnect delay after the server closed us for abuse (1008): much longer than normal backoff. */
export const ABUSE_RECONNECT_MS = 30_000;
/** Consecutive failed connection attempts after which the client gives up (state `offline`). */
export const MAX_RECONNECT_ATTEMPTS = 40;
/** No frame at all (not even `pong`) for this long means the socket is dead. */
export const SILENT_SOCKET_MS = 50_000;
/** Records buffered while the board snapshot loads; beyond this we rely on a `sync` afterwards. */
export const MAX_BUFFERED_RECORDS = 200_000;
