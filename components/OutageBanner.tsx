"use client";
// Says plainly when the live link is down: placing is paused (and why), the counts on screen are
// the last known ones, when the next attempt is, and a "retry now". Back online, a toast says so.

import { useEffect, useState } from "react";
import { useShallow } from "zustand/react/shallow";
import { retryConnection } from "@/lib/client/controller";
import { useTessera } from "@/lib/client/store";
import { RetryIcon } from "./Icons";

export function OutageBanner() {
  const { auth, link, hadLive, browserOffline, retryAt } = useTessera(
    useShallow((s) => ({ auth: s.auth, link: s.link, hadLive: s.hadLive, browserOffline: s.browserOffline, retryAt: s.retryAt })),
  );
  const [now, setNow] = useState(() => Date.now());
  const down = link === "reconnecting" || link === "offline" || browserOffline;
  // Watchers have no "first connect"; a live user's first connection may simply be slow.
  const show = down && (auth === "anonymous" || hadLive || link === "offline");

  useEffect(() => {
    if (!show || retryAt === null) return;
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, [show, retryAt]);

  if (!show) return null;
  const watching = auth !== "authenticated";
  const waitS = retryAt !== null ? Math.max(0, Math.ceil((retryAt - now) / 1000)) : null;
  const what = browserOffline ? "Your device is offline." : "The server is not answering.";
  const effect = watching ? "The board may be out of date" : "Placing is paused";

  return (
    <div className="outage-banner" role="alert" data-testid="outage-banner">
      <div className="outage-text">
        <strong>{what}</strong> {effect}; counts shown are the last known.{" "}
        <span className="outage-next">
          {browserOffline ? "Waiting for the network…" : waitS !== null && waitS > 0 ? `Trying again in ${waitS} s (sooner if it answers).` : "Trying again…"}
        </span>
      </div>
      {!browserOffline && (
        <button type="button" className="btn btn-small" data-testid="retry-now" onClick={retryConnection}>
          <RetryIcon /> Retry now
        </button>
      )}
    </div>
  );
}
