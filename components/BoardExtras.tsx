"use client";
// The board page's extra tools, mounted once inside the stage: a small tool bar (moderation), the
// history of the inspected pixel, and — loaded only when opened — the moderation panel, so it
// costs nothing to a visitor who never opens it.

import "@/app/extras.css";
import dynamic from "next/dynamic";
import { useEffect } from "react";
import { getSessionRole } from "@/lib/client/extras-http";
import { useExtras } from "@/lib/client/extras-store";
import { useTessera } from "@/lib/client/store";
import { PixelHistory } from "./PixelHistory";

const ModPanel = dynamic(() => import("./ModPanel").then((m) => m.ModPanel), { ssr: false });

export function BoardExtras({ board }: { board: string }) {
  const userId = useTessera((s) => s.user?.id ?? null);
  const moderator = useExtras((s) => s.moderator);
  const modOpen = useExtras((s) => s.modOpen);

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

  return (
    <>
      <nav className="extras-bar" aria-label="Board tools" data-moderator={moderator === null ? "unknown" : String(moderator)}>
        {moderator && (
          <button
            type="button"
            className={`btn btn-small extras-btn${modOpen ? " is-on" : ""}`}
            data-testid="mod-button"
            aria-pressed={modOpen}
            onClick={() => useExtras.setState({ modOpen: !modOpen, rectDrawing: false })}
          >
            <ShieldIcon /> Moderation
          </button>
        )}
      </nav>
      <PixelHistory board={board} />
      {moderator && modOpen && <ModPanel board={board} />}
    </>
  );
}

const ShieldIcon = () => (
  <svg width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" strokeLinejoin="round" aria-hidden="true">
    <path d="M12 3l8 3v6c0 4.5-3.4 8.3-8 9-4.6-.7-8-4.5-8-9V6z" />
  </svg>
);
