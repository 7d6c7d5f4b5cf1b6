// The stats page's data (GET /api/boards/{id}/activity) and the pure geometry of its chart:
// placements per minute as SVG bars, with the gaps (minutes nobody placed) filled with zeros.

import type { PublicUser } from "../protocol";
import { boardPath } from "./api";
import { requestJson } from "./extras-http";

export interface Placer {
  user: PublicUser;
  placements: number;
}

export interface Activity {
  topAllTime: Placer[];
  top24h: Placer[];
  perMinute: Array<{ minute: string; placements: number }>;
  /** ISO-8601: the chart's window. */
  from: string;
  to: string;
  /** With a session: your own count on this board. */
  you: Placer | null;
}

/** The server computes a board's activity at most this often; polling faster only re-reads its cache. */
export const ACTIVITY_REFRESH_MS = 30_000;

const isPlacer = (p: unknown): p is Placer =>
  typeof p === "object" && p !== null && typeof (p as Placer).placements === "number" && typeof (p as Placer).user?.id === "string";

/** A board's activity; malformed entries are dropped rather than drawn. */
export async function getActivity(board: string): Promise<Activity> {
  const b = await requestJson<Partial<Record<keyof Activity, unknown>>>(boardPath(board, "/activity"));
  const list = (v: unknown) => (Array.isArray(v) ? v.filter(isPlacer) : []);
  return {
    topAllTime: list(b.topAllTime),
    top24h: list(b.top24h),
    perMinute: Array.isArray(b.perMinute)
      ? b.perMinute.filter((m): m is { minute: string; placements: number } => typeof m?.minute === "string" && typeof m?.placements === "number")
      : [],
    from: typeof b.from === "string" ? b.from : new Date().toISOString(),
    to: typeof b.to === "string" ? b.to : new Date().toISOString(),
    you: isPlacer(b.you) ? b.you : null,
  };
}

const MINUTE_MS = 60_000;

/** One count per minute from `from` to `to` (both floored to the minute), zero where the server listed none. */
export function minuteSeries(perMinute: Activity["perMinute"], fromIso: string, toIso: string): Array<{ t: number; n: number }> {
  const from = Math.floor(Date.parse(fromIso) / MINUTE_MS) * MINUTE_MS;
  const to = Math.floor(Date.parse(toIso) / MINUTE_MS) * MINUTE_MS;
  if (!Number.isFinite(from) || !Number.isFinite(to) || to < from) return [];
  const counts = new Map<number, number>();
  for (const m of perMinute) {
    const t = Math.floor(Date.parse(m.minute) / MINUTE_MS) * MINUTE_MS;
    if (Number.isFinite(t)) counts.set(t, (counts.get(t) ?? 0) + m.placements);
  }
  const out: Array<{ t: number; n: number }> = [];
  for (let t = from; t <= to; t += MINUTE_MS) out.push({ t, n: counts.get(t) ?? 0 });
  return out;
}

/** The smallest "round" number (1, 2, 5 × 10^k) at or above `v`, so the axis reads well. */
export function niceCeil(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export interface BarChart {
  /** One SVG path of every non-zero bar (one element however many minutes). */
  path: string;
  /** The y axis' top value. */
  max: number;
  peak: { t: number; n: number } | null;
  total: number;
  /** x positions of whole hours, for the axis labels. */
  hours: Array<{ x: number; t: number }>;
}

/** Bars for `series` in a width × height box (y grows downwards, bars stand on the bottom edge). */
export function barChart(series: Array<{ t: number; n: number }>, width: number, height: number): BarChart {
  let peak: { t: number; n: number } | null = null;
  let total = 0;
  for (const p of series) {
    total += p.n;
    if (p.n > 0 && (!peak || p.n > peak.n)) peak = p;
  }
  const max = niceCeil(peak?.n ?? 0);
  const step = series.length > 0 ? width / series.length : 0;
  // A hairline gap between bars while they are wide enough to show one.
  const bar = step > 3 ? step - 1 : step;
  const r = (v: number) => Math.round(v * 100) / 100;
  let path = "";
  const hours: BarChart["hours"] = [];
  series.forEach((p, i) => {
    const x = i * step;
    if (p.t % 3_600_000 === 0) hours.push({ x: r(x), t: p.t });
    if (p.n <= 0) return;
    const h = Math.max(1, (p.n / max) * height);
    path += `M${r(x)} ${height}h${r(bar)}v${r(-h)}h${r(-bar)}z`;
  });
  return { path, max, peak, total, hours };
}

/** 1-based rank of `userId` in a ranking, or null when not in it. */
export function rankOf(list: readonly Placer[], userId: string | null | undefined): number | null {
  if (!userId) return null;
  const i = list.findIndex((p) => p.user.id === userId);
  return i < 0 ? null : i + 1;
}
