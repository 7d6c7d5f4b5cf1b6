"use client";
// The timelapse (SPEC §13): the board's history on its own canvas layer over the live board, with
// a scrubber by time, play/pause, speed, a link to the moment (?seq=), and the server's GIF.
//
// The live board is left alone: it keeps receiving and drawing placements on its own canvas
// underneath; the past is drawn on a second canvas with the same transform (so pan and zoom
// follow the view), which takes the pointer — dragging pans, the wheel and a pinch zoom, a
// click places nothing. Closing the timelapse removes the layer: the live board shows again as it
// is now, having missed nothing. Frames come from lib/client/timelapse.ts's Replayer (a snapshot
// plus replayed placement pages).

import { useCallback, useEffect, useId, useMemo, useRef, useState, type KeyboardEvent, type PointerEvent as ReactPointerEvent } from "react";
import { createPortal } from "react-dom";
import { panBy, zoomBy } from "@/lib/client/controller";
import { useExtras } from "@/lib/client/extras-store";
import { boardPath } from "@/lib/client/api";
import { errorText, query } from "@/lib/client/extras-http";
import { formatAbsolute } from "@/lib/client/format";
import { parseMoment, withMoment } from "@/lib/client/history";
import { httpHistory, loadTimeMap, playbackRate, rateLabel, Replayer, Superseded, TIMELAPSE_SPEEDS, type TimeMap } from "@/lib/client/timelapse";
import { useTessera } from "@/lib/client/store";
import { TIMELAPSE_DEFAULT_FRAMES } from "@/lib/limits";
import { paletteRgba } from "@/lib/palette";
import { CloseIcon, DownloadIcon } from "./Icons";

/** The scrubber's position and the frame's seq reach React at most this often while playing. */
const UI_UPDATE_MS = 100;
/** A frame still loading after this long shows "loading" (shorter waits are not worth a flicker). */
const BUFFERING_SHOWN_AFTER_MS = 200;
/** The address follows the paused moment after this quiet time. */
const URL_UPDATE_MS = 300;
/** Pages fetched ahead of the playing frame. */
const PREFETCH_PAGES = 2;

interface PlayerView {
  /** History time of the playhead, epoch ms. */
  pos: number;
  seq: number;
  playing: boolean;
  buffering: boolean;
}

/** The imperative half: replayer, layer canvas, animation loop. React only shows its state. */
class Player {
  readonly replayer: Replayer;
  pos: number;
  playing = false;
  speed = 1;
  private ctx: CanvasRenderingContext2D | null = null;
  private image: ImageData | null = null;
  private words: Uint32Array | null = null;
  private readonly colors: Uint32Array;
  private dirty: [number, number, number, number] | null = null;
  private full = true;
  private inflight = 0;
  private inflightSince = 0;
  private frame = 0;
  private last = 0;
  private lastEmit = 0;
  private destroyed = false;

  constructor(
    readonly map: TimeMap,
    readonly width: number,
    readonly height: number,
    maxSeq: number,
    board: string,
    palette: readonly string[],
    private readonly root: () => HTMLElement | null,
    private readonly onView: (v: PlayerView) => void,
    private readonly onError: (message: string) => void,
  ) {
    this.colors = paletteRgba(palette);
    this.pos = map.start - 1;
    this.replayer = new Replayer(width, height, maxSeq, httpHistory(board), {
      onPixel: (i) => this.mark(i),
      onReset: () => {
        this.full = true;
      },
    });
  }

  /** Start of the timeline: just before the first placement (the empty board). */
  get start(): number {
    return this.map.start - 1;
  }

  get end(): number {
    return this.map.end;
  }

  attach(canvas: HTMLCanvasElement | null): void {
    this.ctx = canvas ? canvas.getContext("2d") : null;
    this.image = null;
    this.full = true;
    this.draw();
  }

  play(): void {
    if (this.pos >= this.end) this.seekTime(this.start);
    this.playing = true;
    this.last = performance.now();
    this.loop();
    this.emit(true);
  }

  pause(): void {
    this.playing = false;
    this.emit(true);
  }

  setSpeed(speed: number): void {
    this.speed = speed;
  }

  /** Show the board at history time t (its estimated seq). */
  seekTime(t: number): void {
    this.pos = Math.max(this.start, Math.min(this.end, t));
    this.show(this.map.seqAt(this.pos));
    this.emit(true);
  }

  /** Show the board after exactly this seq; the playhead goes to `at` (its time) when known. */
  seekSeq(seq: number, at?: number): void {
    this.pos = Math.max(this.start, Math.min(this.end, at ?? (seq <= 0 ? this.start : this.map.timeAt(seq))));
    this.show(seq);
    this.emit(true);
  }

  destroy(): void {
    this.destroyed = true;
    this.playing = false;
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
  }

  private loop(): void {
    if (this.frame || this.destroyed) return;
    this.frame = requestAnimationFrame((now) => {
      this.frame = 0;
      this.tick(now);
      if (this.playing) this.loop();
    });
  }

  private tick(now: number): void {
    const dt = now - this.last;
    this.last = now;
    if (!this.playing) return;
    // While a frame is still loading the clock waits, so playback never skips what it has not shown.
    if (this.inflight === 0) {
      this.pos = Math.min(this.end, this.pos + dt * playbackRate(this.end - this.start, this.speed));
      // Never backwards while playing (the estimate of a seq's time may round below the frame shown).
      const target = Math.max(this.map.seqAt(this.pos), this.replayer.seq);
      if (target !== this.replayer.seq) this.show(target);
      this.replayer.prefetch(this.replayer.seq, this.replayer.pagePlacements * PREFETCH_PAGES);
      if (this.pos >= this.end && this.inflight === 0) this.playing = false;
    }
    this.emit(!this.playing);
  }

  private show(target: number): void {
    if (this.inflight === 0) this.inflightSince = performance.now();
    this.inflight++;
    this.replayer
      .goTo(target)
      .then(
        () => this.draw(),
        (e: unknown) => {
          if (e instanceof Superseded) return;
          this.playing = false;
          this.onError(errorText(e));
        },
      )
      .finally(() => {
        this.inflight--;
        if (this.inflight === 0 && this.pos >= this.end) this.playing = false;
        this.emit(true);
      });
  }

  private mark(i: number): void {
    if (this.full) return;
    const x = i % this.width;
    const y = (i - x) / this.width;
    const d = this.dirty;
    if (!d) this.dirty = [x, y, x, y];
    else {
      if (x < d[0]) d[0] = x;
      if (y < d[1]) d[1] = y;
      if (x > d[2]) d[2] = x;
      if (y > d[3]) d[3] = y;
    }
  }

  /** Put the replayer's pixels on the layer: the changed box, or everything after a reset. */
  private draw(): void {
    const ctx = this.ctx;
    if (!ctx || this.destroyed) return;
    if (!this.image) {
      this.image = ctx.createImageData(this.width, this.height);
      this.words = new Uint32Array(this.image.data.buffer);
      this.full = true;
    }
    const px = this.replayer.pixels;
    const words = this.words!;
    const w = this.width;
    const box: [number, number, number, number] | null = this.full ? [0, 0, w - 1, this.height - 1] : this.dirty;
    if (box) {
      const [x0, y0, x1, y1] = box;
      for (let y = y0; y <= y1; y++) {
        const row = y * w;
        for (let x = x0; x <= x1; x++) words[row + x] = this.colors[px[row + x]] ?? 0xff000000;
      }
      ctx.putImageData(this.image, 0, 0, x0, y0, x1 - x0 + 1, y1 - y0 + 1);
    }
    this.full = false;
    this.dirty = null;
    // The frame and the seq it shows change together (the e2e specs read both at once).
    const r = this.root();
    if (r) r.dataset.seq = String(this.replayer.seq);
  }

  private emit(force: boolean): void {
    const now = performance.now();
    if (!force && now - this.lastEmit < UI_UPDATE_MS) return;
    this.lastEmit = now;
    this.onView({
      pos: this.pos,
      seq: this.replayer.seq,
      playing: this.playing,
      buffering: this.inflight > 0 && now - this.inflightSince > BUFFERING_SHOWN_AFTER_MS,
    });
  }
}

type Phase = { kind: "loading" } | { kind: "empty" } | { kind: "error"; message: string } | { kind: "ready"; player: Player; maxSeq: number };

export function Timelapse({ board }: { board: string }) {
  const palette = useTessera((s) => s.palette);
  const ids = useId();
  const rootRef = useRef<HTMLElement | null>(null);
  const [phase, setPhase] = useState<Phase>({ kind: "loading" });
  const [view, setView] = useState<PlayerView>({ pos: 0, seq: 0, playing: false, buffering: false });
  const [speed, setSpeed] = useState(1);
  const [error, setError] = useState<string | null>(null);

  // Load the board's size, its current seq and the seq ↔ time samples; then go to the linked moment.
  useEffect(() => {
    let live = true;
    let player: Player | null = null;
    (async () => {
      const source = httpHistory(board);
      const info = await source.info();
      if (!live) return;
      if (info.seq === 0) {
        setPhase({ kind: "empty" });
        return;
      }
      const map = await loadTimeMap(source, info.seq);
      if (!live) return;
      player = new Player(map, info.width, info.height, info.seq, board, palette, () => rootRef.current, setView, setError);
      const moment = parseMoment(window.location.search);
      if (moment?.kind === "seq") player.seekSeq(Math.min(moment.seq, info.seq));
      else if (moment?.kind === "time") {
        const seq = await map.exactSeqAt(moment.t, (s) => source.placedAt(s));
        if (!live) return;
        player.seekSeq(seq, moment.t);
      } else player.seekSeq(0);
      setPhase({ kind: "ready", player, maxSeq: info.seq });
    })().catch((e: unknown) => {
      if (live) setPhase({ kind: "error", message: errorText(e) });
    });
    return () => {
      live = false;
      player?.destroy();
    };
    // The palette is fixed per board: a new array of the same colours must not reload the history.
  }, [board]);

  const player = phase.kind === "ready" ? phase.player : null;

  // The address names the moment shown while paused (?seq=), and forgets it when the timelapse closes.
  useEffect(() => {
    if (!player || view.playing) return;
    const t = setTimeout(() => replaceSearch(withMoment(window.location.search, view.seq)), URL_UPDATE_MS);
    return () => clearTimeout(t);
  }, [player, view.playing, view.seq]);
  useEffect(() => () => replaceSearch(withMoment(window.location.search, null)), []);

  const close = () => useExtras.setState({ timelapseOpen: false });

  // Escape inside the bar closes it (and does not reach the board's own Escape).
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      e.stopPropagation();
      close();
    }
  };

  const gifHref = phase.kind === "ready" ? boardPath(board, `/timelapse.gif${query({ from: 0, to: phase.maxSeq, frames: TIMELAPSE_DEFAULT_FRAMES })}`) : null;
  const span = player ? player.end - player.start : 0;
  const label = useMemo(() => (player ? timeLabel(view.pos, player) : ""), [player, view.pos]);

  return (
    <section
      ref={rootRef}
      className="timelapse-bar extras-panel"
      data-testid="timelapse"
      data-state={phase.kind}
      data-playing={view.playing}
      aria-labelledby={`${ids}-title`}
      onKeyDown={onKeyDown}
    >
      <h2 id={`${ids}-title`} className="sr-only">
        Timelapse
      </h2>
      {phase.kind === "loading" && <p className="timelapse-msg">Loading the board&apos;s history…</p>}
      {phase.kind === "empty" && <p className="timelapse-msg">Nothing has been placed on this board yet.</p>}
      {phase.kind === "error" && (
        <p className="timelapse-msg error-text" role="alert">
          Could not load the history: {phase.message}
        </p>
      )}
      {player && phase.kind === "ready" && (
        <>
          <button
            type="button"
            className="btn btn-small btn-primary timelapse-play"
            data-testid="timelapse-play"
            aria-label={view.playing ? "Pause the timelapse" : "Play the timelapse"}
            onClick={() => (view.playing ? player.pause() : player.play())}
          >
            {view.playing ? <PauseIcon /> : <PlayIcon />}
          </button>
          <div className="timelapse-track">
            <input
              type="range"
              className="timelapse-scrubber"
              data-testid="timelapse-scrubber"
              aria-label="Moment of the board's history"
              aria-valuetext={`${label}, placement ${view.seq} of ${phase.maxSeq}`}
              min={player.start}
              max={player.end}
              step={Math.max(1, Math.round(span / 2000))}
              value={view.pos}
              onChange={(e) => player.seekTime(Number(e.target.value))}
            />
            <div className="timelapse-readout">
              <span data-testid="timelapse-time">{label}</span>
              <span className="muted" data-testid="timelapse-seq">
                #{view.seq.toLocaleString("en-US")} of {phase.maxSeq.toLocaleString("en-US")}
                {view.buffering ? " · loading…" : ""}
              </span>
            </div>
          </div>
          <label className="timelapse-speed">
            <span className="sr-only">Speed</span>
            <select
              data-testid="timelapse-speed"
              className="mod-select"
              value={speed}
              title={rateLabel(span, speed)}
              onChange={(e) => {
                const v = Number(e.target.value);
                setSpeed(v);
                player.setSpeed(v);
              }}
            >
              {TIMELAPSE_SPEEDS.map((s) => (
                <option key={s} value={s}>
                  {s}×
                </option>
              ))}
            </select>
          </label>
          {gifHref && (
            <a className="icon-btn" data-testid="timelapse-gif" href={gifHref} download={`tessera-${board}-timelapse.gif`} aria-label="Download the timelapse as a GIF" title="Download as GIF">
              <DownloadIcon />
            </a>
          )}
          <TimelapseLayer player={player} />
        </>
      )}
      {error && (
        <p className="timelapse-msg error-text" role="alert">
          {error}
        </p>
      )}
      <button type="button" className="icon-btn icon-btn-small timelapse-close" data-testid="timelapse-close" aria-label="Close the timelapse" onClick={close}>
        <CloseIcon />
      </button>
    </section>
  );
}

function replaceSearch(search: string): void {
  if (search === window.location.search) return;
  window.history.replaceState(window.history.state, "", `${window.location.pathname}${search}${window.location.hash}`);
}

function timeLabel(pos: number, player: Player): string {
  return pos < player.map.start ? "Before the first pixel" : formatAbsolute(pos);
}

/** The past, drawn over the live board with the board's own transform. */
function TimelapseLayer({ player }: { player: Player }) {
  const view = useTessera((s) => s.view);
  const [host, setHost] = useState<HTMLElement | null>(null);
  // Pointers down on the layer (client coordinates): one drags the view, two pinch it.
  const pointers = useRef(new Map<number, { x: number; y: number }>());
  // One stable ref callback: a new one per render would detach and reattach (and redraw) the layer.
  const attach = useCallback((el: HTMLCanvasElement | null) => player.attach(el), [player]);

  useEffect(() => setHost(document.querySelector<HTMLElement>('[data-testid="viewport"]')), []);

  const move = (e: ReactPointerEvent<HTMLCanvasElement>) => {
    const ps = pointers.current;
    const p = ps.get(e.pointerId);
    if (!p || !host) return;
    if (ps.size === 1) {
      panBy(e.clientX - p.x, e.clientY - p.y);
    } else if (ps.size === 2) {
      const [a, b] = [...ps.values()];
      const before = { mid: { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 }, dist: Math.hypot(a.x - b.x, a.y - b.y) };
      ps.set(e.pointerId, { x: e.clientX, y: e.clientY });
      const [c, d] = [...ps.values()];
      const mid = { x: (c.x + d.x) / 2, y: (c.y + d.y) / 2 };
      const r = host.getBoundingClientRect();
      if (before.dist > 0) zoomBy(Math.hypot(c.x - d.x, c.y - d.y) / before.dist, mid.x - r.left, mid.y - r.top);
      panBy(mid.x - before.mid.x, mid.y - before.mid.y);
      return;
    }
    ps.set(e.pointerId, { x: e.clientX, y: e.clientY });
  };
  const up = (e: ReactPointerEvent<HTMLCanvasElement>) => pointers.current.delete(e.pointerId);

  if (!host || !view) return null;
  return createPortal(
    <canvas
      ref={attach}
      className="timelapse-layer"
      data-testid="timelapse-layer"
      width={player.width}
      height={player.height}
      aria-hidden="true"
      style={{
        width: player.width,
        height: player.height,
        transform: `translate(${view.panX}px, ${view.panY}px) scale(${view.zoom})`,
        imageRendering: view.zoom < 1 ? "auto" : undefined,
      }}
      onPointerDown={(e) => {
        if (e.pointerType === "mouse" && e.button !== 0) return;
        e.currentTarget.setPointerCapture(e.pointerId);
        pointers.current.set(e.pointerId, { x: e.clientX, y: e.clientY });
      }}
      onPointerMove={move}
      onPointerUp={up}
      onPointerCancel={up}
    />,
    host,
  );
}

const PlayIcon = () => (
  <svg width="16" height="16" viewBox="0 0 24 24" fill="currentColor" aria-hidden="true">
    <path d="M7 4.5v15l13-7.5z" />
  </svg>
);

const PauseIcon = () => (
  <svg width="16" height="16" viewBox="0 0 24 24" fill="currentColor" aria-hidden="true">
    <path d="M6 4h4v16H6zM14 4h4v16h-4z" />
  </svg>
);
