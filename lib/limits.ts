// Every timing and size limit of Tessera, named once, with its unit in the name. Browser and server
// both import this module; nothing else hard-codes these numbers. (Constants of a wire format — a
// record's size, a frame's tag — live with that format in lib/protocol.ts.)

/** Protocol version announced in `welcome`; bump on any incompatible message change. */
export const PROTOCOL_VERSION = 2;

// ---- board ----
export const DEFAULT_CANVAS_WIDTH = 1000;
export const DEFAULT_CANVAS_HEIGHT = 1000;
export const MAX_CANVAS_SIDE = 4096;
/** Default minimum time between two accepted placements of one user. */
export const DEFAULT_COOLDOWN_MS = 5_000;

// ---- users ----
/** SESSION_SECRET (and the secret kept in DATA_DIR) must be at least this long. */
export const SESSION_SECRET_MIN_CHARS = 16;
export const NAME_MAX_CHARS = 24;
export const SESSION_COOKIE = "tessera_session";
/** A session expires this long after it was issued; using it in the second half of its life renews it. */
export const SESSION_MAX_AGE_S = 180 * 24 * 3600;
/** A replica re-reads a signed-in user after this long, so a revocation or ban made elsewhere takes hold. */
export const SESSION_USER_TTL_MS = 30_000;
/** Signed-in users remembered per replica (≈ 100 bytes each); older entries are read again from the database. */
export const SESSION_CACHE_USERS = 100_000;

/** A cookie issued this far in the future is not one of ours (clock skew between replicas is far less). */
export const SESSION_MAX_FUTURE_SKEW_MS = 5 * 60_000;
/** Combining marks allowed on one base character (Thai vowel + tone mark needs 2; "Zalgo" text needs dozens). */
export const NAME_MAX_MARKS_PER_BASE = 2;
/** Inputs longer than this (UTF-16 units) are refused before normalising: no real name comes close. */
export const NAME_MAX_INPUT_UNITS = 256;
/** Characters of the tag shown beside a name (nameTag in lib/names.ts). */
export const NAME_TAG_CHARS = 4;

// ---- HTTP ----
/**
 * gzip level of the board body. Level 1 compresses a busy 1000×1000 board about 4× faster than the
 * default 6 (≈ 7 ms against ≈ 34 ms here) for about 20 % more bytes; under constant placements the
 * body is rebuilt often, so the CPU matters more than the bytes.
 */
export const BOARD_BODY_GZIP_LEVEL = 1;
/** An older body is only ever served if it is at most this many seqs behind the board. */
export const BOARD_BODY_STALE_MAX_RECORDS = 10_000;
/** The health check gives the database this long to answer. */
export const HEALTH_DB_TIMEOUT_MS = 2_000;
/** Graceful shutdown gives up and exits after this long. */
export const SHUTDOWN_DEADLINE_MS = 5_000;
/** JSON request bodies above this size get 413. */
export const MAX_HTTP_BODY_BYTES = 4 * 1024;
/** GET …/canvas.png?scale= goes up to 8×, as long as the image stays under this many pixels. */
export const PNG_MAX_SCALE = 8;
export const PNG_MAX_OUTPUT_PIXELS = 64 * 1024 * 1024;
/** Render jobs (PNG, GIF) waiting at most; beyond it requests get 503 busy. */
export const RENDER_QUEUE_MAX = 8;

// ---- WebSocket ----
/** Coordinates in `view` and `cursor` beyond this are malformed, not merely off the board. */
export const VIEW_COORD_LIMIT = 1 << 16;
/** Inbound frames above this size close the connection with 1009. */
export const MAX_WS_FRAME_BYTES = 1024;
export const MAX_REF_CHARS = 64;
/** Server pings every client this often; a client that missed a whole interval is terminated. */
export const WS_HEARTBEAT_INTERVAL_MS = 30_000;
/**
 * A room's PIXELS frames adapt to what they cost (server/realtime/pixel-hub.ts): after a flush the
 * hub stays idle at least as long as the flush took (so frames take at most this share of the
 * event loop)…
 */
export const FANOUT_BUSY_SHARE = 0.5;
/**
 * …no sooner than the room's clients allow within this many socket writes a second (a frame is one
 * write per client; one process writes some 115,000–170,000 frames a second here, docs/BENCHMARKS.md)…
 */
export const FANOUT_MAX_WRITES_PER_S = 80_000;
/** …no sooner than this after the last frame (≤ 500 frames per second per client)… */
export const FANOUT_MIN_GAP_MS = 2;
/**
 * …and never later than this: at most 1000 / FANOUT_TICK_MS frames per second per client once a
 * room is busy or large, whatever the placement rate (see docs/BENCHMARKS.md).
 */
export const FANOUT_TICK_MS = 50;
/** A tick is flushed early once it holds this many records (9 bytes each → ~9 KiB frames). */
export const FANOUT_MAX_RECORDS_PER_FRAME = 1024;
/** stats / user_list pushes are coalesced to at most one per this interval (≤ 4 per second). */
export const PRESENCE_PUSH_INTERVAL_MS = 250;
/** A client whose unsent bytes exceed this is too slow to keep: it is dropped (close 1013). */
export const WS_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

// ---- abuse limits (see docs/PROTOCOL.md) ----
/** A connection may save up this many seconds' worth of placements (burst = rate × this). */
export const PLACEMENT_BURST_SECONDS = 2;
/** Messages of any kind a connection may send per second: this many per allowed placement… */
export const MESSAGES_PER_PLACEMENT = 2;
/** …but never fewer than this (pings, syncs). */
export const MIN_MESSAGES_PER_CONNECTION_PER_S = 20;
/** One IP's placement and message budgets are this many connections' worth, shared by its connections. */
export const IP_BUDGET_CONNECTIONS = 5;
/** Over-limit messages a connection may send (refilled at FLOOD_TOLERANCE_PER_S) before it is closed with 1008. */
export const FLOOD_TOLERANCE_MESSAGES = 50;
export const FLOOD_TOLERANCE_PER_S = 5;

// ---- replay ----
/** Recent placements kept in memory per replica to answer `sync` without the database. */
export const REPLAY_RING_RECORDS = 1 << 17; // 131,072 records ≈ 1.2 MiB
/** A `sync` further behind than this gets `resync` (reload the board) instead of a replay. */
export const MAX_REPLAY_RECORDS = 100_000;

// ---- canvas service ----
/** Placements waiting while a commit is in flight go to the database together, at most this many. */
export const GROUP_COMMIT_MAX_PLACEMENTS = 2_000;
/**
 * Groups of one replica that may be on their way to the database at once. The counter-row lock
 * serialises them there, so seqs stay dense with any value; 1 measured best (fewer, bigger groups
 * than with 2, whose overlap of round trips did not pay for the extra statements).
 */
export const GROUP_COMMITS_IN_FLIGHT = 1;
/** Cooldowns a replica remembers to reject early (the oldest are forgotten first; the database still decides). */
export const KNOWN_COOLDOWNS_MAX = 200_000;
/** Below this much remaining cooldown the database decides, so a rounding never rejects a valid placement. */
export const EARLY_REJECT_MARGIN_MS = 50;

// ---- cluster (Redis) ----
/** How often the sentinel-mode status is re-read (node-redis does not report a lost master client). */
export const REDIS_STATUS_POLL_MS = 100;
/** Pause between attempts to (re)subscribe a channel, or to reach the sentinels at start. */
export const REDIS_RETRY_MS = 500;
/** The Sentinel client re-reads the topology this often even without an announcement. */
export const SENTINEL_SCAN_INTERVAL_MS = 5_000;
/** A TCP connect to Redis or a sentinel that takes longer than this counts as failed. */
export const REDIS_CONNECT_TIMEOUT_MS = 2_000;
/** Records in one message at most (a commit group is at most GROUP_COMMIT_MAX_PLACEMENTS). */
export const REDIS_PIXEL_UPDATES_MAX = 10_000;
/** Rows read per catch-up query. */
export const CATCH_UP_PAGE_PLACEMENTS = 10_000;
/** Each replica refreshes its presence record this often… */
export const PRESENCE_HEARTBEAT_MS = 3_000;
/** …and the record expires after this long, so a crashed replica's users vanish within TTL + heartbeat. */
export const PRESENCE_TTL_MS = 10_000;
/** A seq gap still open this long after it appeared is filled from the database. */
export const GAP_REPAIR_MS = 250;
/** While Redis is down, other replicas' placements are read from the database this often. */
export const OUTAGE_POLL_MS = 500;
/** Safety net even while Redis is up: pub/sub is at-most-once, so compare with the database this often. */
export const CONVERGENCE_CHECK_MS = 5_000;
/** Reconnect backoff to Redis: from this… */
export const REDIS_RECONNECT_MIN_MS = 100;
/** …doubling up to this. */
export const REDIS_RECONNECT_MAX_MS = 500;

// ---- boards and rooms (SPEC §9) ----
/** Created boards: each side 1…this (main follows CANVAS_WIDTH/HEIGHT up to MAX_CANVAS_SIDE). */
export const MAX_BOARD_SIDE = 1024;
export const BOARD_TITLE_MAX_CHARS = 60;
export const MAX_BOARD_COOLDOWN_MS = 3_600_000;
/** Default of BOARDS_PER_USER_PER_DAY. */
export const DEFAULT_BOARDS_PER_USER_PER_DAY = 5;
/** A board followed by nobody on a replica stays loaded this long (its channels unsubscribed after it). */
export const ROOM_LINGER_MS = 10_000;
/** HTTP reads of a board not followed here share one detached copy of it for this long… */
export const ROOM_READ_CACHE_MS = 2_000;
/** …and at most this many such copies are kept. */
export const ROOM_READ_CACHE_BOARDS = 16;
/** A board's row is re-read after this long (its state may change on another replica; size and cooldown never do). */
export const BOARD_META_TTL_MS = 5_000;
/** An unknown board id is remembered as unknown this long (bogus ids cost one query, not one each). */
export const BOARD_MISS_TTL_MS = 2_000;
/** Deep pages of the list are refused: it is for browsing, not for dumping every board. */
export const BOARD_LIST_MAX_OFFSET = 10_000;
/** Cached entries at most (boards read by id; the least recently cached go first). */
export const BOARD_CACHE_MAX_BOARDS = 10_000;
/** GET /api/boards pages. */
export const BOARD_LIST_MAX_LIMIT = 100;

// ---- presence and cursors (SPEC §10, §11) ----
/** Ids are opaque but bounded: anything longer came from somewhere it should not have. */
export const PRESENCE_ID_MAX_CHARS = 64;
/** Keys per block of SortedKeys before it splits in two. */
export const PRESENCE_SORTED_BLOCK_KEYS = 512;
/** A pod record is a handful of counts; anything longer is not one. */
export const PRESENCE_POD_RECORD_MAX_CHARS = 512;
/** Counts read from Redis above this are garbage. */
export const PRESENCE_COUNT_MAX = 1_000_000_000;
/** `user_list` and `…/stats` carry at most this many users. */
export const PRESENCE_WINDOW_USERS = 100;
/** A `user_list` frame is cut to fit under this many bytes (SPEC §10: under 8 KiB). */
export const PRESENCE_FRAME_MAX_BYTES = 8 * 1024 - 256;
/** GET …/users pages. */
export const USERS_PAGE_MAX_LIMIT = 200;
/** `view` and `cursor` messages relayed per connection per second; the excess is dropped silently. */
export const CURSOR_MESSAGES_PER_S = 10;
/** `cursors` frames go out at most this often per connection, and cursor batches cross Redis at most this often per board. */
export const CURSOR_TICK_MS = 100;
/** At most this many cursors per `cursors` frame. */
export const CURSORS_PER_FRAME = 50;
/** Moves in one batch at most: a replica's users on one board moved within one tick. */
export const REDIS_CURSOR_MOVES_MAX = 20 * CURSORS_PER_FRAME;
/** A cursor that has not moved for this long is sent as `gone`. */
export const CURSOR_IDLE_MS = 10_000;

// ---- presence (crowd scale: the Redis side, server/cluster/presence-redis.ts) ----
/** `activeBoards()` lists at most this many boards (most active first); the rest count as idle. */
export const PRESENCE_ACTIVE_BOARDS_MAX = 1_000;
/** `instances()` and the heartbeat's read of replica records stop at this many live replicas. */
export const PRESENCE_MAX_PODS = 100;
/** A user is recorded as held by at most this many replicas (more is garbage someone wrote). */
export const PRESENCE_HOLDERS_MAX = 64;
/** The heartbeat re-adds this replica's users to Redis this many per script call, so no call blocks Redis long. */
export const PRESENCE_REFRESH_CHUNK_USERS = 500;
/** Expired users are removed this many per script call… */
export const PRESENCE_EXPIRE_CHUNK_USERS = 1_000;
/** …and at most this many calls per board per heartbeat (the rest go at the next one). */
export const PRESENCE_EXPIRE_CHUNKS_PER_BEAT = 20;
/** Boards whose every holder died are swept this many per heartbeat. */
export const PRESENCE_STALE_BOARDS_PER_BEAT = 16;
/** Windows of boards a replica does not follow (HTTP reads) are kept one push interval, for at most this many boards. */
export const PRESENCE_READ_CACHE_BOARDS = 1_000;

// ---- moderation (SPEC §12) ----
export const ADMIN_TOKEN_MIN_CHARS = 32;
/** A wipe covers at most this many pixels. */
export const MAX_WIPE_PIXELS = 1_000_000;
/** Rollback and wipe are written in chunks of this many pixels, one transaction each, so other users' commits interleave. */
export const MODERATION_CHUNK_PIXELS = 1_000;
export const BAN_REASON_MAX_CHARS = 200;
/** Each replica re-reads the bans this often, in case it missed an event (Redis down). */
export const BAN_REFRESH_MS = 30_000;
/** A ban's durationMs is at most this (10 years); without one the ban lasts for good. */
export const BAN_MAX_DURATION_MS = 10 * 365 * 24 * 3600 * 1000;
/** GET …/mod/log pages. */
export const MOD_LOG_MAX_LIMIT = 100;

// ---- board activity (the stats page) ----
/** Rankings list this many placers. */
export const ACTIVITY_TOP = 20;
/** Placements per minute are shown for this many hours back. */
export const ACTIVITY_HOURS = 6;
/** One board's activity is computed at most this often (its rankings sort the board's rows). */
export const ACTIVITY_CACHE_MS = 30_000;

// ---- history (SPEC §13) ----
/** GET …/pixel/history returns at most this many placements. */
export const PIXEL_HISTORY_MAX_LIMIT = 50;
/** GET …/placements pages. */
export const PLACEMENTS_PAGE_MAX_LIMIT = 100_000;
export const TIMELAPSE_MAX_FRAMES = 600;
/** Frames of a timelapse GIF when the request names none (fewer when the range holds fewer seqs). */
export const TIMELAPSE_DEFAULT_FRAMES = 120;
/** A timelapse frame shows this long (GIF delays count in hundredths of a second). */
export const TIMELAPSE_FRAME_DELAY_MS = 100;
/** The last frame stays this long before the GIF loops. */
export const TIMELAPSE_LAST_FRAME_MS = 2_000;
/** A timelapse GIF larger than this is refused (ask for fewer frames); frames hold only changed pixels, so few get near it. */
export const TIMELAPSE_MAX_GIF_BYTES = 48 * 1024 * 1024;
/**
 * A timelapse GIF is at most this many pixels wide and high: a larger board is scaled down by the
 * smallest integer factor that fits (a 1000×1000 board gives 500×500), which keeps 600 frames of a
 * busy board to tens of megabytes and the encoding to seconds.
 */
export const TIMELAPSE_MAX_SIDE_PX = 512;
/** Timelapses built at once per replica (each reads history pages and keeps the worker busy); more get 503 busy. */
export const TIMELAPSE_BUILDS_MAX = 2;
/** Rendered GIFs kept per replica for repeated requests (history below `to` never changes), by total size. */
export const TIMELAPSE_CACHE_BYTES = 64 * 1024 * 1024;

// ---- snapshots and history ----
/**
 * A board gets a snapshot at every multiple of this seq (built from the database in the
 * background). Loading a board, and the board at any seq (`canvas?seq=N`), read one snapshot and
 * replay at most this many placements after it. Measured with test/storage-measure.ts on
 * PostgreSQL, 1000×1000, on this team's shared 2-core machine under load average 14–21: a
 * snapshot reads and inflates in 20–50 ms, 50,000 placements replay in 65–130 ms; on 10,000,000
 * placements the worst seq (one short of the next snapshot) took 262 ms median, and loading the
 * board 170–570 ms (SPEC §13: 300 ms, 3 s). 100,000 measured twice that, over the 300 ms. The
 * cost: a snapshot (0.4–0.6 MB gzipped) per 50,000 placements, 120 MB for 10,000,000 — about a
 * twentieth of what the placements and their indexes take.
 */
export const SNAPSHOT_EVERY_PLACEMENTS = 50_000;
/** Replays read placements in pages of this many (8 bytes each packed: 800 KB per page). */
export const REPLAY_PAGE_PLACEMENTS = 100_000;
/** …and of this many on embedded PGlite, whose queries run on the event loop (a page holds it ≈ 30 ms on a busy machine). */
export const EMBEDDED_REPLAY_PAGE_PLACEMENTS = 10_000;
/** A board whose snapshot write failed is not tried again for this long. */
export const SNAPSHOT_RETRY_MS = 10_000;

// ---- client ----
export const CLIENT_RECONNECT_MIN_MS = 500;
export const CLIENT_RECONNECT_MAX_MS = 10_000;
export const CLIENT_PING_INTERVAL_MS = 20_000;
