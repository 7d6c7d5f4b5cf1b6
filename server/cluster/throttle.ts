// A task run at most once per interval (presence window reads and notices, per board).

/**
 * Runs a task at most once per interval: at once when the last run is older than that, else when
 * it is due; requests while it runs make one more run after it. Never rejects.
 */
export class Throttle {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private again = false;
  private last = -Infinity;
  private stopped = false;

  constructor(
    private readonly intervalMs: number,
    private readonly task: () => Promise<void>,
    private readonly onError: (err: Error) => void,
  ) {}

  request(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    const wait = this.last + this.intervalMs - Date.now();
    if (wait <= 0) {
      void this.fire();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.fire();
    }, wait);
    this.timer.unref();
  }

  /** Run now, whatever the interval (waits for a run in progress first). */
  async now(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.running) await new Promise((r) => setImmediate(r));
    await this.fire();
  }

  /** Nothing running or due. */
  get idle(): boolean {
    return !this.running && this.timer === null;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async fire(): Promise<void> {
    if (this.stopped) return;
    this.running = true;
    this.last = Date.now();
    try {
      await this.task();
    } catch (err) {
      this.onError(err as Error);
    } finally {
      this.running = false;
    }
    if (this.again) {
      this.again = false;
      this.request();
    }
  }
}

