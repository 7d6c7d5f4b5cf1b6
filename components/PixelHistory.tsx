"use client";
// The last placements at the pixel the details card shows (GET …/pixel/history), in a card right
// below it. Reloaded when someone paints over the pixel (the card's seq changes). A moderator can
// pick any author in the list for the moderation panel.

import { useEffect, useLayoutEffect, useRef, useState, type CSSProperties } from "react";
import { authorOf, MODERATION_USER_ID, useExtras } from "@/lib/client/extras-store";
import { errorText } from "@/lib/client/extras-http";
import { formatAbsolute, formatRelative } from "@/lib/client/format";
import { getPixelHistory } from "@/lib/client/history";
import { useTessera } from "@/lib/client/store";
import { colorLabel } from "@/lib/palette";

/** Gap between the details card and this one, px. */
const CARD_GAP_PX = 8;

export function PixelHistory({ board }: { board: string }) {
  const info = useTessera((s) => s.pixelInfo);
  const palette = useTessera((s) => s.palette);
  const history = useExtras((s) => s.history);
  const moderator = useExtras((s) => s.moderator);
  const modOpen = useExtras((s) => s.modOpen);
  const modTarget = useExtras((s) => s.modTarget);
  const ref = useRef<HTMLElement | null>(null);
  const [pos, setPos] = useState<CSSProperties | null>(null);

  const ready = info !== null && info.status !== "loading";
  const x = info?.x ?? -1;
  const y = info?.y ?? -1;
  const seq = info?.seq ?? null;

  useEffect(() => {
    if (!ready) {
      if (info === null) useExtras.setState({ history: null });
      return;
    }
    let live = true;
    useExtras.setState((s) => ({
      // The same pixel again (repainted): keep showing the old list until the new one is here.
      history: { board, x, y, status: "loading", placements: s.history && s.history.x === x && s.history.y === y ? s.history.placements : [] },
    }));
    getPixelHistory(board, x, y).then(
      (placements) => {
        if (live) useExtras.setState({ history: { board, x, y, status: "ok", placements }, modTarget: authorOf(placements) });
      },
      (e: unknown) => {
        if (live) useExtras.setState({ history: { board, x, y, status: "error", placements: [], message: errorText(e) } });
      },
    );
    return () => {
      live = false;
    };
    // `info` itself changes on every refresh of the card; the pixel and its latest seq are what matter.
  }, [board, ready, x, y, seq]);

  // Right below the details card, as wide as it; follows its height as its content changes.
  useLayoutEffect(() => {
    if (!ready) return;
    const card = document.querySelector<HTMLElement>('[data-testid="pixel-info"]');
    const place = () => {
      const me = ref.current;
      const parent = me?.offsetParent;
      if (!card || !me || !parent) return;
      const c = card.getBoundingClientRect();
      const p = parent.getBoundingClientRect();
      setPos({ top: c.bottom - p.top + CARD_GAP_PX, left: c.left - p.left, width: c.width });
    };
    place();
    if (!card) return;
    const ro = new ResizeObserver(place);
    ro.observe(card);
    window.addEventListener("resize", place);
    return () => {
      ro.disconnect();
      window.removeEventListener("resize", place);
    };
  }, [ready, x, y, history?.status]);

  if (!ready || !history || history.x !== x || history.y !== y) return null;
  if (history.status === "ok" && history.placements.length === 0) return null;
  const now = Date.now();

  return (
    <section ref={ref} className="pixel-history" data-testid="pixel-history" data-status={history.status} aria-labelledby="pixel-history-title" style={pos ?? { visibility: "hidden" }}>
      <h2 id="pixel-history-title" className="pixel-history-title">
        History of ({x}, {y})
      </h2>
      {history.status === "error" && (
        <p className="error-text" role="alert">
          Could not load the history: {history.message}
        </p>
      )}
      {history.status === "loading" && history.placements.length === 0 && <p className="muted">Loading…</p>}
      {history.placements.length > 0 && (
        <ol className="pixel-history-list">
          {history.placements.map((p, i) => {
            const hex = palette[p.color];
            const at = Date.parse(p.placedAt);
            const isMod = p.user.id === MODERATION_USER_ID;
            const chosen = modTarget?.id === p.user.id;
            return (
              <li key={p.seq} data-testid="pixel-history-entry" data-seq={p.seq} data-user={p.user.id} className={i === 0 ? "is-current" : undefined}>
                <span className="info-swatch history-swatch" style={{ background: hex }} title={hex ? colorLabel(hex) : undefined} aria-hidden="true" />
                <span className="history-who">
                  <strong className={isMod ? "history-mod" : undefined}>{p.user.name || p.user.id}</strong>
                  <span className="muted history-when">
                    <time dateTime={p.placedAt} title={Number.isFinite(at) ? formatAbsolute(at) : undefined}>
                      {Number.isFinite(at) ? formatRelative(at, now) : p.placedAt}
                    </time>{" "}
                    · #{p.seq}
                    <span className="sr-only">, {hex ? colorLabel(hex) : `colour ${p.color}`}</span>
                  </span>
                </span>
                {moderator && !isMod && (
                  <button
                    type="button"
                    className={`btn btn-small history-pick${chosen && modOpen ? " is-on" : ""}`}
                    aria-pressed={chosen && modOpen}
                    aria-label={`Moderate ${p.user.name || p.user.id}`}
                    onClick={() => useExtras.setState({ modTarget: p.user, modOpen: true })}
                  >
                    Moderate
                  </button>
                )}
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
