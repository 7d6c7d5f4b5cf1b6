"use client";
// The board page's extra tools, mounted once inside the stage: a small tool bar (timelapse, stats,
// moderation), the history of the inspected pixel, and — loaded only when opened — the
// moderation panel and the timelapse, so they cost nothing to a visitor who never opens them.

import "@/app/extras.css";
import dynamic from "next/dynamic";
import { useEffect } from "react";
import { getSessionRole } from "@/lib/client/extras-http";
import { useExtras } from "@/lib/client/extras-store";
import { parseMoment } from "@/lib/client/history";
import { useTessera } from "@/lib/client/store";
import { PixelHistory } from "./PixelHistory";

const ModPanel = dynamic(() => import("./ModPanel").then((m) => m.ModPanel), { ssr: false });
const Timelapse = dynamic(() => import("./Timelapse").then((m) => m.Timelapse), { ssr: false });

/** The stats page of a board: `/stats` for main, `/b/{id}/stats` for the others. */
function statsHref(board: string): string {
  return board === "main" ? "/stats" : `/b/${encodeURIComponent(board)}/stats`;
}

export function BoardExtras({ board }: { board: string }) {
  const userId = useTessera((s) => s.user?.id ?? null);
  const moderator = useExtras((s) => s.moderator);
  const modOpen = useExtras((s) => s.modOpen);
  const timelapseOpen = useExtras((s) => s.timelapseOpen);

  // Whether this user moderates: asked again when the user changes and when the tab comes back
  // (a grant made meanwhile shows without a reload).
  useEffect(() => {
    let live = true;
    const check = () => {
      getSessionRole().then(
        (s) => {
          if (!live) return;
          useExtras.setState(s.moderator ? { moderator: true } : { moderator: false, modOpen: false, rectDrawing: false, wipeRect: null });
        },
        () => {
          // Unknown (offline): keep what we knew.
        },
      );
    };
    check();
    const onVisible = () => {
      if (document.visibilityState === "visible") check();
    };
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      live = false;
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, [userId]);

  // A link to a moment (?seq= or ?t=) opens the timelapse there.
  useEffect(() => {
    if (parseMoment(window.location.search)) useExtras.setState({ timelapseOpen: true });
  }, []);

  return (
    <>
      <nav className="extras-bar" aria-label="Board tools" data-moderator={moderator === null ? "unknown" : String(moderator)}>
        <button
          type="button"
          className={`btn btn-small extras-btn${timelapseOpen ? " is-on" : ""}`}
          data-testid="timelapse-button"
          aria-label="Timelapse"
          aria-pressed={timelapseOpen}
          onClick={() => useExtras.setState({ timelapseOpen: !timelapseOpen })}
        >
          <ClockIcon /> <span className="extras-label">Timelapse</span>
        </button>
        <a className="btn btn-small extras-btn" data-testid="stats-link" href={statsHref(board)} aria-label="Stats">
          <ChartIcon /> <span className="extras-label">Stats</span>
        </a>
        {moderator && (
          <button
            type="button"
            className={`btn btn-small extras-btn${modOpen ? " is-on" : ""}`}
            data-testid="mod-button"
            aria-label="Moderation"
            aria-pressed={modOpen}
            onClick={() => useExtras.setState({ modOpen: !modOpen, rectDrawing: false })}
          >
            <ShieldIcon /> <span className="extras-label">Moderation</span>
          </button>
        )}
      </nav>
      <PixelHistory board={board} />
      {moderator && modOpen && <ModPanel board={board} />}
      {timelapseOpen && <Timelapse board={board} />}
    </>
  );
}

const ClockIcon = () => (
  <svg width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" aria-hidden="true">
    <circle cx="12" cy="12" r="9" />
    <path d="M12 7v5l3 2" />
  </svg>
);

const ChartIcon = () => (
  <svg width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" aria-hidden="true">
    <path d="M4 20V10M10 20V4M16 20v-7M22 20H2" />
  </svg>
);

const ShieldIcon = () => (
  <svg width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" strokeLinejoin="round" aria-hidden="true">
    <path d="M12 3l8 3v6c0 4.5-3.4 8.3-8 9-4.6-.7-8-4.5-8-9V6z" />
  </svg>
);
