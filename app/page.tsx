"use client";
// The board page: `/` is board `main`, `/b/{id}` board `id` (SPEC §9; app/b/[id]/page.tsx is this
// page, which reads the board from its address). Without a session the board is watched read-only
// (kept fresh over HTTP) under the name form, which a visitor may close to just watch; placing
// asks for a name.

import { useEffect } from "react";
import { useShallow } from "zustand/react/shallow";
import { Announcer } from "@/components/Announcer";
import { BoardExtras } from "@/components/BoardExtras";
import { BoardView } from "@/components/BoardView";
import { CoordsChip } from "@/components/CoordsChip";
import { NameForm } from "@/components/NameForm";
import { OutageBanner } from "@/components/OutageBanner";
import { Palette } from "@/components/Palette";
import { PixelInfo } from "@/components/PixelInfo";
import { StateBanner } from "@/components/StateBanner";
import { TemplatePanel } from "@/components/TemplatePanel";
import { Toasts } from "@/components/Toasts";
import { TopBar } from "@/components/TopBar";
import { UserList } from "@/components/UserList";
import { Logo } from "@/components/Icons";
import { boardLabel } from "@/lib/client/boards";
import { checkSession, trackUrl } from "@/lib/client/controller";
import { pageTitle } from "@/lib/client/format";
import { useTessera } from "@/lib/client/store";

// Ask who we are as soon as this module runs (the answer is usually already here: the head script
// prefetched it), not after hydration: the board starts loading before React has finished
// hydrating the splash.
if (typeof window !== "undefined") void checkSession();

export default function BoardPage() {
  const { auth, nameFormOpen, boardId, boardStatus, title, playing } = useTessera(
    useShallow((s) => ({
      auth: s.auth,
      nameFormOpen: s.nameFormOpen,
      boardId: s.boardId,
      boardStatus: s.boardStatus,
      title: s.board && s.board.id !== "main" ? boardLabel(s.board) : null,
      playing: s.auth === "authenticated" && !s.banned,
    })),
  );
  const showing = (auth === "authenticated" || auth === "anonymous") && boardStatus === "ok";

  useEffect(() => {
    if (!showing) return;
    return trackUrl();
  }, [showing]);

  // The tab's title is the board's; while playing, the cooldown badge renders it with its countdown.
  // (A rendered <title> rather than document.title: React keeps it, the layout's default gives way.)
  const tabTitle = boardStatus === "missing" ? <title>No such board · Tessera</title> : auth !== "authenticated" ? <title>{pageTitle(0, false, title)}</title> : null;

  if (boardStatus === "missing") {
    return (
      <main className="welcome">
        {tabTitle}
        <div className="welcome-mosaic" aria-hidden="true" />
        <div className="welcome-card" role="alert" data-testid="no-board">
          <div className="welcome-brand">
            <Logo size={40} />
            <h1>No such board</h1>
          </div>
          <p className="welcome-lead">
            There is no board called <strong className="no-board-id">{boardId}</strong>. The link may be mistyped, or the board was never made.
          </p>
          <a className="btn btn-primary btn-block" href="/boards" data-testid="no-board-boards">
            See all boards
          </a>
          <a className="btn btn-block no-board-main" href="/">
            Go to the main board
          </a>
        </div>
      </main>
    );
  }
  if (auth === "unreachable") {
    return (
      <main className="welcome">
        {tabTitle}
        <div className="welcome-mosaic" aria-hidden="true" />
        <div className="welcome-card" role="alert">
          <div className="welcome-brand">
            <Logo size={40} />
            <h1>Tessera</h1>
          </div>
          <p className="welcome-lead">The server can&apos;t be reached right now.</p>
          <button
            type="button"
            className="btn btn-primary btn-block"
            onClick={() => {
              useTessera.setState({ auth: "checking" });
              void checkSession();
            }}
          >
            Try again
          </button>
        </div>
      </main>
    );
  }
  if (!showing) {
    return (
      <main className="welcome" aria-busy="true">
        {tabTitle}
        <div className="welcome-mosaic" aria-hidden="true" />
        <div className="splash" role="status">
          <Logo size={48} />
          <span className="sr-only">Loading Tessera…</span>
        </div>
      </main>
    );
  }

  return (
    <div className={`app mode-${playing ? "play" : "watch"}`}>
      {tabTitle}
      <TopBar />
      <main className="stage">
        <h1 className="sr-only">{title ? `${title}, a Tessera board` : "Tessera, a shared pixel canvas"}</h1>
        <BoardView />
        <OutageBanner />
        <StateBanner />
        <CoordsChip />
        <PixelInfo />
        <TemplatePanel />
        <BoardExtras board={boardId} />
        <Toasts />
      </main>
      <UserList />
      <Palette />
      <Announcer />
      {auth === "anonymous" && nameFormOpen && <NameForm />}
    </div>
  );
}
