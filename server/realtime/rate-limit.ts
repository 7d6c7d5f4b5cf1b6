// Token buckets and per-key windows for abuse limits. Time is passed in, so tests control it.

/** A token bucket: `ratePerS` tokens per second, at most `burst` saved up. Rate 0 = unlimited. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerS: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Take one token; false when the bucket is empty. */
  take(now: number): boolean {
    if (this.ratePerS <= 0) return true;
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerS);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Counts events per key in fixed one-minute windows (e.g. sessions created per IP). */
export class PerMinuteLimit {
  private window = 0;
  private counts = new Map<string, number>();

  constructor(private readonly perMinute: number) {}

  /** Record one event for `key`; false when the key is over its limit this minute. */
  hit(key: string, now: number): boolean {
    const w = Math.floor(now / 60_000);
    if (w !== this.window) {
      this.window = w;
      this.counts = new Map();
    }
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, n);
    return n <= this.perMinute;
  }
}

/** Token buckets per key (e.g. per IP), forgotten once full again so the map stays small. */
export class KeyedBuckets {
  private readonly buckets = new Map<string, TokenBucket>();
  private lastSweep = 0;

  /** `ratePerS` 0 = unlimited. */
  constructor(
    private readonly ratePerS: number,
    private readonly burst: number,
  ) {}

  /** Take one token of `key`'s bucket; false when it is empty. */
  take(key: string, now: number): boolean {
    if (this.ratePerS <= 0) return true;
    // A bucket untouched for as long as it takes to refill is full: dropping it changes nothing.
    if (now - this.lastSweep > (this.burst / this.ratePerS) * 1000) {
      this.buckets.clear();
      this.lastSweep = now;
    }
    let b = this.buckets.get(key);
    if (!b) {
      b = new TokenBucket(this.ratePerS, this.burst, now);
      this.buckets.set(key, b);
    }
    return b.take(now);
  }
}
