// At most one message per interval, and never a stale one: the first value goes out at once, values
// within the interval replace each other, and the latest goes out when the interval has passed
// (trailing edge). Used for `view` and `cursor` (SPEC §11: at most 10 a second each). Timers and
// the clock are injected so the tests drive it by hand.

export interface ThrottleDeps<T> {
  intervalMs: number;
  send(value: T): void;
  /** Values equal to the last one sent are not sent again. */
  equals?(a: T, b: T): boolean;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (t: unknown) => void;
}

export class Throttle<T> {
  private lastAt = -Infinity;
  private last: { value: T } | null = null;
  private waiting: { value: T } | null = null;
  private timer: unknown = null;
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (t: unknown) => void;

  constructor(private readonly deps: ThrottleDeps<T>) {
    this.now = deps.now ?? (() => performance.now());
    this.setTimer = deps.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = deps.clearTimer ?? ((t) => clearTimeout(t as ReturnType<typeof setTimeout>));
  }

  /** Offer a new value: sent now, or when the interval since the last send has passed. */
  push(value: T): void {
    if (this.timer === null && this.last && this.deps.equals?.(this.last.value, value)) return;
    const wait = this.lastAt + this.deps.intervalMs - this.now();
    if (wait <= 0 && this.timer === null) {
      this.emit(value);
      return;
    }
    this.waiting = { value };
    if (this.timer === null) this.timer = this.setTimer(() => this.fire(), Math.max(0, wait));
  }

  /** Forget what was sent (a new connection knows nothing): the next push goes out whatever it is. */
  reset(): void {
    this.last = null;
  }

  /** Drop a waiting value and stop the timer. */
  cancel(): void {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
    this.waiting = null;
  }

  private fire(): void {
    this.timer = null;
    const w = this.waiting;
    this.waiting = null;
    if (!w) return;
    if (this.last && this.deps.equals?.(this.last.value, w.value)) return;
    this.emit(w.value);
  }

  private emit(value: T): void {
    this.lastAt = this.now();
    this.last = { value };
    this.deps.send(value);
  }
}
