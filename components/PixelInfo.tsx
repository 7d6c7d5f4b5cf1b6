"use client";
// Who placed a pixel and when (Shift+click / long press): GET /api/pixel.

import { useEffect, useState } from "react";
import { nameTag } from "@/lib/names";
import { colorLabel } from "@/lib/palette";
import { closePixelInfo } from "@/lib/client/controller";
import { formatAbsolute, formatRelative } from "@/lib/client/format";
import { useTessera } from "@/lib/client/store";
import { CloseIcon } from "./Icons";

/** Relative times ("2 min ago") refresh this often while the card is open. */
const RELATIVE_REFRESH_MS = 15_000;

export function PixelInfo() {
  const info = useTessera((s) => s.pixelInfo);
  const palette = useTessera((s) => s.palette);
  const [now, setNow] = useState(() => Date.now());

  useEffect(() => {
    if (!info) return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), RELATIVE_REFRESH_MS);
    return () => clearInterval(t);
  }, [info]);

  if (!info) return null;
  const hex = info.color !== undefined ? palette[info.color] : undefined;

  return (
    <section className="pixel-info" data-testid="pixel-info" data-status={info.status} aria-live="polite" aria-label="Pixel details">
      <header className="pixel-info-head">
        <span className="pixel-info-coords">
          Pixel ({info.x}, {info.y})
        </span>
        <button type="button" className="icon-btn icon-btn-small" aria-label="Close pixel details" onClick={closePixelInfo}>
          <CloseIcon />
        </button>
      </header>
      {info.status === "loading" && <p className="pixel-info-body muted">Looking it up…</p>}
      {info.status === "never" && <p className="pixel-info-body">This pixel was never placed.</p>}
      {info.status === "error" && <p className="pixel-info-body error-text">Could not load details: {info.message}</p>}
      {info.status === "placed" && (
        <div className="pixel-info-body">
          <div className="pixel-info-row">
            {hex && <span className="info-swatch" style={{ background: hex }} aria-hidden="true" />}
            <span>
              Placed by <strong className="pixel-info-name">{info.name}</strong>
              {info.user && (
                <span className="name-tag" title="This person's tag: people may share a name, never a tag">
                  {" "}#{nameTag(info.user.id)}
                </span>
              )}
            </span>
          </div>
          {info.placedAt !== undefined && (
            <p className="pixel-info-time">
              <time dateTime={new Date(info.placedAt).toISOString()}>{formatAbsolute(info.placedAt)}</time>
              <span className="muted"> · {formatRelative(info.placedAt, now)}</span>
            </p>
          )}
          <p className="pixel-info-meta muted">
            {hex ? colorLabel(hex) : `colour ${info.color}`} · placement #{info.seq}
          </p>
        </div>
      )}
    </section>
  );
}
