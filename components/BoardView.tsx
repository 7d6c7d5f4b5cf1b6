"use client";
// The viewport: the board canvas (one canvas pixel per board pixel, zoomed and panned only by CSS
// transform), the grid/hover overlays, and every pointer, wheel and keyboard gesture.

import { useCallback, useEffect, useLayoutEffect, useRef } from "react";
import { useShallow } from "zustand/react/shallow";
import {
  attachCanvas,
  attachCursorLayer,
  attachTemplateCanvas,
  boardVisible,
  canvasResized,
  clearTarget,
  clickToPlace,
  templateCanvasResized,
  zoomToPlace,
  closePixelInfo,
  cycleColor,
  moveTarget,
  targetCentre,
  inspect,
  panBy,
  pickAt,
  placeAt,
  selectColor,
  setViewportSize,
  toggleEyedropper,
  zoomBy,
  zoomIn,
  zoomOut,
  fitToScreen,
} from "@/lib/client/controller";
import {
  DRAG_THRESHOLD_PX,
  GRID_MIN_ZOOM,
  KEY_PAN_PX,
  LONG_PRESS_MS,
  PLACE_MIN_ZOOM,
  TOUCH_DRAG_THRESHOLD_PX,
} from "@/lib/client/constants";
import { getState, samePoint, setState, useTessera } from "@/lib/client/store";
import { wheelZoomFactor, type Point } from "@/lib/client/viewport";

interface TrackedPointer {
  type: string;
  startX: number;
  startY: number;
  lastX: number;
  lastY: number;
}

interface Gesture {
  pointers: Map<number, TrackedPointer>;
  /** Moved past the threshold (a pan): no click/tap at the end. */
  moved: boolean;
  /** Two fingers were down at some point (a pinch): no tap at the end. */
  multi: boolean;
  longPressFired: boolean;
  longPressTimer: ReturnType<typeof setTimeout> | null;
  button: number;
  shift: boolean;
  alt: boolean;
  /** The board pixel under the first press. */
  pixel: Point | null;
}

function newGesture(): Gesture {
  return {
    pointers: new Map(),
    moved: false,
    multi: false,
    longPressFired: false,
    longPressTimer: null,
    button: 0,
    shift: false,
    alt: false,
    pixel: null,
  };
}

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.tagName) return false;
  return el.isContentEditable || el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT";
}

export function BoardView() {
  const { width, height, boardReady, view, hover, target, tool, selectedColor, palette, recent, template, templateSize } = useTessera(
    useShallow((s) => ({
      width: s.width,
      height: s.height,
      boardReady: s.boardReady,
      view: s.view,
      hover: s.hover,
      target: s.target,
      tool: s.tool,
      selectedColor: s.selectedColor,
      palette: s.palette,
      recent: s.recent,
      template: s.template,
      templateSize: s.templateSize,
    })),
  );
  const viewportRef = useRef<HTMLDivElement | null>(null);
  const canvasRef = useRef<HTMLCanvasElement | null>(null);
  const gesture = useRef<Gesture>(newGesture());
  const dragging = useRef(false);

  const setCanvas = useCallback((el: HTMLCanvasElement | null) => {
    canvasRef.current = el;
    attachCanvas(el);
  }, []);

  // The canvas got new width/height attributes (which clear it): repaint.
  useLayoutEffect(() => {
    if (width > 0 && height > 0) canvasResized();
  }, [width, height]);

  const tplW = templateSize?.width ?? 0;
  const tplH = templateSize?.height ?? 0;
  useLayoutEffect(() => {
    if (tplW > 0 && tplH > 0) templateCanvasResized();
  }, [tplW, tplH]);

  // Viewport size → store (the view keeps its centre on resize).
  useLayoutEffect(() => {
    const el = viewportRef.current;
    if (!el) return;
    const measure = () => setViewportSize({ width: el.clientWidth, height: el.clientHeight });
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  /** Board pixel under a client (page) point, from the canvas's own on-screen rectangle. */
  const pixelFromClient = useCallback((clientX: number, clientY: number): Point | null => {
    const c = canvasRef.current;
    const s = getState();
    if (!c || !s.boardReady || !s.view) return null;
    const r = c.getBoundingClientRect();
    if (r.width <= 0 || r.height <= 0) return null;
    const x = Math.floor(((clientX - r.left) * s.width) / r.width);
    const y = Math.floor(((clientY - r.top) * s.height) / r.height);
    if (x < 0 || y < 0 || x >= s.width || y >= s.height) return null;
    return { x, y };
  }, []);

  const localPoint = useCallback((clientX: number, clientY: number): Point => {
    const r = viewportRef.current!.getBoundingClientRect();
    return { x: clientX - r.left, y: clientY - r.top };
  }, []);

  // Wheel zoom needs a non-passive listener to stop the page from scrolling.
  useEffect(() => {
    const el = viewportRef.current;
    if (!el) return;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const p = localPoint(e.clientX, e.clientY);
      // Trackpad pinches arrive as ctrl+wheel with small deltas; make them as quick as wheel steps.
      const f = wheelZoomFactor(e.ctrlKey ? e.deltaY * 4 : e.deltaY, e.deltaMode);
      zoomBy(f, p.x, p.y);
    };
    el.addEventListener("wheel", onWheel, { passive: false });
    return () => el.removeEventListener("wheel", onWheel);
  }, [localPoint]);

  // Keyboard: arrows/WASD pan (or move the keyboard cursor), +/- zoom, 1-9/0 and [ ] colours,
  // i eyedropper, Enter/Space target then place, Esc closes.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      const s = getState();
      const cursor = s.target !== null && s.targetBy === "keyboard";
      const step = KEY_PAN_PX * (e.shiftKey ? 4 : 1);
      const cells = e.shiftKey ? 10 : 1;
      const move = (dx: number, dy: number) => (cursor ? moveTarget(dx * cells, dy * cells) : panBy(-dx * step, -dy * step));
      if (e.defaultPrevented) return;
      const el = e.target as HTMLElement | null;
      const onBoard = !el || el === document.body || el === document.documentElement || el === viewportRef.current;
      const k = e.key;
      let handled = true;
      switch (k) {
        case "ArrowLeft":
        case "a":
        case "A":
          move(-1, 0);
          break;
        case "ArrowRight":
        case "d":
        case "D":
          move(1, 0);
          break;
        case "ArrowUp":
        case "w":
        case "W":
          move(0, -1);
          break;
        case "ArrowDown":
        case "s":
        case "S":
          move(0, 1);
          break;
        case "+":
        case "=":
          zoomIn();
          break;
        case "-":
        case "_":
          zoomOut();
          break;
        case "[":
          cycleColor(-1);
          break;
        case "]":
          cycleColor(1);
          break;
        case "f":
        case "F":
          fitToScreen();
          break;
        case "i":
        case "I":
          toggleEyedropper();
          break;
        case "Escape":
          if (s.pixelInfo) closePixelInfo();
          else if (s.target) clearTarget();
          else if (s.tool === "pick") setState({ tool: "place" });
          else handled = false;
          break;
        case "Enter":
        case " ":
          // Buttons and links keep their own Enter/Space.
          if (!onBoard) handled = false;
          else if (!s.target) targetCentre();
          else if (s.tool === "pick") pickAt(s.target.x, s.target.y);
          else placeAt(s.target.x, s.target.y);
          break;
        default:
          if (/^[0-9]$/.test(k)) {
            // Keyboard order: 1…9 then 0 pick the first ten colours.
            const d = Number(k);
            selectColor(d === 0 ? 9 : d - 1);
          } else handled = false;
      }
      if (handled) e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const cancelLongPress = (g: Gesture) => {
    if (g.longPressTimer !== null) clearTimeout(g.longPressTimer);
    g.longPressTimer = null;
  };

  const onPointerDown = (e: React.PointerEvent<HTMLDivElement>) => {
    if (e.pointerType === "mouse" && e.button !== 0 && e.button !== 1) return;
    const g = gesture.current;
    const el = viewportRef.current!;
    if (e.button === 1) e.preventDefault(); // no auto-scroll on middle click
    try {
      el.setPointerCapture(e.pointerId);
    } catch {
      // The pointer may already be gone.
    }
    if (g.pointers.size === 0) {
      cancelLongPress(g);
      gesture.current = newGesture();
    }
    const cur = gesture.current;
    cur.pointers.set(e.pointerId, {
      type: e.pointerType,
      startX: e.clientX,
      startY: e.clientY,
      lastX: e.clientX,
      lastY: e.clientY,
    });
    if (cur.pointers.size === 1) {
      cur.button = e.button;
      cur.shift = e.shiftKey;
      cur.alt = e.altKey;
      cur.pixel = pixelFromClient(e.clientX, e.clientY);
      if (e.pointerType === "touch" && cur.pixel) {
        const px = cur.pixel;
        cur.longPressTimer = setTimeout(() => {
          cur.longPressTimer = null;
          if (cur.moved || cur.multi) return;
          cur.longPressFired = true;
          navigator.vibrate?.(15);
          void inspect(px.x, px.y);
        }, LONG_PRESS_MS);
      }
    } else {
      cur.multi = true;
      cancelLongPress(cur);
    }
  };

  const onPointerMove = (e: React.PointerEvent<HTMLDivElement>) => {
    if (e.pointerType !== "touch") {
      const px = pixelFromClient(e.clientX, e.clientY);
      if (!samePoint(px, getState().hover)) setState({ hover: px });
    }
    const g = gesture.current;
    const p = g.pointers.get(e.pointerId);
    if (!p) return;
    if (g.pointers.size === 1) {
      const threshold = p.type === "touch" ? TOUCH_DRAG_THRESHOLD_PX : DRAG_THRESHOLD_PX;
      if (!g.moved && Math.hypot(e.clientX - p.startX, e.clientY - p.startY) > threshold) {
        g.moved = true;
        cancelLongPress(g);
        dragging.current = true;
        viewportRef.current?.classList.add("is-dragging");
      }
      if (g.moved) panBy(e.clientX - p.lastX, e.clientY - p.lastY);
      p.lastX = e.clientX;
      p.lastY = e.clientY;
      return;
    }
    // Pinch: zoom by the change of finger distance around their midpoint, pan by its movement.
    const [a, b] = [...g.pointers.values()];
    const prevMid = { x: (a.lastX + b.lastX) / 2, y: (a.lastY + b.lastY) / 2 };
    const prevDist = Math.hypot(a.lastX - b.lastX, a.lastY - b.lastY);
    p.lastX = e.clientX;
    p.lastY = e.clientY;
    const mid = { x: (a.lastX + b.lastX) / 2, y: (a.lastY + b.lastY) / 2 };
    const dist = Math.hypot(a.lastX - b.lastX, a.lastY - b.lastY);
    g.moved = true;
    const local = localPoint(mid.x, mid.y);
    if (prevDist > 0 && dist > 0) zoomBy(dist / prevDist, local.x, local.y);
    panBy(mid.x - prevMid.x, mid.y - prevMid.y);
  };

  const endPointer = (e: React.PointerEvent<HTMLDivElement>, cancelled: boolean) => {
    const g = gesture.current;
    const p = g.pointers.get(e.pointerId);
    if (!p) return;
    g.pointers.delete(e.pointerId);
    try {
      viewportRef.current?.releasePointerCapture(e.pointerId);
    } catch {
      // already released
    }
    if (cancelled) g.moved = true;
    if (g.pointers.size > 0) return;
    cancelLongPress(g);
    if (dragging.current) {
      dragging.current = false;
      viewportRef.current?.classList.remove("is-dragging");
    }
    if (g.moved || g.multi || g.longPressFired || g.button !== 0 || !g.pixel) return;
    const { x, y } = g.pixel;
    const s = getState();
    const local = localPoint(p.startX, p.startY);
    if (p.type === "touch") {
      if (s.tool === "pick") pickAt(x, y);
      // Too far out to see single pixels: the tap zooms in on the spot instead (SPEC §7).
      else if ((s.view?.zoom ?? 0) < PLACE_MIN_ZOOM) zoomToPlace(local.x, local.y);
      else if (samePoint(s.target, g.pixel)) setState({ target: null, targetBy: null });
      else setState({ target: g.pixel, targetBy: "touch" });
      return;
    }
    if (g.shift) void inspect(x, y);
    else if (g.alt || s.tool === "pick") pickAt(x, y);
    else clickToPlace(x, y, local.x, local.y);
  };

  const ready = boardReady && view !== null;
  const tooFar = ready && tool === "place" && (view?.zoom ?? 0) < PLACE_MIN_ZOOM;
  useLayoutEffect(() => {
    if (ready) boardVisible();
  }, [ready]);
  const zoom = view?.zoom ?? 1;
  const showGrid = ready && zoom >= GRID_MIN_ZOOM;
  const vpSize = useTessera((s) => s.viewportSize);
  const showCursors = useTessera((s) => s.showCursors && s.auth === "authenticated" && !s.banned);

  // The grid covers only the visible part of the board.
  let gridStyle: React.CSSProperties | undefined;
  if (showGrid && view) {
    const left = Math.max(0, view.panX);
    const top = Math.max(0, view.panY);
    const right = Math.min(vpSize.width, view.panX + width * zoom);
    const bottom = Math.min(vpSize.height, view.panY + height * zoom);
    if (right > left && bottom > top) {
      gridStyle = {
        left,
        top,
        width: right - left,
        height: bottom - top,
        backgroundSize: `${zoom}px ${zoom}px`,
        backgroundPosition: `${view.panX - left}px ${view.panY - top}px`,
      };
    }
  }

  const cellStyle = (p: Point, min: number): React.CSSProperties | undefined => {
    if (!view) return undefined;
    const size = Math.max(zoom, min);
    const off = (size - zoom) / 2;
    return { left: view.panX + p.x * zoom - off, top: view.panY + p.y * zoom - off, width: size, height: size };
  };

  const selectedHex = palette[selectedColor] ?? "#000000";

  return (
    <div
      ref={viewportRef}
      className={`viewport tool-${tool}${tooFar ? " too-far" : ""}`}
      data-testid="viewport"
      data-place-zoom={tooFar ? "zoom-in-first" : "ok"}
      role="application"
      aria-label="Canvas. Click to place a pixel (when zoomed out, a click zooms in first), Shift+click to see who placed it. Arrow keys pan, plus and minus zoom, 1 to 0 and square brackets pick colours, I picks a colour from the board. Enter shows a cursor that the arrow keys move, and its position is read out; Enter again places the pixel there, Escape hides it."
      tabIndex={0}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={(e) => endPointer(e, false)}
      onPointerCancel={(e) => endPointer(e, true)}
      onPointerLeave={(e) => {
        if (e.pointerType !== "touch" && gesture.current.pointers.size === 0) setState({ hover: null });
      }}
      onContextMenu={(e) => e.preventDefault()}
    >
      <canvas
        ref={setCanvas}
        data-testid="board"
        className="board"
        width={width || 1}
        height={height || 1}
        style={{
          width: width || 1,
          height: height || 1,
          transform: view ? `translate(${view.panX}px, ${view.panY}px) scale(${view.zoom})` : undefined,
          // The shadow is scaled with the canvas, so its size is given in board pixels.
          boxShadow: view ? `0 ${3 / view.zoom}px ${18 / view.zoom}px var(--board-shadow)` : undefined,
          // Below 1:1, nearest-neighbour sampling would drop whole pixels; let the browser average.
          imageRendering: view && view.zoom < 1 ? "auto" : undefined,
          visibility: ready ? "visible" : "hidden",
        }}
      />
      {ready && template && !template.hidden && templateSize && (
        <canvas
          ref={attachTemplateCanvas}
          data-testid="template-layer"
          className="template-layer"
          width={templateSize.width}
          height={templateSize.height}
          aria-hidden="true"
          style={{
            width: templateSize.width,
            height: templateSize.height,
            transform: `translate(${view.panX + template.x * zoom}px, ${view.panY + template.y * zoom}px) scale(${zoom})`,
            opacity: template.opacity,
          }}
        />
      )}
      {gridStyle && <div className="grid-overlay" style={gridStyle} aria-hidden="true" />}
      {/* Other people's cursors: their own layer, placed by lib/client/cursor-layer.ts, never the board. */}
      <div ref={attachCursorLayer} className="cursor-layer" data-testid="cursor-layer" hidden={!showCursors} aria-hidden="true" />
      {ready &&
        recent.map((r) => (
          <div key={r.id} className="cell-outline recent-mark" data-testid="recent-mark" style={cellStyle(r, 12)} aria-hidden="true" />
        ))}
      {ready && hover && zoom >= 2 && (
        <div
          className={`cell-outline hover-outline${zoom >= GRID_MIN_ZOOM && tool === "place" ? " with-preview" : ""}`}
          style={{ ...cellStyle(hover, 0), ["--preview" as string]: selectedHex }}
          aria-hidden="true"
        />
      )}
      {ready && target && (
        <div
          className="cell-outline target-outline"
          style={{ ...cellStyle(target, 14), ["--preview" as string]: selectedHex }}
          aria-hidden="true"
        />
      )}
      {!ready && (
        <div className="board-loading" role="status">
          <span className="spinner" aria-hidden="true" />
          Loading the canvas…
        </div>
      )}
    </div>
  );
}
