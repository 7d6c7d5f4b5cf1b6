// A canvas layer drawn at most once per animation frame: changes are queued by the subclass, one
// frame is requested, and the draw is timed (main-thread milliseconds, for `window.__tessera` and
// the performance spec). The board renderer and the template overlay are both such layers.

export abstract class FrameLayer {
  private frame = 0;
  /** Main-thread time spent drawing: draws, their total and the longest. */
  readonly stats = { flushes: 0, totalMs: 0, maxMs: 0 };

  /** Attach to (or, with null, detach from) the layer's canvas element. */
  abstract attach(canvas: HTMLCanvasElement | null): void;

  /** Draw what is queued. */
  protected abstract draw(): void;

  /** Draw what is queued now (public so tests and `window.__tessera` can force a frame). */
  flush(): void {
    const t0 = typeof performance !== "undefined" ? performance.now() : 0;
    this.draw();
    if (t0 > 0) {
      const ms = performance.now() - t0;
      this.stats.flushes++;
      this.stats.totalMs += ms;
      if (ms > this.stats.maxMs) this.stats.maxMs = ms;
    }
  }

  destroy(): void {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.attach(null);
  }

  /** Ask for a draw on the next animation frame (one request at a time; none outside a browser). */
  protected schedule(): void {
    if (this.frame || typeof requestAnimationFrame === "undefined") return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.flush();
    });
  }
}
