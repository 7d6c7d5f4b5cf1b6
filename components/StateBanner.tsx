"use client";
// Says why placing is not possible when that is not a passing thing: a ban (close 4003 or a
// `banned` reject), a frozen board (`board.state`, or a `frozen` reject), or a server that speaks
// another protocol than this page (after the one automatic reload did not help).

import { useShallow } from "zustand/react/shallow";
import { useTessera } from "@/lib/client/store";

export function StateBanner() {
  const { banned, frozen, protocol } = useTessera(
    useShallow((s) => ({ banned: s.banned, frozen: s.board?.state === "frozen", protocol: s.protocolMismatch })),
  );
  if (protocol !== null) {
    return (
      <div className="state-banner is-bad" role="alert" data-testid="protocol-banner">
        <strong>This page is out of date.</strong> The server was updated (protocol {protocol}); reload the page to go on.
        <button type="button" className="btn btn-small" onClick={() => window.location.reload()}>
          Reload
        </button>
      </div>
    );
  }
  if (banned) {
    return (
      <div className="state-banner is-bad" role="alert" data-testid="banned-banner">
        <strong>You are banned.</strong> A moderator stopped you from placing pixels. You can still watch the board.
      </div>
    );
  }
  if (frozen) {
    return (
      <div className="state-banner" role="status" data-testid="frozen-banner">
        <strong>This board is frozen.</strong> A moderator paused placing here; the board stays as it is until they open it again.
      </div>
    );
  }
  return null;
}
