// The single definition of Tessera's wire protocol (SPEC §4): message types split by direction,
// runtime validation of everything a client sends, the binary PIXELS codec, close and error codes.
// Server and browser both import this module; no other module invents a message shape.

import { MAX_REF_CHARS, PROTOCOL_VERSION, VIEW_COORD_LIMIT } from "./limits";

export { PROTOCOL_VERSION };

/** One committed placement as it travels in PIXELS frames. */
export interface PixelRecord {
  seq: number;
  x: number;
  y: number;
  color: number;
}

export type RedisStatus = "up" | "down" | "disabled";
export type StatsScope = "cluster" | "local";
export type RejectCode = "cooldown" | "invalid_pixel" | "rate_limited" | "unavailable" | "banned" | "frozen";

// ---------------------------------------------------------------- boards (SPEC §9)

export type BoardVisibility = "public" | "unlisted";
export type BoardState = "open" | "frozen";

/** A board as the API and `welcome` describe it. Times are ISO-8601 strings. */
export interface BoardInfo {
  id: string;
  title: string;
  width: number;
  height: number;
  palette: string[];
  cooldownMs: number;
  visibility: BoardVisibility;
  state: BoardState;
  createdAt: string;
  createdBy: PublicUser | null;
  seq: number;
  activeUsers: number;
}

/** The board every deployment has; paths and `/ws` without a board mean it. */
export const MAIN_BOARD = "main";

/** True for a valid board id: 1–32 of a-z, 0-9 and '-', not starting with '-'. */
export function isBoardId(v: unknown): v is string {
  return typeof v === "string" && /^[a-z0-9][a-z0-9-]{0,31}$/.test(v);
}

// ---------------------------------------------------------------- client → server

export type ClientMessage =
  | { type: "place"; x: number; y: number; color: number; ref?: string }
  | { type: "sync"; since: number }
  | { type: "ping" }
  /** The board rectangle the page shows (inclusive), for cursors (SPEC §11). */
  | { type: "view"; x0: number; y0: number; x1: number; y1: number }
  /** The pointer's board position; null when it left the board. */
  | { type: "cursor"; x: number | null; y: number | null };

// ---------------------------------------------------------------- server → client

export interface PublicUser {
  id: string;
  name: string;
}

export interface WelcomeMessage {
  type: "welcome";
  protocol: number;
  instanceId: string;
  user: PublicUser;
  board: BoardInfo;
  seq: number;
  width: number;
  height: number;
  palette: string[];
  cooldownMs: number;
  cooldownUntil: number;
  redis: RedisStatus;
}

/** Another user's pointer as `cursors` carries it. */
export interface CursorEntry {
  id: string;
  name: string;
  x: number;
  y: number;
}

export type ServerMessage =
  | WelcomeMessage
  | { type: "ack"; ref: string | null; seq: number; cooldownUntil: number }
  | { type: "reject"; ref: string | null; code: RejectCode; message: string; retryAfterMs?: number }
  | { type: "stats"; activeUsers: number; connections: number; scope: StatsScope; timestamp: number }
  | { type: "user_list"; users: PublicUser[]; total: number; timestamp: number }
  | { type: "status"; redis: RedisStatus }
  | { type: "resync"; seq: number }
  | { type: "pong" }
  | { type: "cursors"; cursors: CursorEntry[]; gone: string[] }
  | { type: "cooldown"; board: string; cooldownUntil: number }
  | { type: "error"; code: ErrorCode; message: string };

/** Codes of `error` frames: the frame was not understood; the connection stays open. */
export const ErrorCodes = {
  badJson: "bad_json",
  badMessage: "bad_message",
  unknownType: "unknown_type",
  binaryNotAccepted: "binary_not_accepted",
  /** Too many messages: slow down (sustained flooding closes the connection with 1008). */
  rateLimited: "rate_limited",
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** WebSocket close codes used by Tessera, shared by both sides. */
export const CloseCodes = {
  /** Server shutting down; reconnect (to another replica). */
  goingAway: 1001,
  /** Sustained abuse (flooding). Do not reconnect immediately. */
  policyViolation: 1008,
  /** Inbound frame over the size limit. */
  messageTooBig: 1009,
  /** Server-side failure. */
  internalError: 1011,
  /** The client could not keep up with the stream (send buffer over its bound). */
  tryAgainLater: 1013,
  /** The user was banned (SPEC §12): do not reconnect. */
  banned: 4003,
} as const;

// ---------------------------------------------------------------- validation

export type ParseResult<T> = { ok: true; value: T } | { ok: false; code: ErrorCode; message: string };

function fail(code: ErrorCode, message: string): { ok: false; code: ErrorCode; message: string } {
  return { ok: false, code, message };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}


/** True when `v` is an integer in [min, max]. */
function isIntIn(v: unknown, min: number, max: number): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;
}

/**
 * Parse and validate one text frame from a client. Shape errors (missing fields, wrong types) are
 * reported here; range checks against the board (x, y, colour) belong to the canvas service, which
 * answers them with `reject invalid_pixel`. Unknown fields are ignored.
 */
export function parseClientMessage(text: string): ParseResult<ClientMessage> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return fail(ErrorCodes.badJson, "frame is not valid JSON");
  }
  if (!isPlainObject(raw)) return fail(ErrorCodes.badMessage, "frame must be a JSON object");
  const type = raw.type;
  if (typeof type !== "string") return fail(ErrorCodes.badMessage, "missing string field 'type'");
  switch (type) {
    case "place": {
      const { x, y, color, ref } = raw;
      if (ref !== undefined && (typeof ref !== "string" || ref.length > MAX_REF_CHARS)) {
        return fail(ErrorCodes.badMessage, `'ref' must be a string of at most ${MAX_REF_CHARS} characters`);
      }
      // x, y and color are checked as numbers here and against the board by the canvas service.
      if (typeof x !== "number" || typeof y !== "number" || typeof color !== "number") {
        return fail(ErrorCodes.badMessage, "'place' needs numeric 'x', 'y' and 'color'");
      }
      return { ok: true, value: { type: "place", x, y, color, ref: ref as string | undefined } };
    }
    case "sync": {
      const since = raw.since;
      if (!isIntIn(since, 0, Number.MAX_SAFE_INTEGER)) {
        return fail(ErrorCodes.badMessage, "'sync' needs a non-negative integer 'since'");
      }
      return { ok: true, value: { type: "sync", since } };
    }
    case "ping":
      return { ok: true, value: { type: "ping" } };
    case "view": {
      const { x0, y0, x1, y1 } = raw;
      if (![x0, y0, x1, y1].every((v) => isIntIn(v, -VIEW_COORD_LIMIT, VIEW_COORD_LIMIT))) {
        return fail(ErrorCodes.badMessage, "'view' needs integer 'x0', 'y0', 'x1' and 'y1'");
      }
      return { ok: true, value: { type: "view", x0: x0 as number, y0: y0 as number, x1: x1 as number, y1: y1 as number } };
    }
    case "cursor": {
      const { x, y } = raw;
      if (x === null || y === null) return { ok: true, value: { type: "cursor", x: null, y: null } };
      if (!isIntIn(x, -VIEW_COORD_LIMIT, VIEW_COORD_LIMIT) || !isIntIn(y, -VIEW_COORD_LIMIT, VIEW_COORD_LIMIT)) {
        return fail(ErrorCodes.badMessage, "'cursor' needs integer 'x' and 'y', or 'x': null when the pointer left the board");
      }
      return { ok: true, value: { type: "cursor", x, y } };
    }
    default:
      return fail(ErrorCodes.unknownType, `unknown message type '${type.slice(0, 32)}'`);
  }
}

/** Parse a server text frame (browser side). Returns null for anything that is not a known message. */
export function parseServerMessage(text: string): ServerMessage | null {
  try {
    const raw = JSON.parse(text);
    if (!isPlainObject(raw) || typeof raw.type !== "string") return null;
    return raw as unknown as ServerMessage;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- binary PIXELS frames

/** First byte of a PIXELS frame. */
export const PIXELS_FRAME = 0x01;
/** Size of one record: seq:u32, x:u16, y:u16, color:u8, little-endian. */
export const PIXEL_RECORD_BYTES = 9;

/** Encode records into one PIXELS frame. */
export function encodePixels(records: readonly PixelRecord[]): Uint8Array {
  const buf = new Uint8Array(1 + records.length * PIXEL_RECORD_BYTES);
  const view = new DataView(buf.buffer);
  buf[0] = PIXELS_FRAME;
  let o = 1;
  for (const r of records) {
    view.setUint32(o, r.seq, true);
    view.setUint16(o + 4, r.x, true);
    view.setUint16(o + 6, r.y, true);
    view.setUint8(o + 8, r.color);
    o += PIXEL_RECORD_BYTES;
  }
  return buf;
}

/**
 * Decode a PIXELS frame, calling `onRecord` for each record (no allocation per record).
 * Returns the number of records, or -1 when the frame is not a well-formed PIXELS frame.
 */
export function decodePixels(
  frame: Uint8Array,
  onRecord: (seq: number, x: number, y: number, color: number) => void,
): number {
  if (frame.length < 1 + PIXEL_RECORD_BYTES || frame[0] !== PIXELS_FRAME) return -1;
  if ((frame.length - 1) % PIXEL_RECORD_BYTES !== 0) return -1;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const n = (frame.length - 1) / PIXEL_RECORD_BYTES;
  let o = 1;
  for (let i = 0; i < n; i++) {
    onRecord(view.getUint32(o, true), view.getUint16(o + 4, true), view.getUint16(o + 6, true), view.getUint8(o + 8));
    o += PIXEL_RECORD_BYTES;
  }
  return n;
}

/** Decode a PIXELS frame into record objects (tests and tools; hot paths use `decodePixels`). */
export function decodePixelsToArray(frame: Uint8Array): PixelRecord[] | null {
  const out: PixelRecord[] = [];
  const n = decodePixels(frame, (seq, x, y, color) => out.push({ seq, x, y, color }));
  return n < 0 ? null : out;
}

// ---------------------------------------------------------------- HTTP shapes

/** Error body of every failing HTTP response: `{"error":{"code","message"}}`. */
export interface HttpErrorBody {
  error: { code: string; message: string; retryAfterMs?: number };
}

/** Display names: the rules live in ./names (NFKC, invisible characters, combining marks, mixed scripts). */
export { cleanName } from "./names";
