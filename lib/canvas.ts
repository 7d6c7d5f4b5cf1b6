// The canvas model: board bytes, last-writer-wins by seq, and the contiguous-seq watermark.
// Pure code shared by the server (one board per replica) and the browser (the drawn board).
//
// Records may arrive in any order (local commits, other replicas via Redis, replays), so a pixel
// takes the colour of its highest-seq placement, and `seq` only advances over a gap-free prefix:
// "every placement with seq ≤ board.seq is included" is what GET /api/canvas and `welcome` promise.

/** A board of palette indices with last-writer-wins application of sequenced placements. */
export class Board {
  readonly width: number;
  readonly height: number;
  /** Row-major palette indices, one byte per pixel. */
  readonly pixels: Uint8Array;
  /** Seq of the placement each pixel shows (0: from the loaded snapshot or untouched). */
  private readonly pixelSeq: Uint32Array;
  private watermark = 0;
  private highest = 0;
  /** Seqs applied above the watermark (they arrived before some lower seq). */
  private readonly ahead = new Set<number>();

  constructor(width: number, height: number) {
    this.width = width;
    this.height = height;
    this.pixels = new Uint8Array(width * height);
    this.pixelSeq = new Uint32Array(width * height);
  }

  /** Highest seq S such that every placement 1…S has been applied. */
  get seq(): number {
    return this.watermark;
  }

  /** Highest seq applied so far (≥ seq; greater while a gap is open). */
  get maxSeq(): number {
    return this.highest;
  }

  /** True while some seq between `seq` and `maxSeq` has not arrived. */
  get hasGap(): boolean {
    return this.highest > this.watermark;
  }

  /** Replace the whole board with a snapshot that includes every placement with seq ≤ `seq`. */
  load(bytes: Uint8Array, seq: number): void {
    if (bytes.length !== this.pixels.length) {
      throw new Error(`snapshot has ${bytes.length} bytes, board needs ${this.pixels.length}`);
    }
    this.pixels.set(bytes);
    this.pixelSeq.fill(0);
    this.ahead.clear();
    this.watermark = seq;
    this.highest = seq;
  }

  /** True when (x, y) lies on the board. */
  contains(x: number, y: number): boolean {
    return Number.isInteger(x) && Number.isInteger(y) && x >= 0 && y >= 0 && x < this.width && y < this.height;
  }

  /** Palette index at (x, y). */
  get(x: number, y: number): number {
    return this.pixels[y * this.width + x];
  }

  /**
   * Apply one placement. Returns false when it was seen before (duplicate or already in the
   * snapshot), true when it is new — whether or not a later placement on the same pixel hides it.
   * A placement off the board (made before the board shrank) paints nothing but still counts as
   * seen: seqs are dense, and the watermark must be able to pass it.
   */
  apply(seq: number, x: number, y: number, color: number): boolean {
    if (seq <= this.watermark || this.ahead.has(seq)) return false;
    if (this.contains(x, y)) {
      const i = y * this.width + x;
      if (seq > this.pixelSeq[i]) {
        this.pixelSeq[i] = seq;
        this.pixels[i] = color;
      }
    }
    if (seq > this.highest) this.highest = seq;
    if (seq === this.watermark + 1) {
      this.watermark = seq;
      while (this.ahead.size > 0 && this.ahead.delete(this.watermark + 1)) this.watermark++;
    } else {
      this.ahead.add(seq);
    }
    return true;
  }

  /** True when `seq` has been applied (or is covered by the snapshot). */
  has(seq: number): boolean {
    return seq <= this.watermark || this.ahead.has(seq);
  }
}
