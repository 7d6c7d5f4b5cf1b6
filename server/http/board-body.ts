// The bodies of GET …/canvas and …/canvas.png, cached per board state and shared by every request
// for it. Copying and compressing a board costs milliseconds and a PNG far more, so neither is ever
// made per request, and the PNG is encoded in the render worker, off the event loop.
//
// Under constant placements the state changes every tick: a request then gets the last complete
// body at once (its X-Canvas-Seq matches its bytes, and the client replays the rest over the
// WebSocket) while a newer one is built behind it. A board that changed after a quiet spell waits
// for a fresh body, so a quiet board is always served exactly.

import { promisify } from "node:util";
import zlib from "node:zlib";
import { BOARD_BODY_GZIP_LEVEL, BOARD_BODY_STALE_MAX_RECORDS, FANOUT_TICK_MS, PNG_MAX_OUTPUT_PIXELS, RENDER_QUEUE_MAX } from "../../lib/limits";
import { PALETTE } from "../../lib/palette";
import type { RenderPool } from "../canvas/render-pool";
import type { Room } from "../realtime/room";
import { HttpError } from "./respond";

const gzip = promisify(zlib.gzip);

/** A body counts as current for one fan-out tick after it was built (live updates are that far behind too). */
const BOARD_BODY_FRESH_MS = FANOUT_TICK_MS;

/** One board state's body: the bytes, their gzip, and the seq they include. */
export interface BoardBody {
  key: string;
  seq: number;
  raw: Buffer;
  gz: Buffer;
  /** performance.now() when the bytes were copied from the board. */
  at: number;
}

export interface PngBody {
  key: string;
  seq: number;
  png: Uint8Array;
  at: number;
}

class RoomBodies {
  ready: BoardBody | null = null;
  building: Promise<BoardBody> | null = null;
  wanted = false;
  /** Per scale: the last PNG, the render in progress, and the one waiting for it. */
  readonly pngs = new Map<number, PngBody>();
  readonly pngBuilding = new Map<number, { key: string; done: Promise<PngBody> }>();
  readonly pngNext = new Map<number, Promise<PngBody>>();
}

function stateKey(room: Room): string {
  return `${room.hub.board.seq}-${room.hub.board.maxSeq}`;
}

export class BoardBodies {
  private readonly rooms = new WeakMap<Room, RoomBodies>();
  /** Encodings performed (for /metrics: one per board state and scale, however many requests). */
  readonly counters = { boardBodies: 0, pngEncodes: 0 };

  constructor(private readonly render: RenderPool) {}

  private of(room: Room): RoomBodies {
    let b = this.rooms.get(room);
    if (!b) {
      b = new RoomBodies();
      this.rooms.set(room, b);
    }
    return b;
  }

  /** The board body to serve now (see the file comment). */
  body(room: Room): BoardBody | Promise<BoardBody> {
    const b = this.of(room);
    const board = room.hub.board;
    const key = stateKey(room);
    const ready = b.ready;
    if (ready?.key === key) return ready;
    const usable = ready !== null && board.seq - ready.seq <= BOARD_BODY_STALE_MAX_RECORDS;
    if (b.building) {
      if (!usable) return b.building;
      b.wanted = true;
      return ready;
    }
    if (usable && performance.now() - ready.at < BOARD_BODY_FRESH_MS) {
      this.build(room, b).catch(() => {}); // a failure shows on the next request that waits for one
      return ready;
    }
    return this.build(room, b);
  }

  private build(room: Room, b: RoomBodies): Promise<BoardBody> {
    const board = room.hub.board;
    const key = stateKey(room);
    const seq = board.seq;
    const at = performance.now();
    const raw = Buffer.from(board.pixels);
    b.wanted = false;
    this.counters.boardBodies++;
    const building = gzip(raw, { level: BOARD_BODY_GZIP_LEVEL }).then(
      (gz) => {
        const body = { key, seq, raw, gz, at };
        b.ready = body;
        b.building = null;
        if (b.wanted) this.build(room, b).catch(() => {});
        return body;
      },
      (err: unknown) => {
        b.building = null;
        throw err;
      },
    );
    b.building = building;
    return building;
  }

  /**
   * The board as a PNG at `scale`, exactly as it is now: one render per board state and scale, in
   * the render worker, shared by every request for that state. While a render of an older state
   * runs, requests wait for the one after it (never more than one waiting), so a busy board costs
   * one render at a time however many ask.
   */
  png(room: Room, scale: number): Promise<PngBody> {
    const { width, height } = room.meta;
    if (width * height * scale * scale > PNG_MAX_OUTPUT_PIXELS) {
      return Promise.reject(new HttpError(400, "invalid_scale", `scale ${scale} would make an image over ${PNG_MAX_OUTPUT_PIXELS} pixels; use a smaller one`));
    }
    const b = this.of(room);
    const key = stateKey(room);
    const ready = b.pngs.get(scale);
    if (ready?.key === key) return Promise.resolve(ready);
    const building = b.pngBuilding.get(scale);
    if (!building) return this.renderPng(room, b, scale);
    if (building.key === key) return building.done;
    let next = b.pngNext.get(scale);
    if (!next) {
      next = building.done.catch(() => undefined).then(() => {
        b.pngNext.delete(scale);
        return this.png(room, scale);
      });
      b.pngNext.set(scale, next);
    }
    return next;
  }

  private renderPng(room: Room, b: RoomBodies, scale: number): Promise<PngBody> {
    if (this.render.queued >= RENDER_QUEUE_MAX) {
      return Promise.reject(new HttpError(503, "busy", "the image renderer is busy; try again shortly", { retryAfterMs: 1_000 }, { "Retry-After": "1" }));
    }
    const board = room.hub.board;
    const key = stateKey(room);
    const seq = board.seq;
    const at = performance.now();
    const pixels = new Uint8Array(board.pixels); // a copy the worker may own
    this.counters.pngEncodes++;
    const done = this.render
      .run({ kind: "png", width: room.meta.width, height: room.meta.height, pixels, palette: [...PALETTE], scale }, [pixels.buffer as ArrayBuffer])
      .then((png) => {
        const body = { key, seq, png, at };
        b.pngs.set(scale, body);
        return body;
      })
      .finally(() => b.pngBuilding.delete(scale));
    b.pngBuilding.set(scale, { key, done });
    return done;
  }
}
