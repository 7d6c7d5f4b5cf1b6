"use client";
// The moderation panel (SPEC §12), for moderators only: the inspected pixel's author with ban and
// rollback, a rectangle wipe (typed, or drawn on the board), freeze, and the audit log. Every
// destructive action asks for confirmation first; results and errors are shown in the panel.
// Loaded on demand (next/dynamic in BoardExtras): nobody else downloads it.

import { useCallback, useEffect, useId, useRef, useState, type CSSProperties, type PointerEvent as ReactPointerEvent } from "react";
import { createPortal } from "react-dom";
import { useExtras } from "@/lib/client/extras-store";
import { errorText } from "@/lib/client/extras-http";
import { formatAbsolute, formatRelative } from "@/lib/client/format";
import {
  actorName,
  ban,
  BAN_DURATIONS,
  banReasonProblem,
  describeEntry,
  freeze,
  getBoardState,
  getModLog,
  isUserId,
  type ModLogEntry,
  parseAfterSeq,
  type Rect,
  rectArea,
  rectFromCorners,
  rollback,
  unban,
  wipe,
  wipeProblem,
} from "@/lib/client/moderation";
import { useTessera } from "@/lib/client/store";
import { colorLabel } from "@/lib/palette";
import type { BoardState } from "@/lib/protocol";
import { CloseIcon } from "./Icons";

/** A ban until this far in the future or later reads "until unbanned" (the server's forever is 9e15 ms). */
const FOREVER_AFTER_MS = 100 * 365 * 86_400_000;

interface Pending {
  title: string;
  detail: string;
  confirmLabel: string;
  run: () => Promise<string>;
}

type Outcome = { kind: "ok" | "error"; text: string } | null;

export function ModPanel({ board }: { board: string }) {
  const width = useTessera((s) => s.width);
  const height = useTessera((s) => s.height);
  const palette = useTessera((s) => s.palette);
  const target = useExtras((s) => s.modTarget);
  const history = useExtras((s) => s.history);
  const wipeRect = useExtras((s) => s.wipeRect);
  const rectDrawing = useExtras((s) => s.rectDrawing);
  const ids = useId();

  const [state, setBoardState] = useState<BoardState | null>(null);
  const [userId, setUserId] = useState(target?.id ?? "");
  const [reason, setReason] = useState("");
  const [duration, setDuration] = useState(1);
  const [afterSeq, setAfterSeq] = useState("");
  const [fields, setFields] = useState(() => rectFields(wipeRect));
  const [color, setColor] = useState(0);
  const [pending, setPending] = useState<Pending | null>(null);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [touched, setTouched] = useState({ reason: false });
  const [log, setLog] = useState<{ entries: ModLogEntry[]; next: string | null; status: "loading" | "ok" | "error"; message?: string }>({
    entries: [],
    next: null,
    status: "loading",
  });
  const cancelRef = useRef<HTMLButtonElement | null>(null);

  // The inspected pixel's author (or one picked in its history) becomes the user acted on.
  useEffect(() => {
    if (target) setUserId(target.id);
  }, [target]);

  // A rectangle drawn on the board fills the fields.
  useEffect(() => {
    if (wipeRect) setFields(rectFields(wipeRect));
  }, [wipeRect]);

  const loadLog = useCallback(
    async (after: string | null) => {
      setLog((l) => ({ ...l, status: "loading" }));
      try {
        const page = await getModLog(board, after);
        setLog((l) => ({ entries: after === null ? page.entries : [...l.entries, ...page.entries], next: page.next, status: "ok" }));
      } catch (e) {
        setLog((l) => ({ ...l, status: "error", message: errorText(e) }));
      }
    },
    [board],
  );

  const refresh = useCallback(() => {
    getBoardState(board).then(setBoardState, () => setBoardState(null));
    void loadLog(null);
  }, [board, loadLog]);

  useEffect(() => {
    refresh();
  }, [refresh]);

  useEffect(() => {
    if (pending) cancelRef.current?.focus();
  }, [pending]);

  // Escape leaves the confirmation, then the panel's drawing mode.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape") return;
      if (pending) setPending(null);
      else if (useExtras.getState().rectDrawing) useExtras.setState({ rectDrawing: false });
      else return;
      e.stopPropagation();
    };
    window.addEventListener("keydown", onKey, true);
    return () => window.removeEventListener("keydown", onKey, true);
  }, [pending]);

  const name = target && target.id === userId.trim() ? `${target.name} (${target.id})` : userId.trim();
  const idOk = isUserId(userId.trim());
  const reasonProblem = banReasonProblem(reason);
  const after = parseAfterSeq(afterSeq);
  const rect = parseRect(fields);
  const rectProblem = rect ? wipeProblem(rect, width, height) : "Fill in both corners (whole numbers).";

  const ask = (p: Pending) => {
    setOutcome(null);
    setPending(p);
  };

  const confirm = async () => {
    if (!pending) return;
    const p = pending;
    setPending(null);
    setBusy(true);
    try {
      setOutcome({ kind: "ok", text: await p.run() });
    } catch (e) {
      setOutcome({ kind: "error", text: `${p.confirmLabel} failed: ${errorText(e)}` });
    } finally {
      setBusy(false);
      refresh();
    }
  };

  const doBan = () => {
    setTouched({ reason: true });
    if (!idOk || reasonProblem) return;
    const d = BAN_DURATIONS[duration];
    const uid = userId.trim();
    const why = reason.trim();
    ask({
      title: `Ban ${name}?`,
      detail: `${d.ms === null ? "Until unbanned" : `For ${d.label}`}, on every board: their placements are refused and their open tabs are closed. Reason: “${why}”.`,
      confirmLabel: "Ban",
      run: async () => {
        const r = await ban(board, uid, why, d.ms);
        setReason("");
        setTouched({ reason: false });
        const until = r.until - Date.now() > FOREVER_AFTER_MS ? "until unbanned" : `until ${formatAbsolute(r.until)}`;
        return `Banned ${r.user.name} (${r.user.id}) ${until}.`;
      },
    });
  };

  const doUnban = async () => {
    if (!idOk) return;
    setBusy(true);
    setOutcome(null);
    try {
      const r = await unban(board, userId.trim());
      setOutcome({ kind: "ok", text: `Unbanned ${r.user.name} (${r.user.id}).` });
    } catch (e) {
      setOutcome({ kind: "error", text: `Unban failed: ${errorText(e)}` });
    } finally {
      setBusy(false);
      refresh();
    }
  };

  const doRollback = () => {
    if (!idOk || after === "invalid") return;
    const uid = userId.trim();
    ask({
      title: `Roll back ${name}?`,
      detail: `Every pixel whose latest placement is theirs${after ? ` (after #${after})` : ""} goes back to the colour before it. Written as new placements of “moderation”.`,
      confirmLabel: "Roll back",
      run: async () => {
        const r = await rollback(board, uid, after);
        if (r.reverted === 0) return `Nothing to roll back: no pixel of ${uid} shows their colour${after ? ` after #${after}` : ""}.`;
        return `Rolled back ${uid}: ${r.reverted.toLocaleString("en-US")} pixel${r.reverted === 1 ? "" : "s"} reverted (#${r.firstSeq}–#${r.lastSeq}).`;
      },
    });
  };

  const doWipe = () => {
    if (!rect || rectProblem) return;
    const hex = palette[color];
    ask({
      title: `Wipe ${rectArea(rect).toLocaleString("en-US")} pixels?`,
      detail: `From (${rect.x0}, ${rect.y0}) to (${rect.x1}, ${rect.y1}), all set to ${hex ? colorLabel(hex) : `colour ${color}`}.`,
      confirmLabel: "Wipe",
      run: async () => {
        const r = await wipe(board, rect, color);
        return `Wiped ${r.pixels.toLocaleString("en-US")} pixels (#${r.firstSeq}–#${r.lastSeq}).`;
      },
    });
  };

  const doFreeze = (frozen: boolean) => {
    const run = async () => {
      const r = await freeze(board, frozen);
      setBoardState(r.state);
      return r.state === "frozen" ? "The board is frozen: nobody can place." : "The board is open again.";
    };
    if (!frozen) {
      setBusy(true);
      run().then(
        (text) => setOutcome({ kind: "ok", text }),
        (e: unknown) => setOutcome({ kind: "error", text: `Unfreeze failed: ${errorText(e)}` }),
      ).finally(() => {
        setBusy(false);
        refresh();
      });
      return;
    }
    ask({ title: "Freeze the board?", detail: "Nobody can place until it is unfrozen; everything already placed stays.", confirmLabel: "Freeze", run });
  };

  const author = history && history.status === "ok" ? history : null;
  const disabled = busy || pending !== null;

  return (
    <section className="mod-panel extras-panel" data-testid="mod-panel" aria-labelledby={`${ids}-title`}>
      <header className="panel-head">
        <h2 id={`${ids}-title`}>Moderation</h2>
        <button type="button" className="icon-btn icon-btn-small" aria-label="Close the moderation panel" onClick={() => useExtras.setState({ modOpen: false, rectDrawing: false })}>
          <CloseIcon />
        </button>
      </header>

      {pending && (
        <div className="mod-confirm" role="alertdialog" aria-labelledby={`${ids}-confirm`} aria-describedby={`${ids}-confirm-detail`} data-testid="mod-confirm-box">
          <p id={`${ids}-confirm`} className="mod-confirm-title">
            {pending.title}
          </p>
          <p id={`${ids}-confirm-detail`} className="mod-confirm-detail">
            {pending.detail}
          </p>
          <div className="mod-row">
            <button type="button" className="btn btn-small btn-danger" data-testid="mod-confirm" onClick={() => void confirm()}>
              {pending.confirmLabel}
            </button>
            <button type="button" ref={cancelRef} className="btn btn-small" data-testid="mod-cancel" onClick={() => setPending(null)}>
              Cancel
            </button>
          </div>
        </div>
      )}

      <div role="status" aria-live="polite" className="mod-outcome-slot">
        {busy && <p className="muted">Working…</p>}
        {outcome && (
          <p className={outcome.kind === "ok" ? "mod-ok" : "error-text"} data-testid="mod-result" data-kind={outcome.kind}>
            {outcome.text}
          </p>
        )}
      </div>

      <fieldset className="mod-section" disabled={disabled}>
        <legend>User</legend>
        <p className="mod-note" data-testid="mod-author">
          {author && target
            ? `Pixel (${author.x}, ${author.y}) was placed by ${target.name} (${target.id}).`
            : "Shift+click a pixel to act on its author, or type a user id."}
        </p>
        <label className="mod-label" htmlFor={`${ids}-user`}>
          User id
        </label>
        <input
          id={`${ids}-user`}
          data-testid="mod-user"
          className="text-input text-input-small"
          value={userId}
          spellCheck={false}
          autoComplete="off"
          aria-invalid={userId.trim() !== "" && !idOk}
          onChange={(e) => setUserId(e.target.value)}
        />

        <div className="mod-sub">
          <label className="mod-label" htmlFor={`${ids}-reason`}>
            Ban reason
          </label>
          <input
            id={`${ids}-reason`}
            data-testid="mod-ban-reason"
            className="text-input text-input-small"
            value={reason}
            maxLength={400}
            aria-invalid={touched.reason && reasonProblem !== null}
            aria-describedby={`${ids}-reason-err`}
            onChange={(e) => setReason(e.target.value)}
          />
          <p id={`${ids}-reason-err`} className="mod-field-error">
            {touched.reason && reasonProblem ? reasonProblem : ""}
          </p>
          <div className="mod-row">
            <label className="mod-label mod-inline" htmlFor={`${ids}-duration`}>
              For
            </label>
            <select id={`${ids}-duration`} data-testid="mod-ban-duration" className="mod-select" value={duration} onChange={(e) => setDuration(Number(e.target.value))}>
              {BAN_DURATIONS.map((d, i) => (
                <option key={d.label} value={i}>
                  {d.label}
                </option>
              ))}
            </select>
            <button type="button" className="btn btn-small btn-danger" data-testid="mod-ban" disabled={!idOk} onClick={doBan}>
              Ban…
            </button>
            <button type="button" className="btn btn-small" data-testid="mod-unban" disabled={!idOk} onClick={() => void doUnban()}>
              Unban
            </button>
          </div>
        </div>

        <div className="mod-sub">
          <label className="mod-label" htmlFor={`${ids}-after`}>
            Roll back only after seq (optional)
          </label>
          <div className="mod-row">
            <input
              id={`${ids}-after`}
              data-testid="mod-rollback-after"
              className="text-input text-input-small mod-num"
              inputMode="numeric"
              placeholder="all"
              value={afterSeq}
              aria-invalid={after === "invalid"}
              onChange={(e) => setAfterSeq(e.target.value)}
            />
            <button type="button" className="btn btn-small btn-danger" data-testid="mod-rollback" disabled={!idOk || after === "invalid"} onClick={doRollback}>
              Roll back…
            </button>
          </div>
          {after === "invalid" && <p className="mod-field-error">A whole number of 0 or more.</p>}
        </div>
      </fieldset>

      <fieldset className="mod-section" disabled={disabled}>
        <legend>Wipe a rectangle</legend>
        <div className="mod-rect">
          {(["x0", "y0", "x1", "y1"] as const).map((k) => (
            <label key={k}>
              {k}
              <input
                data-testid={`mod-wipe-${k}`}
                className="text-input text-input-small"
                inputMode="numeric"
                value={fields[k]}
                onChange={(e) => {
                  const next = { ...fields, [k]: e.target.value };
                  setFields(next);
                  useExtras.setState({ wipeRect: parseRect(next) });
                }}
              />
            </label>
          ))}
        </div>
        <div className="mod-row">
          <button
            type="button"
            className={`btn btn-small${rectDrawing ? " is-on" : ""}`}
            data-testid="mod-wipe-draw"
            aria-pressed={rectDrawing}
            onClick={() => useExtras.setState({ rectDrawing: !rectDrawing })}
          >
            {rectDrawing ? "Drawing… (Esc)" : "Draw on the board"}
          </button>
          <label className="mod-label mod-inline" htmlFor={`${ids}-color`}>
            Colour
          </label>
          <select id={`${ids}-color`} data-testid="mod-wipe-color" className="mod-select" value={color} onChange={(e) => setColor(Number(e.target.value))}>
            {palette.map((hex, i) => (
              <option key={hex} value={i}>
                {colorLabel(hex)}
              </option>
            ))}
          </select>
        </div>
        <p className={rect && !rectProblem ? "mod-note" : "mod-field-error"} data-testid="mod-wipe-area">
          {rect && !rectProblem ? `${rectArea(rect).toLocaleString("en-US")} pixels.` : rectProblem}
        </p>
        <button type="button" className="btn btn-small btn-danger" data-testid="mod-wipe" disabled={!rect || rectProblem !== null} onClick={doWipe}>
          Wipe…
        </button>
      </fieldset>

      <fieldset className="mod-section" disabled={disabled}>
        <legend>Board</legend>
        <div className="mod-row">
          <span className="mod-note" data-testid="mod-board-state" data-state={state ?? "unknown"}>
            {state === null ? "State unknown." : state === "frozen" ? "Frozen: placing is refused." : "Open."}
          </span>
          <button type="button" className="btn btn-small" data-testid="mod-freeze" disabled={state === null} onClick={() => doFreeze(state !== "frozen")}>
            {state === "frozen" ? "Unfreeze" : "Freeze…"}
          </button>
        </div>
      </fieldset>

      <section className="mod-log" aria-labelledby={`${ids}-log`}>
        <h3 id={`${ids}-log`}>Audit log</h3>
        {log.status === "error" && (
          <p className="error-text" role="alert">
            Could not load the log: {log.message}
          </p>
        )}
        {log.entries.length === 0 && log.status === "ok" && <p className="muted">Nothing yet.</p>}
        <ol data-testid="mod-log">
          {log.entries.map((e, i) => {
            const at = Date.parse(e.at);
            return (
              <li key={e.id ?? `${e.at}-${i}`} data-testid="mod-log-entry" data-action={e.action}>
                <span className="mod-log-when">
                  <time dateTime={e.at} title={Number.isFinite(at) ? formatAbsolute(at) : undefined}>
                    {Number.isFinite(at) ? formatRelative(at, Date.now()) : e.at}
                  </time>
                </span>{" "}
                <strong>{actorName(e.actor)}</strong> {describeEntry(e)}
              </li>
            );
          })}
        </ol>
        {log.next && (
          <button type="button" className="btn btn-small" data-testid="mod-log-more" disabled={log.status === "loading"} onClick={() => void loadLog(log.next)}>
            Older entries
          </button>
        )}
      </section>

      {rectDrawing ? <RectPicker /> : wipeRect && !rectProblem && <RectOutline rect={wipeRect} />}
    </section>
  );
}

type RectFields = Record<"x0" | "y0" | "x1" | "y1", string>;

function rectFields(r: Rect | null): RectFields {
  return r ? { x0: String(r.x0), y0: String(r.y0), x1: String(r.x1), y1: String(r.y1) } : { x0: "", y0: "", x1: "", y1: "" };
}

function parseRect(f: RectFields): Rect | null {
  const v = [f.x0, f.y0, f.x1, f.y1].map((s) => (/^\s*\d{1,5}\s*$/.test(s) ? Number(s) : null));
  if (v.some((n) => n === null)) return null;
  const [x0, y0, x1, y1] = v as number[];
  return { x0, y0, x1, y1 };
}

/** The viewport element of the board page (BoardView renders it); overlays are portalled into it. */
function useViewportElement(): HTMLElement | null {
  const [el, setEl] = useState<HTMLElement | null>(null);
  useEffect(() => setEl(document.querySelector<HTMLElement>('[data-testid="viewport"]')), []);
  return el;
}

/** Where a board rectangle is on screen, in the viewport's own coordinates (as the board's transform puts it). */
function useRectStyle(r: Rect | null): CSSProperties | null {
  const view = useTessera((s) => s.view);
  if (!r || !view) return null;
  const z = view.zoom;
  return { left: view.panX + r.x0 * z, top: view.panY + r.y0 * z, width: (r.x1 - r.x0 + 1) * z, height: (r.y1 - r.y0 + 1) * z };
}

/** The wipe rectangle, outlined on the board while the panel is open. */
function RectOutline({ rect }: { rect: Rect }) {
  const host = useViewportElement();
  const style = useRectStyle(rect);
  if (!host || !style) return null;
  return createPortal(<div className="wipe-outline" data-testid="wipe-outline" style={style} aria-hidden="true" />, host);
}

/**
 * Drawing the wipe rectangle: a layer over the board that takes the pointer (so dragging draws
 * instead of panning, and nothing is placed); the wheel still zooms. Esc or the button ends it.
 */
function RectPicker() {
  const host = useViewportElement();
  const width = useTessera((s) => s.width);
  const height = useTessera((s) => s.height);
  const [drag, setDrag] = useState<{ a: { x: number; y: number }; b: { x: number; y: number } } | null>(null);
  const style = useRectStyle(drag ? rectFromCorners(drag.a, drag.b) : null);

  const toBoard = (e: ReactPointerEvent<HTMLDivElement>) => {
    const view = useTessera.getState().view;
    if (!host || !view) return null;
    const r = host.getBoundingClientRect();
    const x = Math.floor((e.clientX - r.left - view.panX) / view.zoom);
    const y = Math.floor((e.clientY - r.top - view.panY) / view.zoom);
    return { x: Math.max(0, Math.min(width - 1, x)), y: Math.max(0, Math.min(height - 1, y)) };
  };

  if (!host) return null;
  return createPortal(
    <div
      className="rect-picker"
      data-testid="rect-picker"
      onPointerDown={(e) => {
        if (e.button !== 0) return;
        const p = toBoard(e);
        if (!p) return;
        e.currentTarget.setPointerCapture(e.pointerId);
        setDrag({ a: p, b: p });
      }}
      onPointerMove={(e) => {
        if (!drag) return;
        const p = toBoard(e);
        if (p && (p.x !== drag.b.x || p.y !== drag.b.y)) setDrag({ a: drag.a, b: p });
      }}
      onPointerUp={(e) => {
        if (!drag) return;
        const p = toBoard(e) ?? drag.b;
        setDrag(null);
        useExtras.setState({ wipeRect: rectFromCorners(drag.a, p), rectDrawing: false });
      }}
      onPointerCancel={() => setDrag(null)}
    >
      <p className="rect-picker-hint">Drag over the board to choose the area to wipe. Esc cancels.</p>
      {style && <div className="wipe-outline is-drawing" style={style} aria-hidden="true" />}
    </div>,
    host,
  );
}
