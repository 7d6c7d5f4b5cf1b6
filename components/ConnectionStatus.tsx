"use client";
// The connection badge: data-state live | degraded | reconnecting | offline (SPEC §7), and
// data-mode play (a session, the live socket) | watch (no session: the board refreshed over HTTP).
// When the link is down, components/OutageBanner.tsx says what that means and offers a retry.

import { useShallow } from "zustand/react/shallow";
import { connectionBadge, useTessera } from "@/lib/client/store";

export function ConnectionStatus() {
  const { link, redis, browserOffline, watching } = useTessera(
    // A banned user watches: their board is kept fresh over HTTP like a visitor's.
    useShallow((s) => ({ link: s.link, redis: s.redis, browserOffline: s.browserOffline, watching: s.auth !== "authenticated" || s.banned })),
  );
  const state = connectionBadge({ link, redis: watching ? "disabled" : redis, browserOffline });

  let label: string;
  let detail: string;
  switch (state) {
    case "live":
      label = watching ? "Watching" : "Live";
      detail = watching
        ? "Watching: the board refreshes every two seconds. Choose a name to place pixels."
        : "Connected: every placement appears as it happens.";
      break;
    case "degraded":
      label = "Degraded";
      detail = "Redis down — only this server's users counted, other servers' pixels arrive when it returns.";
      break;
    case "reconnecting":
      label = link === "connecting" || link === "stopped" ? "Connecting…" : "Reconnecting…";
      detail = "The live connection is being (re)established; your board catches up automatically.";
      break;
    case "offline":
      label = "Offline";
      detail = browserOffline
        ? "Your device is offline. The board resumes when the network returns."
        : "Could not reach the server. Press retry to try again.";
      break;
  }

  return (
    <div className="conn">
      <div
        className={`conn-badge conn-${state}`}
        data-testid="connection-status"
        data-state={state}
        data-mode={watching ? "watch" : "play"}
        role="status"
        title={detail}
      >
        <span className="conn-dot" aria-hidden="true" />
        <span className="conn-label">{label}</span>
        {state === "degraded" && <span className="conn-detail">Redis down</span>}
        <span className="sr-only">. {detail}</span>
      </div>
    </div>
  );
}
