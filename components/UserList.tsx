"use client";
// Who is here (from `user_list`), own name marked, your name (and changing it), and a help card.
// `user_list` carries names only, so "you" is marked by name: someone else with the same name is
// marked too.

import { useShallow } from "zustand/react/shallow";
import { copyLink, openNameForm, setSound } from "@/lib/client/controller";
import { useTessera } from "@/lib/client/store";
import { CloseIcon, DownloadIcon, LinkIcon, SoundOffIcon, SoundOnIcon } from "./Icons";
import { MeCard } from "./MeCard";

export function UserList() {
  const { users, me, open, redis, soundOn, stale, watching } = useTessera(
    useShallow((s) => ({
      users: s.users,
      me: s.user?.name,
      open: s.sidebarOpen,
      redis: s.redis,
      soundOn: s.soundOn,
      stale: s.link !== "live",
      watching: s.auth !== "authenticated",
    })),
  );
  const sorted = [...users].sort((a, b) => (a === me ? -1 : b === me ? 1 : a.localeCompare(b)));

  return (
    <aside className={`sidebar${open ? " is-open" : ""}${stale ? " is-stale" : ""}`} aria-label="People and help">
      <div className="sidebar-head">
        <h2>
          People here <span className="count-badge">{users.length}</span>
        </h2>
        <button
          type="button"
          className="icon-btn sidebar-close"
          aria-label="Close the people panel"
          onClick={() => useTessera.setState({ sidebarOpen: false })}
        >
          <CloseIcon />
        </button>
      </div>
      {watching ? (
        <section className="me-card" aria-label="You" data-testid="me">
          <div className="me-row">
            <span className="me-label">You</span>
            <span className="me-name">are watching</span>
            <button type="button" className="btn btn-small btn-primary" onClick={() => openNameForm()}>
              Join
            </button>
          </div>
        </section>
      ) : (
        <MeCard />
      )}
      {stale && <p className="sidebar-note">Connection down: this list is the last one received.</p>}
      {redis === "down" && (
        <p className="sidebar-note">Redis is down — only people on this server are listed and counted.</p>
      )}
      <ul className="user-list" data-testid="user-list">
        {sorted.map((name, i) => (
          <li key={`${i}:${name}`} className={name === me ? "is-me" : undefined} title={name === me ? "you" : undefined}>
            {/* The initial comes from CSS (attr) so each li's text is exactly the name. */}
            <span
              className="avatar"
              style={{ background: avatarColor(name) }}
              data-initial={[...name][0]?.toUpperCase() ?? ""}
              aria-hidden="true"
            />
            <span className="user-name">{name}</span>
          </li>
        ))}
      </ul>
      {users.length === 0 && <p className="sidebar-empty">Nobody else yet.</p>}

      {/* Narrow screens: the same as the top bar's "More" menu, one tap from the people list. */}
      <div className="sidebar-share">
        <button type="button" className="btn btn-small" onClick={() => void copyLink()}>
          <LinkIcon /> Copy link
        </button>
        <a className="btn btn-small" href="/api/canvas.png" download="tessera.png">
          <DownloadIcon /> PNG
        </a>
        {!watching && (
          <button
            type="button"
            className={`btn btn-small sidebar-sound${soundOn ? " is-on" : ""}`}
            aria-pressed={soundOn}
            aria-label="Sound when you can place again"
            title={soundOn ? "Sound when you can place again: on" : "Sound when you can place again: off"}
            onClick={() => setSound(!soundOn)}
          >
            {soundOn ? <SoundOnIcon /> : <SoundOffIcon />}
          </button>
        )}
      </div>

      {/* Touch screens get the gestures; keyboards and mice get their keys (CSS picks by pointer). */}
      <section className="help help-touch" aria-label="Touch controls" data-testid="help-touch">
        <h3>Touch</h3>
        <dl>
          <dt>Tap</dt>
          <dd>zoomed out: zoom in there · zoomed in: choose a pixel, then Place</dd>
          <dt>Drag</dt>
          <dd>move around</dd>
          <dt>Pinch</dt>
          <dd>zoom in and out</dd>
          <dt>Long press</dt>
          <dd>who placed this pixel?</dd>
          <dt>Pipette</dt>
          <dd>then tap a pixel to take its colour</dd>
        </dl>
      </section>

      <section className="help help-desktop" aria-label="Controls" data-testid="help-desktop">
        <h3>Controls</h3>
        <dl>
          <dt>Click</dt>
          <dd>place a pixel (zoomed out: zoom in there first)</dd>
          <dt>Shift+click</dt>
          <dd>who placed it?</dd>
          <dt>Drag · wheel</dt>
          <dd>pan · zoom</dd>
          <dt>
            <kbd>1</kbd>…<kbd>0</kbd>
          </dt>
          <dd>choose a colour</dd>
          <dt>
            <kbd>I</kbd> or Alt+click
          </dt>
          <dd>pick a colour</dd>
          <dt>
            <kbd>←↑→↓</kbd> <kbd>+</kbd> <kbd>−</kbd>
          </dt>
          <dd>move · zoom</dd>
          <dt>
            <kbd>[</kbd> <kbd>]</kbd>
          </dt>
          <dd>previous · next colour</dd>
          <dt>
            <kbd>Enter</kbd>
          </dt>
          <dd>keyboard cursor, then place (arrows move it)</dd>
          <dt>
            <kbd>Tab</kbd> to colours
          </dt>
          <dd>arrow keys choose one</dd>
        </dl>
      </section>
    </aside>
  );
}

/** A stable colour per name for the avatar dot. */
function avatarColor(name: string): string {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.codePointAt(0)!) >>> 0;
  return `hsl(${h % 360} 62% 46%)`;
}
