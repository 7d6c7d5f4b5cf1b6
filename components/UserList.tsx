"use client";
// Who is here, at any crowd size (SPEC §10): you first (found by id), then the first people of the
// board live from `user_list`, then the rest paged in from GET …/users as the list is scrolled.
// Only the rows in view are in the DOM (@tanstack/react-virtual), so 50,000 names cost what 30 do.
// Each name carries its tag (lib/names.ts nameTag) so that two people of the same name differ.
// Below the list: your name (and changing it), share buttons on narrow screens, and a help card.

import { useCallback, useEffect, useRef, useState } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useShallow } from "zustand/react/shallow";
import { nameTag } from "@/lib/names";
import type { PublicUser } from "@/lib/protocol";
import { boardPath, getUsersPage } from "@/lib/client/api";
import { PEOPLE_PAGE_USERS } from "@/lib/client/constants";
import { copyLink, openNameForm, setSound } from "@/lib/client/controller";
import { PeoplePager } from "@/lib/client/people";
import { useTessera } from "@/lib/client/store";
import { CloseIcon, DownloadIcon, LinkIcon, SoundOffIcon, SoundOnIcon } from "./Icons";
import { MeCard } from "./MeCard";

/** Height of one row (CSS `.user-list li` has the same). */
const ROW_PX = 34;
/** Rows drawn beyond the visible ones, so a quick scroll shows names at once. */
const OVERSCAN_ROWS = 12;
/** A page is asked for when the last loaded row comes this close to view. */
const LOAD_AHEAD_ROWS = 20;

export function UserList() {
  const { boardId, users, total, me, open, redis, soundOn, stale, watching } = useTessera(
    useShallow((s) => ({
      boardId: s.boardId,
      users: s.users,
      total: s.usersTotal,
      me: s.auth === "authenticated" && !s.banned ? s.user : null,
      open: s.sidebarOpen,
      redis: s.redis,
      soundOn: s.soundOn,
      stale: s.link !== "live",
      watching: s.auth !== "authenticated",
    })),
  );
  const pager = useRef<PeoplePager>(null);
  pager.current ??= new PeoplePager();
  const p = pager.current;
  const [, setVersion] = useState(0);
  const changed = useCallback(() => setVersion(p.version), [p]);

  // Synchronised during render (cheap, idempotent) so the rows below match the store this render.
  p.setWindow(users, total);
  p.setMe(me);
  const rows = p.rows();
  const more = p.hasMore;

  const scrollRef = useRef<HTMLDivElement | null>(null);
  const virtualizer = useVirtualizer({
    count: rows.length + (more ? 1 : 0),
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_PX,
    overscan: OVERSCAN_ROWS,
    // Before the first measurement (and while the panel is hidden on a phone) assume a short list.
    initialRect: { width: 240, height: ROW_PX * 10 },
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.length > 0 ? items[items.length - 1].index : -1;

  const loadMore = useCallback(() => {
    const after = p.startFetch(Date.now());
    if (after === undefined) return;
    changed();
    getUsersPage(boardId, after, PEOPLE_PAGE_USERS).then(
      (page) => {
        p.addPage(page.users, page.next, page.total);
        changed();
      },
      () => {
        p.fetchFailed(Date.now());
        changed();
      },
    );
  }, [boardId, p, changed]);

  useEffect(() => {
    if (more && lastIndex >= rows.length - LOAD_AHEAD_ROWS) loadMore();
  }, [more, lastIndex, rows.length, loadMore]);

  const shownTotal = Math.max(total, rows.length);

  return (
    <aside className={`sidebar${open ? " is-open" : ""}${stale ? " is-stale" : ""}`} aria-label="People and help">
      <div className="sidebar-head">
        <h2>
          People here{" "}
          <span className="count-badge" data-testid="people-total">
            {shownTotal.toLocaleString("en")}
          </span>
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
      <div className="people-scroll" ref={scrollRef} data-testid="people-scroll" tabIndex={0} role="region" aria-label={`People on this board: ${shownTotal}`}>
        <div className="people-inner" style={{ height: virtualizer.getTotalSize() }}>
          <ul className="user-list" data-testid="user-list">
            {items.map((item) => {
              const u = rows[item.index];
              if (!u) return null;
              return <Person key={u.id} user={u} isMe={me !== null && u.id === me.id} top={item.start} />;
            })}
          </ul>
          {more && (
            <div className="people-more" style={{ transform: `translateY(${rows.length * ROW_PX}px)` }} role="status">
              {p.loading ? "Loading more people…" : `${(shownTotal - rows.length).toLocaleString("en")} more`}
            </div>
          )}
        </div>
      </div>
      {rows.length === 0 && <p className="sidebar-empty">Nobody here yet.</p>}
      {rows.length === 1 && me && shownTotal <= 1 && <p className="sidebar-empty">Nobody else yet.</p>}

      {/* Narrow screens: the same as the top bar's "More" menu, one tap from the people list. */}
      <div className="sidebar-share">
        <button type="button" className="btn btn-small" onClick={() => void copyLink()}>
          <LinkIcon /> Copy link
        </button>
        <a className="btn btn-small" href={boardPath(boardId, "/canvas.png")} download={`tessera-${boardId}.png`}>
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

function Person({ user, isMe, top }: { user: PublicUser; isMe: boolean; top: number }) {
  const tag = nameTag(user.id);
  return (
    <li
      className={isMe ? "is-me" : undefined}
      data-user-id={user.id}
      title={`${user.name} #${tag}${isMe ? " (you)" : ""}`}
      style={{ transform: `translateY(${top}px)` }}
    >
      {/* The initial comes from CSS (attr) so the li's text is the name and its tag only. */}
      <span className="avatar" style={{ background: avatarColor(user.id) }} data-initial={[...user.name][0]?.toUpperCase() ?? ""} aria-hidden="true" />
      <span className="user-name">{user.name}</span>
      <span className="name-tag">#{tag}</span>
    </li>
  );
}

/** A stable colour per person for the avatar dot. */
function avatarColor(id: string): string {
  let h = 0;
  for (const ch of nameTag(id)) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `hsl(${h % 360} 62% 46%)`;
}
