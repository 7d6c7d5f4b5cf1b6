"use client";
// The page at `/`: the live board. Without a session it is watched read-only (kept fresh over
// HTTP) under the name form, which a visitor may close to just watch; placing asks for a name.

import { useEffect } from "react";
import { Announcer } from "@/components/Announcer";
import { BoardView } from "@/components/BoardView";
import { CoordsChip } from "@/components/CoordsChip";
import { NameForm } from "@/components/NameForm";
import { OutageBanner } from "@/components/OutageBanner";
import { Palette } from "@/components/Palette";
import { PixelInfo } from "@/components/PixelInfo";
import { TemplatePanel } from "@/components/TemplatePanel";
import { Toasts } from "@/components/Toasts";
import { TopBar } from "@/components/TopBar";
import { UserList } from "@/components/UserList";
import { Logo } from "@/components/Icons";
import { checkSession, trackUrl } from "@/lib/client/controller";
import { useTessera } from "@/lib/client/store";

// Ask who we are as soon as this module runs (the answer is usually already here: the head script
// prefetched it), not after hydration: the board starts loading before React has finished
// hydrating the splash.
if (typeof window !== "undefined") void checkSession();

export default function Home() {
  const auth = useTessera((s) => s.auth);
  const nameFormOpen = useTessera((s) => s.nameFormOpen);
  const showing = auth === "authenticated" || auth === "anonymous";

  useEffect(() => {
    if (!showing) return;
    return trackUrl();
  }, [showing]);

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
  if (!showing) {
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
    <div className={`app mode-${auth === "authenticated" ? "play" : "watch"}`}>
      <TopBar />
      <main className="stage">
        <h1 className="sr-only">Tessera, a shared pixel canvas</h1>
        <BoardView />
        <OutageBanner />
        <CoordsChip />
        <PixelInfo />
        <TemplatePanel />
        <Toasts />
      </main>
      <UserList />
      <Palette />
      <Announcer />
      {auth === "anonymous" && nameFormOpen && <NameForm />}
    </div>
  );
}
