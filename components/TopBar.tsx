"use client";
// The dark toolbar: brand and connection on the left; cooldown, sound, zoom, links and who is online
// on the right. (Coordinates and zoom level sit on the board: components/CoordsChip.tsx.)

import { useShallow } from "zustand/react/shallow";
import { copyLink, fitToScreen, setSound, zoomIn, zoomOut } from "@/lib/client/controller";
import { useTessera } from "@/lib/client/store";
import { ConnectionStatus } from "./ConnectionStatus";
import { CooldownIndicator } from "./CooldownIndicator";
import { DownloadIcon, FitIcon, LinkIcon, Logo, MinusIcon, PlusIcon, SoundOffIcon, SoundOnIcon, UsersIcon } from "./Icons";

export function TopBar() {
  const { activeUsers, scope, redis, sidebarOpen, soundOn } = useTessera(
    useShallow((s) => ({
      activeUsers: s.activeUsers,
      scope: s.scope,
      redis: s.redis,
      soundOn: s.soundOn,
      sidebarOpen: s.sidebarOpen,
    })),
  );
  // With Redis down a replica can only count its own users: say so next to the number.
  const localOnly = scope === "local" && redis === "down";

  return (
    <header className="topbar">
      <div className="topbar-group topbar-left">
        <div className="brand">
          <Logo />
          <span className="brand-name">Tessera</span>
        </div>
        <ConnectionStatus />
      </div>

      <div className="topbar-group topbar-right">
        <CooldownIndicator />
        <button
          type="button"
          className={`icon-btn sound-btn hide-phone${soundOn ? " is-active" : ""}`}
          aria-pressed={soundOn}
          aria-label="Sound when you can place again"
          title={soundOn ? "Sound when you can place again: on" : "Sound when you can place again: off"}
          data-testid="sound-toggle"
          onClick={() => setSound(!soundOn)}
        >
          {soundOn ? <SoundOnIcon /> : <SoundOffIcon />}
        </button>
        <div className="btn-group" role="group" aria-label="Zoom">
          <button type="button" className="icon-btn" aria-label="Zoom out" title="Zoom out (−)" onClick={zoomOut}>
            <MinusIcon />
          </button>
          <button type="button" className="icon-btn" aria-label="Zoom in" title="Zoom in (+)" onClick={zoomIn}>
            <PlusIcon />
          </button>
          <button type="button" className="icon-btn hide-narrow" aria-label="Fit to screen" title="Fit to screen (F)" onClick={fitToScreen}>
            <FitIcon />
          </button>
        </div>
        <button type="button" className="icon-btn hide-tablet" aria-label="Copy a link to this view" title="Copy link to this view" data-testid="copy-link" onClick={() => void copyLink()}>
          <LinkIcon />
        </button>
        <a className="icon-btn hide-tablet" href="/api/canvas.png" download="tessera.png" aria-label="Download PNG" title="Download the canvas as PNG" data-testid="download-png">
          <DownloadIcon />
        </a>
        <button
          type="button"
          className="online-pill"
          aria-expanded={sidebarOpen}
          aria-label={`${activeUsers ?? 0} online${localOnly ? " on this server only" : ""} — show people`}
          title={localOnly ? "Redis is down: only the users of this server are counted" : "Active users"}
          onClick={() => useTessera.setState({ sidebarOpen: !sidebarOpen })}
        >
          <UsersIcon />
          <span data-testid="online-count">{activeUsers ?? "–"}</span>
          <span className="online-label">online</span>
          {localOnly && (
            <span className="scope-note" data-testid="online-scope" title="Redis is down: only this server's users are counted">
              <span className="scope-long">(this server only)</span>
              <span className="scope-short" aria-hidden="true">
                (local)
              </span>
            </span>
          )}
        </button>
      </div>
    </header>
  );
}
