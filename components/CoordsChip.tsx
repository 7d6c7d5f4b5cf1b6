"use client";
// Where you are, on the board's corner: the pixel under the pointer (or the selected one, or the one
// at the centre of the view) and the zoom. On every screen size, phones included.

import { useShallow } from "zustand/react/shallow";
import { useTessera } from "@/lib/client/store";
import { pixelAt } from "@/lib/client/viewport";

function formatZoom(z: number): string {
  return z >= 10 ? `${Math.round(z)}×` : z >= 1 ? `${Math.round(z * 10) / 10}×` : `${Math.round(z * 100)}%`;
}

export function CoordsChip() {
  const { hover, target, view, vp, width, height, ready } = useTessera(
    useShallow((s) => ({
      hover: s.hover,
      target: s.target,
      view: s.view,
      vp: s.viewportSize,
      width: s.width,
      height: s.height,
      ready: s.boardReady,
    })),
  );
  if (!ready || !view) return null;
  const centre = pixelAt(view, vp.width / 2, vp.height / 2, { width, height });
  const shown = hover ?? target ?? centre;
  const what = hover ? "Pixel under the pointer" : target ? "Selected pixel" : "Pixel at the centre of the view";

  return (
    <div className="coords-chip" aria-hidden="true">
      <span className="coords" data-testid="coords" data-source={hover ? "pointer" : target ? "target" : "centre"} title={what}>
        {shown ? `(${shown.x}, ${shown.y})` : "( –, – )"}
      </span>
      <span className="zoom-level" data-testid="zoom-level" title="Zoom: screen pixels per board pixel">
        {formatZoom(view.zoom)}
      </span>
    </div>
  );
}
