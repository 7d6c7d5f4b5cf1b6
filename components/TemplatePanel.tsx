"use client";
// The template overlay's panel: load an image (file or https address), put it where it goes on
// the board (position and width in board pixels), set its opacity, show only the pixels the board
// does not match yet. A URL template is part of the page address (share it with "copy link");
// every template is kept for this board on this device.

import { useState, type FormEvent } from "react";
import { useShallow } from "zustand/react/shallow";
import { copyLink, loadTemplateFile, loadTemplateUrl, setTemplate } from "@/lib/client/controller";
import { getState, useTessera, type TemplateState } from "@/lib/client/store";
import { pixelAt } from "@/lib/client/viewport";
import { CloseIcon, LinkIcon } from "./Icons";

export function TemplatePanel() {
  const { open, t, size, note, mismatches } = useTessera(
    useShallow((s) => ({
      open: s.templatePanelOpen,
      t: s.template,
      size: s.templateSize,
      note: s.templateNote,
      mismatches: s.templateMismatches,
    })),
  );
  const [url, setUrl] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (!open) return null;

  const update = (patch: Partial<TemplateState>) => {
    const cur = getState().template;
    if (cur) setTemplate({ ...cur, ...patch });
  };
  const num = (v: string, d: number) => (v.trim() === "" || !Number.isFinite(Number(v)) ? d : Number(v));

  async function load(p: Promise<string | null>) {
    setBusy(true);
    setError(null);
    const err = await p;
    setBusy(false);
    setError(err);
  }

  function onUrl(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    void load(loadTemplateUrl(url));
  }

  function moveToView() {
    const s = getState();
    if (!s.view || !t) return;
    const c = pixelAt(s.view, s.viewportSize.width / 2, s.viewportSize.height / 2, { width: s.width, height: s.height });
    if (!c) return;
    const h = size?.height ?? 0;
    update({ x: c.x - Math.floor((size?.width ?? t.width) / 2), y: c.y - Math.floor(h / 2) });
  }

  return (
    <section className="template-panel" data-testid="template-panel" aria-labelledby="template-title">
      <header className="panel-head">
        <h2 id="template-title">Template overlay</h2>
        <button type="button" className="icon-btn icon-btn-small" aria-label="Close the template panel" onClick={() => useTessera.setState({ templatePanelOpen: false })}>
          <CloseIcon />
        </button>
      </header>

      {!t ? (
        <>
          <form className="template-url" onSubmit={onUrl}>
            <label className="field-label" htmlFor="template-url">
              Image address (https)
            </label>
            <div className="row">
              <input
                id="template-url"
                data-testid="template-url"
                className="text-input text-input-small"
                type="url"
                inputMode="url"
                placeholder="https://…/template.png"
                value={url}
                onChange={(e) => setUrl(e.target.value)}
              />
              <button type="submit" className="btn btn-small btn-primary" disabled={busy || url.trim() === ""}>
                Load
              </button>
            </div>
          </form>
          <label className="btn btn-small file-btn">
            Load an image file…
            <input
              type="file"
              accept="image/png,image/gif,image/webp,image/jpeg"
              data-testid="template-file"
              className="sr-only"
              onChange={(e) => {
                const f = e.target.files?.[0];
                if (f) void load(loadTemplateFile(f));
                e.target.value = "";
              }}
            />
          </label>
          <p className="field-hint">A file stays on this device; an image address can be shared through the page link.</p>
          {error && (
            <p className="field-error" role="alert" data-testid="template-error">
              {error}
            </p>
          )}
        </>
      ) : (
        <>
          <p className="template-source" title={t.label}>
            {t.kind === "file" ? "File: " : "Image: "}
            <span>{t.label}</span>
          </p>
          <div className="template-grid">
            <label>
              x
              <input
                type="number"
                data-testid="template-x"
                className="text-input text-input-small"
                value={t.x}
                onChange={(e) => update({ x: num(e.target.value, t.x) })}
              />
            </label>
            <label>
              y
              <input
                type="number"
                data-testid="template-y"
                className="text-input text-input-small"
                value={t.y}
                onChange={(e) => update({ y: num(e.target.value, t.y) })}
              />
            </label>
            <label>
              width
              <input
                type="number"
                min={1}
                data-testid="template-width"
                className="text-input text-input-small"
                value={t.width || size?.width || 0}
                onChange={(e) => update({ width: Math.max(1, num(e.target.value, t.width)) })}
              />
            </label>
          </div>
          <button type="button" className="btn btn-small" onClick={moveToView}>
            Centre on the view
          </button>
          <label className="range-row">
            Opacity
            <input
              type="range"
              min={5}
              max={100}
              step={5}
              data-testid="template-opacity"
              value={Math.round(t.opacity * 100)}
              onChange={(e) => update({ opacity: Number(e.target.value) / 100 })}
            />
            <span className="range-value">{Math.round(t.opacity * 100)}%</span>
          </label>
          <label className="check-row">
            <input
              type="checkbox"
              data-testid="template-mismatch"
              checked={t.mismatchOnly}
              disabled={note !== null}
              onChange={(e) => update({ mismatchOnly: e.target.checked })}
            />
            Show only pixels still to place
          </label>
          {mismatches !== null && note === null && (
            <p className="template-count" data-testid="template-mismatches" aria-live="polite">
              {mismatches === 0 ? "Done: the board matches the template." : `${mismatches.toLocaleString()} pixels still differ.`}
            </p>
          )}
          {note && <p className="field-hint">{note}</p>}
          <div className="template-actions">
            <button type="button" className="btn btn-small" data-testid="template-hide" aria-pressed={t.hidden} onClick={() => update({ hidden: !t.hidden })}>
              {t.hidden ? "Show" : "Hide"}
            </button>
            {t.kind === "url" && (
              <button type="button" className="btn btn-small" onClick={() => void copyLink()}>
                <LinkIcon /> Share
              </button>
            )}
            <button type="button" className="btn btn-small" data-testid="template-remove" onClick={() => setTemplate(null)}>
              Remove
            </button>
          </div>
        </>
      )}
    </section>
  );
}
