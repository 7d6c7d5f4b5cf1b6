"use client";
// The page at `/`: the name form without a session, else the live canvas.

import { useEffect } from "react";
import { BoardView } from "@/components/BoardView";
import { CoordsChip } from "@/components/CoordsChip";
import { NameForm } from "@/components/NameForm";
import { Palette } from "@/components/Palette";
import { PixelInfo } from "@/components/PixelInfo";
import { Toasts } from "@/components/Toasts";
import { TopBar } from "@/components/TopBar";
import { UserList } from "@/components/UserList";
import { Logo } from "@/components/Icons";
import { checkSession, startLive, stopLive, trackUrl } from "@/lib/client/controller";
import { useTessera } from "@/lib/client/store";

// Ask who we are as soon as this module runs (the answer is usually already here: the head script
// prefetched it), not after hydration: with a session, the board starts loading before React has
// finished hydrating the splash.
if (typeof window !== "undefined") void checkSession();

export default function Home() {
  const auth = useTessera((s) => s.auth);

  useEffect(() => {
    if (auth !== "authenticated") return;
    startLive();
    const untrack = trackUrl();
    return () => {
      untrack();
      stopLive();
    };
  }, [auth]);

  if (auth === "anonymous") return <NameForm />;
  if (auth === "unreachable") {
    return (
      <main className="welcome">
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
  if (auth === "checking") {
    return (
      <main className="welcome" aria-busy="true">
        <div className="welcome-mosaic" aria-hidden="true" />
        <div className="splash" role="status">
          <Logo size={48} />
          <span className="sr-only">Loading Tessera…</span>
        </div>
      </main>
    );
  }

  return (
    <div className="app">
      <TopBar />
      <main className="stage">
        <BoardView />
        <CoordsChip />
        <PixelInfo />
        <Toasts />
      </main>
      <UserList />
      <Palette />
    </div>
  );
}
