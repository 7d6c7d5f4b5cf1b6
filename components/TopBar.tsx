"use client";
// The dark toolbar: brand, connection, who is online, hovered coordinates, cooldown, view and links.

import { useShallow } from "zustand/react/shallow";
import { copyLink, fitToScreen, zoomIn, zoomOut } from "@/lib/client/controller";
import { useTessera } from "@/lib/client/store";
import { ConnectionStatus } from "./ConnectionStatus";
import { CooldownIndicator } from "./CooldownIndicator";
import { DownloadIcon, FitIcon, LinkIcon, Logo, MinusIcon, PlusIcon, UsersIcon } from "./Icons";

function formatZoom(z: number): string {
  return z >= 10 ? `${Math.round(z)}×` : z >= 1 ? `${Math.round(z * 10) / 10}×` : `${Math.round(z * 100)}%`;
}

export function TopBar() {
  const { activeUsers, scope, hover, target, zoom, sidebarOpen } = useTessera(
    useShallow((s) => ({
      activeUsers: s.activeUsers,
      scope: s.scope,
      hover: s.hover,
      target: s.target,
      zoom: s.view?.zoom ?? null,
      sidebarOpen: s.sidebarOpen,
    })),
  );
  const shown = hover ?? target;

  return (
    <header className="topbar">
      <div className="topbar-group">
        <div className="brand">
          <Logo />
          <span className="brand-name">Tessera</span>
        </div>
        <ConnectionStatus />
      </div>

      <div className="topbar-group topbar-middle">
        <span className="coords" data-testid="coords" aria-live="off" title="Pixel under the pointer">
          {shown ? `(${shown.x}, ${shown.y})` : "( –, – )"}
        </span>
        <span className="zoom-level" title="Zoom: screen pixels per board pixel">
          {zoom !== null ? formatZoom(zoom) : "–"}
        </span>
      </div>

      <div className="topbar-group topbar-right">
        <CooldownIndicator />
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
        <button type="button" className="icon-btn hide-phone" aria-label="Copy a link to this view" title="Copy link to this view" data-testid="copy-link" onClick={() => void copyLink()}>
          <LinkIcon />
        </button>
        <a className="icon-btn hide-phone" href="/api/canvas.png" download="tessera.png" aria-label="Download PNG" title="Download the canvas as PNG" data-testid="download-png">
          <DownloadIcon />
        </a>
        <button
          type="button"
          className="online-pill"
          aria-expanded={sidebarOpen}
          aria-label={`${activeUsers ?? 0} online — show people`}
          title={scope === "local" ? "Active users on this server (cluster count unavailable)" : "Active users"}
          onClick={() => useTessera.setState({ sidebarOpen: !sidebarOpen })}
        >
          <UsersIcon />
          <span data-testid="online-count">{activeUsers ?? "–"}</span>
          <span className="online-label">online</span>
        </button>
      </div>
    </header>
  );
}
