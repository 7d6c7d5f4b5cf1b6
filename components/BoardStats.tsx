"use client";
// A board's stats page (issue 14): top placers all time and in the last 24 hours, your own count,
// and placements per minute as an SVG bar chart (no chart library), from GET …/activity.

import "@/app/extras.css";
import { useEffect, useId, useState } from "react";
import { ACTIVITY_REFRESH_MS, type Activity, barChart, getActivity, minuteSeries, type Placer, rankOf } from "@/lib/client/activity";
import { boardPath } from "@/lib/client/api";
import { errorText, requestJson } from "@/lib/client/extras-http";
import { ACTIVITY_HOURS } from "@/lib/limits";

/** The chart's drawing box (SVG user units; the SVG itself is as wide as the page allows). */
const CHART_W = 720;
const CHART_H = 160;
const AXIS_H = 22;
const AXIS_W = 40;

export function BoardStats({ board }: { board: string }) {
  const [activity, setActivity] = useState<Activity | null>(null);
  const [title, setTitle] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loadedAt, setLoadedAt] = useState<number | null>(null);

  useEffect(() => {
    let live = true;
    const load = () => {
      getActivity(board).then(
        (a) => {
          if (!live) return;
          setActivity(a);
          setError(null);
          setLoadedAt(Date.now());
        },
        (e: unknown) => live && setError(errorText(e)),
      );
    };
    load();
    requestJson<{ board?: { title?: unknown } }>(boardPath(board, "")).then(
      (b) => live && setTitle(typeof b.board?.title === "string" ? b.board.title : null),
      () => {
        // The heading falls back to the board id.
      },
    );
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") load();
    }, ACTIVITY_REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [board]);

  const boardHref = board === "main" ? "/" : `/b/${encodeURIComponent(board)}`;
  const you = activity?.you ?? null;
  const youRank = rankOf(activity?.topAllTime ?? [], you?.user.id);

  return (
    <main className="stats-page" data-testid="stats-page" data-state={activity ? "ready" : error ? "error" : "loading"}>
      <header className="stats-head">
        <a className="btn btn-small" href={boardHref}>
          ← Back to the board
        </a>
        <h1>
          Stats <span className="muted">· {title ?? board}</span>
        </h1>
      </header>

      {error && (
        <p className="error-text" role="alert">
          Could not load the stats: {error}
        </p>
      )}
      {!activity && !error && (
        <p className="muted" role="status">
          Loading…
        </p>
      )}

      {activity && (
        <>
          <section className="stats-card stats-you" data-testid="stats-you" aria-label="Your placements">
            {you ? (
              <p>
                You (<strong>{you.user.name}</strong>) placed <strong data-testid="stats-you-count">{you.placements.toLocaleString("en-US")}</strong> pixel
                {you.placements === 1 ? "" : "s"} on this board{youRank ? ` — #${youRank} of all time` : ""}.
              </p>
            ) : (
              <p>
                <a href={boardHref}>Join the board</a> to count your own placements.
              </p>
            )}
          </section>

          <div className="stats-grid">
            <Ranking title="Top placers, all time" testId="top-all-time" list={activity.topAllTime} youId={you?.user.id} />
            <Ranking title="Top placers, last 24 hours" testId="top-24h" list={activity.top24h} youId={you?.user.id} />
          </div>

          <PerMinuteChart activity={activity} />
          {loadedAt !== null && (
            <p className="muted stats-foot">
              Updated {new Date(loadedAt).toLocaleTimeString()}; refreshed every {ACTIVITY_REFRESH_MS / 1000} s.
            </p>
          )}
        </>
      )}
    </main>
  );
}

function Ranking({ title, testId, list, youId }: { title: string; testId: string; list: Placer[]; youId?: string }) {
  const id = useId();
  return (
    <section className="stats-card" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {list.length === 0 ? (
        <p className="muted">Nobody yet.</p>
      ) : (
        <ol className="stats-ranking" data-testid={testId}>
          {list.map((p, i) => (
            <li key={p.user.id} data-user={p.user.id} className={p.user.id === youId ? "is-you" : undefined}>
              <span className="stats-rank">{i + 1}</span>
              <span className="stats-name">
                {p.user.name || p.user.id}
                {p.user.id === youId && <span className="muted"> (you)</span>}
              </span>
              <span className="stats-count" data-testid="placer-count">
                {p.placements.toLocaleString("en-US")}
              </span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function PerMinuteChart({ activity }: { activity: Activity }) {
  const id = useId();
  const series = minuteSeries(activity.perMinute, activity.from, activity.to);
  const chart = barChart(series, CHART_W, CHART_H);
  const time = (t: number) => new Date(t).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  const summary = chart.peak
    ? `${chart.total.toLocaleString("en-US")} placements in the last ${ACTIVITY_HOURS} hours; the busiest minute, ${time(chart.peak.t)}, had ${chart.peak.n}.`
    : `No placements in the last ${ACTIVITY_HOURS} hours.`;
  // Every hour is labelled while they fit; on a long window every other one.
  const every = chart.hours.length > 8 ? 2 : 1;
  return (
    <section className="stats-card" aria-labelledby={id}>
      <h2 id={id}>Placements per minute, last {ACTIVITY_HOURS} hours</h2>
      <svg
        className="stats-chart"
        data-testid="activity-chart"
        data-total={chart.total}
        viewBox={`${-AXIS_W} -8 ${CHART_W + AXIS_W + AXIS_W} ${CHART_H + AXIS_H + 8}`}
        role="img"
        aria-labelledby={`${id}-t ${id}-d`}
      >
        <title id={`${id}-t`}>Placements per minute</title>
        <desc id={`${id}-d`}>{summary}</desc>
        <line className="chart-grid" x1={0} y1={0} x2={CHART_W} y2={0} />
        <line className="chart-grid" x1={0} y1={CHART_H / 2} x2={CHART_W} y2={CHART_H / 2} />
        <line className="chart-axis" x1={0} y1={CHART_H} x2={CHART_W} y2={CHART_H} />
        <text className="chart-label" x={-6} y={4} textAnchor="end">
          {chart.max}
        </text>
        <text className="chart-label" x={-6} y={CHART_H / 2 + 4} textAnchor="end">
          {chart.max / 2}
        </text>
        <text className="chart-label" x={-6} y={CHART_H + 4} textAnchor="end">
          0
        </text>
        {chart.path && <path className="chart-bars" data-testid="activity-bars" d={chart.path} />}
        {chart.hours
          .filter((_, i) => i % every === 0)
          .map((h) => (
            <g key={h.t}>
              <line className="chart-tick" x1={h.x} y1={CHART_H} x2={h.x} y2={CHART_H + 4} />
              <text className="chart-label" x={h.x} y={CHART_H + 17} textAnchor="middle">
                {time(h.t)}
              </text>
            </g>
          ))}
      </svg>
      <p className="muted stats-summary">{summary}</p>
    </section>
  );
}
