"use client";
// The colour bar: one button per palette colour (SPEC §7: `color-{i}`, aria-label "name #HEX",
// aria-pressed on the selected one), the eyedropper, and (touch) the place button.
// The swatches are one Tab stop (roving tabindex): arrow keys move through them and select,
// Home/End jump to the ends, as in a toolbar.

import { useRef, type KeyboardEvent } from "react";
import { useShallow } from "zustand/react/shallow";
import { colorLabel } from "@/lib/palette";
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

/** Swatches per row as laid out now (the grid changes with the window), from their positions. */
function columns(group: HTMLElement): number {
  const items = group.querySelectorAll<HTMLElement>(".swatch");
  if (items.length < 2) return 1;
  const top = items[0].offsetTop;
  let n = 1;
  while (n < items.length && items[n].offsetTop === top) n++;
  return n;
}

export function Palette() {
  const { palette, selected, tool, target, watching, live } = useTessera(
    useShallow((s) => ({
      palette: s.palette,
      selected: s.selectedColor,
      tool: s.tool,
      target: s.target,
      watching: s.auth !== "authenticated",
      live: s.link === "live",
    })),
  );
  const group = useRef<HTMLDivElement | null>(null);
  const selectedHex = palette[selected] ?? "#000000";

  function onKeyDown(e: KeyboardEvent<HTMLDivElement>) {
    const n = palette.length;
    if (!group.current || n === 0) return;
    const cols = columns(group.current);
    let next: number | null = null;
    switch (e.key) {
      case "ArrowRight":
        next = (selected + 1) % n;
        break;
      case "ArrowLeft":
        next = (selected - 1 + n) % n;
        break;
      case "ArrowDown":
        next = selected + cols < n ? selected + cols : selected;
        break;
      case "ArrowUp":
        next = selected - cols >= 0 ? selected - cols : selected;
        break;
      case "Home":
        next = 0;
        break;
      case "End":
        next = n - 1;
        break;
    }
    if (next === null) return;
    // The board's own arrow keys must not pan while the palette has the focus.
    e.preventDefault();
    e.stopPropagation();
    selectColor(next);
    group.current.querySelector<HTMLButtonElement>(`[data-testid="color-${next}"]`)?.focus();
  }

  let placeText: string;
  if (target) placeText = "";
  else if (!watching && !live) placeText = "Offline — placing paused";
  else if (tool === "pick") placeText = "Tap a pixel to take its colour";
  else placeText = "Tap a pixel";

  return (
    <footer className="palette-bar">
      <div className="palette-current">
        <span className="current-swatch" style={{ background: selectedHex }} aria-hidden="true" />
        <span className="current-hex" aria-live="polite" data-testid="current-color">
          {colorLabel(selectedHex)}
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

      <div
        className="palette"
        data-testid="palette"
        role="toolbar"
        aria-label="Colours (arrow keys choose)"
        ref={group}
        onKeyDown={onKeyDown}
      >
        {palette.map((hex, i) => {
          const key = keyFor(i);
          const on = i === selected;
          const label = colorLabel(hex);
          return (
            <button
              key={i}
              type="button"
              className={`swatch${on ? " is-selected" : ""}${isLight(hex) ? " is-light" : ""}`}
              style={{ ["--swatch" as string]: hex }}
              data-testid={`color-${i}`}
              aria-label={label}
              aria-pressed={on}
              tabIndex={on ? 0 : -1}
              title={key ? `${label} (key ${key})` : label}
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
          disabled={!target || (!watching && !live)}
          onClick={() => target && placeAt(target.x, target.y)}
        >
          {target ? (
            <>
              <span className="place-dot" style={{ background: selectedHex }} aria-hidden="true" />
              {!watching && !live ? "Offline — placing paused" : `Place (${target.x}, ${target.y})`}
            </>
          ) : (
            placeText
          )}
        </button>
      </div>
    </footer>
  );
}
