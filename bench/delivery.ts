// Proof of delivery for one benchmark client, cheap enough to run on every client at every rate.
//
// What "complete" means. Seqs are dense cluster-wide and the benchmark's placers are the only ones
// placing, so a step that ends with the highest committed seq `to` owes a client every seq in
// (base, to], where `base` is the seq it already had (its welcome.seq, or the previous step's `to`).
// The client is complete when each of those seqs arrived at least once, in any order and in any
// frames. A seq that arrives again is a duplicate, counted but not loss: a replay (sync, or the
// records sent at connect while a gap is open) may legitimately repeat what a live frame already
// carried. Seqs at or below `base` ("old": a late record of the previous step) and above `to`
// ("beyond": the next step's, or a seq nobody placed) are counted apart.
//
// How it stays cheap. A record is counted from the frame's length ((bytes − 1) / 9); only its 4-byte
// seq is read, and it sets one bit in a bitmap of the window. No allocation per frame or record,
// no timestamps, no histogram: those are paid only by the latency sample (see worker.ts).

/** A window may hold at most this many seqs (2^21 = 2,097,152; 256 KiB of bits); later seqs are "beyond". */
const MAX_WINDOW_SEQS = 1 << 21;

export interface DeliveryCheck {
  /** Seqs owed: to − base. */
  expected: number;
  /** Seqs of (base, to] that never arrived. */
  missing: number;
  /** Records whose seq had already arrived in this window. */
  duplicates: number;
  /** Records at or below base. */
  old: number;
  /** Distinct seqs above `to` (or past the window's capacity). */
  beyond: number;
  /** Every record counted, whatever its seq. */
  records: number;
}

export class DeliveryTracker {
  private base: number;
  private bits = new Uint32Array(256);
  /** Distinct seqs set in `bits`. */
  private distinct = 0;
  /** Highest offset (seq − base − 1) set, −1 when none. */
  private top = -1;
  records = 0;
  private dups = 0;
  private old = 0;
  private overflow = 0;

  constructor(base: number) {
    this.base = base;
  }

  get windowBase(): number {
    return this.base;
  }

  /** Account one PIXELS frame (type byte 0x01, then 9-byte records whose first 4 bytes are the seq, LE). */
  frame(buf: Uint8Array): number {
    const n = ((buf.length - 1) / 9) | 0;
    this.records += n;
    // Int32 arithmetic throughout (the hot loop of the generator): the seq's 32 bits minus the
    // base's wrap correctly as long as a window spans less than 2^31 seqs.
    const base1 = (this.base + 1) | 0;
    let bits = this.bits;
    let top = this.top;
    let distinct = this.distinct;
    let dups = this.dups;
    const end = 1 + n * 9;
    for (let o = 1; o < end; o += 9) {
      const d = ((buf[o] | (buf[o + 1] << 8) | (buf[o + 2] << 16) | (buf[o + 3] << 24)) - base1) | 0;
      const w = d >>> 5;
      if (d < 0 || w >= bits.length) {
        this.top = top;
        this.distinct = distinct;
        this.dups = dups;
        this.slow(d);
        bits = this.bits;
        top = this.top;
        distinct = this.distinct;
        dups = this.dups;
        continue;
      }
      const m = 1 << (d & 31);
      const v = bits[w];
      if ((v & m) !== 0) {
        dups++;
      } else {
        bits[w] = v | m;
        distinct++;
        if (d > top) top = d;
      }
    }
    this.top = top;
    this.distinct = distinct;
    this.dups = dups;
    return n;
  }

  /** Account one record by its seq (for tests and for clients that decode anyway). */
  add(seq: number): void {
    this.records++;
    this.seq(seq - this.base - 1);
  }

  /** Account seqs without a seq (the Socket.IO baseline's events carry none): counted only. */
  count(n: number): void {
    this.records += n;
  }

  /** Offsets outside the allocated bitmap: old, beyond the window's capacity, or a reason to grow. */
  private slow(d: number): void {
    if (d >= 0 && d < MAX_WINDOW_SEQS) this.grow(d >>> 5);
    this.seq(d);
  }

  private seq(d: number): void {
    if (d < 0) {
      this.old++;
      return;
    }
    if (d >= MAX_WINDOW_SEQS) {
      this.overflow++;
      return;
    }
    const w = d >>> 5;
    if (w >= this.bits.length) this.grow(w);
    const m = 1 << (d & 31);
    if ((this.bits[w] & m) !== 0) {
      this.dups++;
      return;
    }
    this.bits[w] |= m;
    this.distinct++;
    if (d > this.top) this.top = d;
  }

  private grow(word: number): void {
    let size = this.bits.length;
    while (size <= word) size *= 2;
    const next = new Uint32Array(size);
    next.set(this.bits);
    this.bits = next;
  }

  /**
   * Close the window at `to` (the highest seq the step committed): what was owed and what is
   * missing. With `to` null (no seqs: the Socket.IO baseline) `expectedCount` is what every client
   * was owed and only counts are compared. Then a new window opens above `to`.
   */
  close(to: number | null, expectedCount = 0): DeliveryCheck {
    let r: DeliveryCheck;
    if (to === null) {
      r = { expected: expectedCount, missing: Math.max(0, expectedCount - this.records), duplicates: Math.max(0, this.records - expectedCount), old: 0, beyond: 0, records: this.records };
    } else {
      const owed = Math.max(0, to - this.base);
      // Seqs above `to` that already arrived belong to the next window: carried over, and counted.
      const ahead: number[] = [];
      for (let d = owed; d <= this.top; d++) if ((this.bits[d >>> 5] & (1 << (d & 31))) !== 0) ahead.push(d - owed);
      const have = this.distinct - ahead.length;
      r = { expected: owed, missing: owed - have, duplicates: this.dups, old: this.old, beyond: ahead.length + this.overflow, records: this.records };
      this.reset();
      this.base = Math.max(this.base, to);
      for (const d of ahead) this.seq(d);
      return r;
    }
    this.reset();
    return r;
  }
  private reset(): void {
    if (this.top >= 0) this.bits.fill(0, 0, Math.min(this.bits.length, (this.top >>> 5) + 1));
    this.distinct = 0;
    this.top = -1;
    this.records = 0;
    this.dups = 0;
    this.old = 0;
    this.overflow = 0;
  }
}
