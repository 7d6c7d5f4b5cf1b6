"use client";
// The board's menu in the top bar: which board this is (its title), the boards you opened lately
// and the busiest public ones to switch to, all boards and a new one (/boards), and this board's
// stats page. Switching boards loads the other board's page.

import { useEffect, useRef, useState } from "react";
import { useShallow } from "zustand/react/shallow";
import type { BoardInfo } from "@/lib/protocol";
import { listBoards } from "@/lib/client/api";
import { boardHref, boardLabel, loadRecentBoards, peopleCount, statsHref, type RecentBoard } from "@/lib/client/boards";
import { SWITCHER_POPULAR_BOARDS } from "@/lib/client/constants";
import { useTessera } from "@/lib/client/store";
import { ChartIcon, ChevronDownIcon, GridIcon, PlusIcon } from "./Icons";

export function BoardSwitcher() {
  const { boardId, board } = useTessera(useShallow((s) => ({ boardId: s.boardId, board: s.board })));
  const [open, setOpen] = useState(false);
  const [recent, setRecent] = useState<RecentBoard[]>([]);
  const [popular, setPopular] = useState<BoardInfo[] | null>(null);
  const wrap = useRef<HTMLDivElement | null>(null);

  useEffect(() => {
    if (!open) return;
    try {
      setRecent(loadRecentBoards(window.localStorage).filter((b) => b.id !== boardId));
    } catch {
      setRecent([]);
    }
    let live = true;
    listBoards(null, SWITCHER_POPULAR_BOARDS + 1).then(
      (r) => live && setPopular(r.boards.filter((b) => b.id !== boardId).slice(0, SWITCHER_POPULAR_BOARDS)),
      () => live && setPopular([]),
    );
    const close = (e: Event) => {
      if (e instanceof KeyboardEvent && e.key !== "Escape") return;
      if (e instanceof PointerEvent && wrap.current?.contains(e.target as Node)) return;
      setOpen(false);
    };
    window.addEventListener("pointerdown", close);
    window.addEventListener("keydown", close);
    return () => {
      live = false;
      window.removeEventListener("pointerdown", close);
      window.removeEventListener("keydown", close);
    };
  }, [open, boardId]);

  const title = board ? boardLabel(board) : boardId;

  return (
    <div className="switcher" ref={wrap}>
      <button
        type="button"
        className="switcher-btn"
        aria-expanded={open}
        aria-controls="board-menu"
        aria-label={`Board: ${title}. Switch boards`}
        title="Switch boards"
        data-testid="board-switcher"
        onClick={() => setOpen(!open)}
      >
        {/* Phones show an icon: the title is the first line of the menu. */}
        <span className="switcher-icon" aria-hidden="true">
          <GridIcon />
        </span>
        <span className="switcher-title" data-testid="board-title">
          {title}
        </span>
        <span className="switcher-chevron" aria-hidden="true">
          <ChevronDownIcon />
        </span>
      </button>
      {open && (
        <div className="menu switcher-menu" id="board-menu" data-testid="board-menu">
          <p className="menu-current">{title}</p>
          <a className="menu-item" href={statsHref(boardId)} data-testid="board-stats-link">
            <ChartIcon /> Stats of this board
          </a>
          {recent.length > 0 && (
            <>
              <p className="menu-heading">Recent</p>
              {recent.map((b) => (
                <a key={b.id} className="menu-item" href={boardHref(b.id)} data-testid={`recent-board-${b.id}`}>
                  <span className="menu-board">{boardLabel(b)}</span>
                </a>
              ))}
            </>
          )}
          <p className="menu-heading">Popular</p>
          {popular === null && <p className="menu-note">Loading…</p>}
          {popular?.length === 0 && <p className="menu-note">No other public boards yet.</p>}
          {popular?.map((b) => (
            <a key={b.id} className="menu-item" href={boardHref(b.id)}>
              <span className="menu-board">{boardLabel(b)}</span>
              <span className="menu-count">{peopleCount(b.activeUsers)}</span>
            </a>
          ))}
          <div className="menu-sep" />
          <a className="menu-item" href="/boards" data-testid="all-boards-link">
            <GridIcon /> All boards
          </a>
          <a className="menu-item" href="/boards#create">
            <PlusIcon /> New board
          </a>
        </div>
      )}
    </div>
  );
}
