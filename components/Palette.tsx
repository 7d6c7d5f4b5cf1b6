"use client";
// The colour bar: one button per palette colour, the eyedropper, and (touch) the place button.

import { useShallow } from "zustand/react/shallow";
import { placeAt, selectColor, toggleEyedropper } from "@/lib/client/controller";
import { useTessera } from "@/lib/client/store";
import { PipetteIcon } from "./Icons";

/** Relative luminance, to draw the selection mark in a colour that shows on the swatch. */
function isLight(hex: string): boolean {
  const v = parseInt(hex.slice(1), 16);
  const r = (v >> 16) & 0xff;
  const g = (v >> 8) & 0xff;
  const b = v & 0xff;
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 150;
}

/** Key that selects colour `i` (1…9 then 0), if any. */
function keyFor(i: number): string | null {
  if (i < 9) return String(i + 1);
  if (i === 9) return "0";
  return null;
}

export function Palette() {
  const { palette, selected, tool, target } = useTessera(
    useShallow((s) => ({ palette: s.palette, selected: s.selectedColor, tool: s.tool, target: s.target })),
  );
  const selectedHex = palette[selected] ?? "#000000";

  return (
    <footer className="palette-bar">
      <div className="palette-current">
        <span className="current-swatch" style={{ background: selectedHex }} aria-hidden="true" />
        <span className="current-hex" aria-live="polite">
          {selectedHex}
        </span>
        <button
          type="button"
          className={`icon-btn eyedropper${tool === "pick" ? " is-active" : ""}`}
          aria-pressed={tool === "pick"}
          aria-label="Pick a colour from the board (I)"
          title="Pick a colour from the board (I, or Alt+click)"
          data-testid="eyedropper"
          onClick={toggleEyedropper}
        >
          <PipetteIcon />
        </button>
      </div>

      <div className="palette" data-testid="palette" role="group" aria-label="Colours">
        {palette.map((hex, i) => {
          const key = keyFor(i);
          const on = i === selected;
          return (
            <button
              key={i}
              type="button"
              className={`swatch${on ? " is-selected" : ""}${isLight(hex) ? " is-light" : ""}`}
              style={{ background: hex }}
              data-testid={`color-${i}`}
              aria-label={hex}
              aria-pressed={on}
              title={key ? `${hex} (key ${key})` : hex}
              onClick={() => selectColor(i)}
            />
          );
        })}
      </div>

      <div className={`palette-action${target ? " has-target" : ""}`}>
        <button
          type="button"
          className="btn btn-primary place-btn"
          data-testid="place-button"
          disabled={!target}
          onClick={() => target && placeAt(target.x, target.y)}
        >
          {target ? (
            <>
              <span className="place-dot" style={{ background: selectedHex }} aria-hidden="true" />
              Place ({target.x}, {target.y})
            </>
          ) : tool === "pick" ? (
            "Tap a pixel to take its colour"
          ) : (
            "Tap a pixel"
          )}
        </button>
      </div>
    </footer>
  );
}
