"use client";
// The dark toolbar: brand, the board's menu (components/BoardSwitcher.tsx) and connection on the
// left; cooldown (or "Join" for a watcher), zoom, and the view's tools on the right. Wide windows
// show every tool inline; narrow ones and phones keep zoom in/out inline and put fit, link, PNG,
// template, cursors, sound and notifications under "More".

import { type ReactNode, useEffect, useRef } from "react";
import { useShallow } from "zustand/react/shallow";
import { boardPath } from "@/lib/client/api";
import { copyLink, fitToScreen, openNameForm, setNotify, setShowCursors, setSound, zoomIn, zoomOut } from "@/lib/client/controller";
import { useTessera } from "@/lib/client/store";
import { BoardSwitcher } from "./BoardSwitcher";
import { ConnectionStatus } from "./ConnectionStatus";
import { CooldownIndicator } from "./CooldownIndicator";
import {
  BellIcon,
  BellOffIcon,
  CursorIcon,
  CursorOffIcon,
  DownloadIcon,
  FitIcon,
  LayersIcon,
  LinkIcon,
  Logo,
  MinusIcon,
  MoreIcon,
  PlusIcon,
  SoundOffIcon,
  SoundOnIcon,
  UsersIcon,
} from "./Icons";

function toggleTemplatePanel(): void {
  const s = useTessera.getState();
  useTessera.setState({ templatePanelOpen: !s.templatePanelOpen, menuOpen: false });
}

export function TopBar() {
  const { activeUsers, scope, redis, sidebarOpen, soundOn, notifyOn, watching, signedIn, link, menuOpen, templateOn, templatePanelOpen, boardId, showCursors } = useTessera(
    useShallow((s) => ({
      signedIn: s.auth === "authenticated",
      boardId: s.boardId,
      showCursors: s.showCursors,
      activeUsers: s.activeUsers,
      scope: s.scope,
      redis: s.redis,
      soundOn: s.soundOn,
      notifyOn: s.notifyOn,
      sidebarOpen: s.sidebarOpen,
      watching: s.auth !== "authenticated" || s.banned,
      link: s.link,
      menuOpen: s.menuOpen,
      templateOn: s.template !== null && !s.template.hidden,
      templatePanelOpen: s.templatePanelOpen,
    })),
  );
  // With Redis down a replica can only count its own users: say so next to the number.
  const localOnly = scope === "local" && redis === "down";
  // While the link is down the count is the last one heard: greyed, and said so.
  const stale = link !== "live";
  const menuRef = useRef<HTMLDivElement | null>(null);

  useEffect(() => {
    if (!menuOpen) return;
    const close = (e: Event) => {
      if (e instanceof KeyboardEvent && e.key !== "Escape") return;
      if (e instanceof PointerEvent && menuRef.current?.contains(e.target as Node)) return;
      useTessera.setState({ menuOpen: false });
    };
    window.addEventListener("pointerdown", close);
    window.addEventListener("keydown", close);
    return () => {
      window.removeEventListener("pointerdown", close);
      window.removeEventListener("keydown", close);
    };
  }, [menuOpen]);

  const soundLabel = soundOn ? "Sound when you can place again: on" : "Sound when you can place again: off";
  const notifyLabel = notifyOn ? "Notification when you can place again: on" : "Notification when you can place again: off";
  const closeMenu = () => useTessera.setState({ menuOpen: false });
  const pngHref = boardPath(boardId, "/canvas.png");
  const pngName = `tessera-${boardId}.png`;
  const cursorsLabel = showCursors ? "Other people's cursors: shown" : "Other people's cursors: hidden";

  return (
    <header className="topbar">
      <div className="topbar-group topbar-left">
        <div className="brand">
          <Logo />
          <span className="brand-name">Tessera</span>
        </div>
        <BoardSwitcher />
        <ConnectionStatus />
      </div>

      <div className="topbar-group topbar-right">
        {/* Signed in (banned included: the badge says so), the countdown; a visitor, "Join". */}
        {signedIn ? (
          <CooldownIndicator />
        ) : (
          <button type="button" className="btn btn-primary btn-join" data-testid="join-button" onClick={() => openNameForm()}>
            Join
          </button>
        )}
        <div className="btn-group" role="group" aria-label="Zoom">
          <button type="button" className="icon-btn" aria-label="Zoom out" title="Zoom out (−)" data-testid="zoom-out" onClick={zoomOut}>
            <MinusIcon />
          </button>
          <button type="button" className="icon-btn" aria-label="Zoom in" title="Zoom in (+)" data-testid="zoom-in" onClick={zoomIn}>
            <PlusIcon />
          </button>
          <button type="button" className="icon-btn wide-only" aria-label="Fit to screen" title="Fit to screen (F)" onClick={fitToScreen}>
            <FitIcon />
          </button>
        </div>
        <div className="wide-only topbar-tools">
          <button
            type="button"
            className={`icon-btn${templateOn ? " is-on" : ""}`}
            aria-expanded={templatePanelOpen}
            aria-label="Template overlay"
            title="Template overlay: an image to follow"
            data-testid="template-button"
            onClick={toggleTemplatePanel}
          >
            <LayersIcon />
          </button>
          <button type="button" className="icon-btn" aria-label="Copy a link to this view" title="Copy link to this view" data-testid="copy-link" onClick={() => void copyLink()}>
            <LinkIcon />
          </button>
          <a className="icon-btn" href={pngHref} download={pngName} aria-label="Download PNG" title="Download the canvas as PNG" data-testid="download-png">
            <DownloadIcon />
          </a>
          {!watching && (
            <>
              <ToggleButton on={showCursors} label="Show other people's cursors" title={cursorsLabel} testId="cursors-toggle" onToggle={() => setShowCursors(!showCursors)}>
                {showCursors ? <CursorIcon /> : <CursorOffIcon />}
              </ToggleButton>
              <ToggleButton on={soundOn} label="Sound when you can place again" title={soundLabel} testId="sound-toggle" onToggle={() => setSound(!soundOn)}>
                {soundOn ? <SoundOnIcon /> : <SoundOffIcon />}
              </ToggleButton>
              <ToggleButton on={notifyOn} label="Notification when you can place again" title={notifyLabel} testId="notify-toggle" onToggle={() => void setNotify(!notifyOn)}>
                {notifyOn ? <BellIcon /> : <BellOffIcon />}
              </ToggleButton>
            </>
          )}
        </div>
        <div className="menu-wrap narrow-only" ref={menuRef}>
          <button
            type="button"
            className="icon-btn menu-btn"
            aria-expanded={menuOpen}
            aria-controls="view-menu"
            aria-label="More: fit, link, PNG, template, alerts"
            data-testid="menu-button"
            onClick={() => useTessera.setState({ menuOpen: !menuOpen })}
          >
            <MoreIcon />
          </button>
          {menuOpen && (
            <div className="menu" id="view-menu" data-testid="view-menu">
              <button
                type="button"
                className="menu-item"
                onClick={() => {
                  fitToScreen();
                  closeMenu();
                }}
              >
                <FitIcon /> Fit to screen
              </button>
              <button
                type="button"
                className="menu-item"
                data-testid="menu-copy-link"
                onClick={() => {
                  void copyLink();
                  closeMenu();
                }}
              >
                <LinkIcon /> Copy link to this view
              </button>
              <a className="menu-item" href={pngHref} download={pngName} data-testid="menu-download-png" onClick={closeMenu}>
                <DownloadIcon /> Download PNG
              </a>
              <button type="button" className="menu-item" data-testid="menu-template" onClick={toggleTemplatePanel}>
                <LayersIcon /> Template overlay{templateOn ? " (on)" : ""}
              </button>
              {!watching && (
                <>
                  <button type="button" className="menu-item" aria-pressed={showCursors} data-testid="menu-cursors" onClick={() => setShowCursors(!showCursors)}>
                    {showCursors ? <CursorIcon /> : <CursorOffIcon />} {cursorsLabel}
                  </button>
                  <button type="button" className="menu-item" aria-pressed={soundOn} onClick={() => setSound(!soundOn)}>
                    {soundOn ? <SoundOnIcon /> : <SoundOffIcon />} {soundLabel}
                  </button>
                  <button type="button" className="menu-item" aria-pressed={notifyOn} data-testid="menu-notify" onClick={() => void setNotify(!notifyOn)}>
                    {notifyOn ? <BellIcon /> : <BellOffIcon />} {notifyLabel}
                  </button>
                </>
              )}
            </div>
          )}
        </div>
        <button
          type="button"
          className={`online-pill${stale ? " is-stale" : ""}`}
          data-stale={stale ? "true" : "false"}
          aria-expanded={sidebarOpen}
          aria-label={`${activeUsers ?? "–"} online${localOnly ? " (this server only)" : ""}${stale ? " (last known)" : ""}, show people`}
          title={stale ? "Last known count: the connection is down" : localOnly ? "Redis is down: only the users of this server are counted" : "Active users"}
          onClick={() => useTessera.setState({ sidebarOpen: !sidebarOpen })}
        >
          <UsersIcon />
          <span data-testid="online-count">{activeUsers ?? "–"}</span> <span className="online-label">online</span>
          {localOnly && " "}
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

/** An on/off icon button of the top bar (aria-pressed says which). */
function ToggleButton(props: { on: boolean; label: string; title: string; testId: string; onToggle: () => void; children: ReactNode }) {
  return (
    <button
      type="button"
      className={`icon-btn${props.on ? " is-on" : ""}`}
      aria-pressed={props.on}
      aria-label={props.label}
      title={props.title}
      data-testid={props.testId}
      onClick={props.onToggle}
    >
      {props.children}
    </button>
  );
}
