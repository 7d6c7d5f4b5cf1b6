// Human-readable times and messages for the page.

import type { RejectCode } from "../protocol";

/** A countdown: "3.2s" under ten seconds, "12s" under a minute, then "1:05". */
export function formatCountdown(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `${(Math.ceil(s * 10) / 10).toFixed(1)}s`;
  if (s < 60) return `${Math.ceil(s)}s`;
  const whole = Math.ceil(s);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

/**
 * The tab title: "(3s) Tessera" while cooling down; "✓ Ready · Tessera" right after the cooldown
 * ended (`ready`, so a background tab tells you); "Tessera" otherwise. On a board other than main,
 * its title comes first: "(3s) Pixel club · Tessera".
 */
export function pageTitle(remainingMs: number, ready = false, boardTitle: string | null = null): string {
  const name = boardTitle ? `${boardTitle} · Tessera` : "Tessera";
  if (remainingMs > 0) return `(${Math.ceil(remainingMs / 1000)}s) ${name}`;
  return ready ? `✓ Ready · ${name}` : name;
}

/** "just now", "42 s ago", "2 min ago", "3 h ago", "5 days ago" (future times count as now). */
export function formatRelative(thenMs: number, nowMs: number): string {
  const s = Math.floor((nowMs - thenMs) / 1000);
  if (s < 5) return "just now";
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ago`;
  const d = Math.floor(h / 24);
  return d === 1 ? "1 day ago" : `${d} days ago`;
}

/** Date and time in the reader's locale, e.g. "23 Nov 2025, 14:03:27". */
export function formatAbsolute(ms: number): string {
  return new Date(ms).toLocaleString(undefined, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}

/** The toast for a refused placement. */
export function rejectText(code: RejectCode | string, retryAfterMs?: number): string {
  switch (code) {
    case "cooldown":
      return retryAfterMs !== undefined
        ? `Too soon — you can place again in ${formatCountdown(retryAfterMs)}.`
        : "Too soon — wait for your cooldown to end.";
    case "invalid_pixel":
      return "That pixel or colour is not on the board.";
    case "rate_limited":
      return "Slow down — too many placements at once.";
    case "unavailable":
      return "The canvas is temporarily unavailable — your pixel was not placed. Try again shortly.";
    case "banned":
      return "You are banned from placing pixels.";
    case "frozen":
      return "This board is frozen: nobody can place pixels on it right now.";
    default:
      return "Your pixel was not placed.";
  }
}
