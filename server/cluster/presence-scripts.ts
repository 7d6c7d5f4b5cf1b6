// The Lua scripts of cluster presence (server/cluster/presence-redis.ts): each decides a membership
// change atomically in Redis, so replicas joining or leaving the same user never race.

import { createHash } from "node:crypto";
import { PRESENCE_HOLDERS_MAX, PRESENCE_MAX_PODS } from "../../lib/limits";

// Every script takes the same KEYS: the board's lex, seen, refs and conns, then boards:active,
// presence:boards and pods. A refs value is `member \n holder \n holder…`.
const PRELUDE = String.raw`
local NUL = string.char(0)
local HOLDERS_MAX = ${PRESENCE_HOLDERS_MAX}
local function holders_of(v, id)
  if type(v) ~= 'string' then return nil, {} end
  local nl = string.find(v, '\n', 1, true)
  if not nl then return nil, {} end
  local member = string.sub(v, 1, nl - 1)
  local tail = NUL .. id
  if #member <= #tail or string.sub(member, -#tail) ~= tail then return nil, {} end
  local pods = {}
  for p in string.gmatch(string.sub(v, nl + 1), '[^\n]+') do
    if #pods >= HOLDERS_MAX then break end
    pods[#pods + 1] = p
  end
  return member, pods
end
local function id_of(member)
  local last = nil
  local i = 0
  while true do
    i = string.find(member, NUL, i + 1, true)
    if not i then break end
    last = i
  end
  if last then return string.sub(member, last + 1) end
  return nil
end
local function set_active(board)
  local n = redis.call('ZCARD', KEYS[1])
  if n == 0 then redis.call('ZREM', KEYS[5], board) else redis.call('ZADD', KEYS[5], n, board) end
  return n
end
`;

/** A user's first connection here. ARGV: member, id, pod, now, board. Returns the board's total. */
const JOIN = String.raw`
local member, pods = holders_of(redis.call('HGET', KEYS[3], ARGV[2]), ARGV[2])
if member and member ~= ARGV[1] then
  -- renamed: the newest name wins for every replica holding the user
  redis.call('ZREM', KEYS[1], member)
  redis.call('ZREM', KEYS[2], member)
end
local kept = {ARGV[3]}
for _, p in ipairs(pods) do
  if p ~= ARGV[3] and #kept < HOLDERS_MAX then kept[#kept + 1] = p end
end
redis.call('HSET', KEYS[3], ARGV[2], ARGV[1] .. '\n' .. table.concat(kept, '\n'))
redis.call('ZADD', KEYS[1], 0, ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
redis.call('ZADD', KEYS[6], 'GT', ARGV[4], ARGV[5])
redis.call('ZADD', KEYS[7], 'GT', ARGV[4], ARGV[3])
return set_active(ARGV[5])
`;

/**
 * Users' last connections here. ARGV: pod, cutoff, board, then member, id pairs. A user stays while
 * another live replica (heartbeat not older than cutoff) holds them. Returns the board's total.
 */
const LEAVE = String.raw`
local cutoff = tonumber(ARGV[2])
for i = 4, #ARGV - 1, 2 do
  local mine, id = ARGV[i], ARGV[i + 1]
  local member, pods = holders_of(redis.call('HGET', KEYS[3], id), id)
  local kept = {}
  for _, p in ipairs(pods) do
    if p ~= ARGV[1] then
      local s = redis.call('ZSCORE', KEYS[7], p)
      if s and tonumber(s) >= cutoff then kept[#kept + 1] = p end
    end
  end
  if #kept == 0 then
    redis.call('HDEL', KEYS[3], id)
    redis.call('ZREM', KEYS[1], mine)
    redis.call('ZREM', KEYS[2], mine)
    if member and member ~= mine then
      redis.call('ZREM', KEYS[1], member)
      redis.call('ZREM', KEYS[2], member)
    end
  else
    redis.call('HSET', KEYS[3], id, member .. '\n' .. table.concat(kept, '\n'))
  end
end
return set_active(ARGV[3])
`;

/**
 * Heartbeat: re-add this replica's users. ARGV: pod, now, board, then member, id pairs.
 * The common case is one variadic ZADD refreshing `seen`. Only when it added a member — Redis lost
 * data, missed a join, or another replica renamed the user — is every user of the chunk checked:
 * put back in `lex`, listed once as held by us in `refs`, a renamed user's old member removed.
 * Every write adds a member to `lex` and `seen` together, so one missing from `seen` is how a loss
 * shows. Idempotent. Returns {members that were missing from lex, total}.
 */
const REFRESH = String.raw`
local seen_args = {}
for i = 4, #ARGV - 1, 2 do
  seen_args[#seen_args + 1] = ARGV[2]
  seen_args[#seen_args + 1] = ARGV[i]
end
local added = 0
if #seen_args > 0 and redis.call('ZADD', KEYS[2], unpack(seen_args)) > 0 then
  for i = 4, #ARGV - 1, 2 do
    local mine, id = ARGV[i], ARGV[i + 1]
    local member, pods = holders_of(redis.call('HGET', KEYS[3], id), id)
    if not member then
      member = mine
      pods = {}
    end
    if member ~= mine then
      -- another replica renamed the user: keep the current name, drop ours
      redis.call('ZREM', KEYS[1], mine)
      redis.call('ZREM', KEYS[2], mine)
      redis.call('ZADD', KEYS[2], ARGV[2], member)
    end
    added = added + redis.call('ZADD', KEYS[1], 0, member)
    local held = false
    for _, p in ipairs(pods) do
      if p == ARGV[1] then
        held = true
        break
      end
    end
    if not held then
      if #pods >= HOLDERS_MAX then pods[HOLDERS_MAX] = ARGV[1] else pods[#pods + 1] = ARGV[1] end
      redis.call('HSET', KEYS[3], id, member .. '\n' .. table.concat(pods, '\n'))
    end
  end
end
redis.call('ZADD', KEYS[6], 'GT', ARGV[2], ARGV[3])
return {added, set_active(ARGV[3])}
`;

/**
 * Remove members nobody re-added since cutoff, at most a chunk, and the connection counts of
 * replicas that stopped heart-beating. ARGV: cutoff, chunk, board. A board left empty loses all its
 * keys. Returns {members removed, total}.
 */
const EXPIRE = String.raw`
local old = redis.call('ZRANGE', KEYS[2], '-inf', '(' .. ARGV[1], 'BYSCORE', 'LIMIT', 0, ARGV[2])
for _, m in ipairs(old) do
  redis.call('ZREM', KEYS[1], m)
  redis.call('ZREM', KEYS[2], m)
  local id = id_of(m)
  if id then
    local member = holders_of(redis.call('HGET', KEYS[3], id), id)
    if member == nil or member == m then redis.call('HDEL', KEYS[3], id) end
  end
end
if redis.call('HLEN', KEYS[4]) > ${PRESENCE_MAX_PODS} then
  redis.call('DEL', KEYS[4])
else
  local cutoff = tonumber(ARGV[1])
  for _, p in ipairs(redis.call('HKEYS', KEYS[4])) do
    local s = redis.call('ZSCORE', KEYS[7], p)
    if not s or tonumber(s) < cutoff then redis.call('HDEL', KEYS[4], p) end
  end
end
local n = redis.call('ZCARD', KEYS[1])
if n == 0 then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
  redis.call('ZREM', KEYS[5], ARGV[3])
  redis.call('ZREM', KEYS[6], ARGV[3])
else
  redis.call('ZADD', KEYS[5], n, ARGV[3])
end
return {#old, n}
`;

/**
 * A window or page: up to ARGV[2] members from ARGV[1] ('-' or '(' .. key) on. A member without a
 * `seen` score is garbage (every write adds both): it is removed and flagged '0'. KEYS: lex, seen,
 * conns, pods, boards:active. ARGV[3] = '1' (a window read) adds the connection counts of replicas
 * whose heartbeat is not older than ARGV[4] (a dead replica's count is ignored before the heartbeat
 * removes it) and sets board ARGV[5]'s entry in boards:active (so removed garbage stops counting).
 * Returns {members, flags, total, conns}.
 */
const WINDOW = String.raw`
local ms = redis.call('ZRANGE', KEYS[1], ARGV[1], '+', 'BYLEX', 'LIMIT', 0, ARGV[2])
local flags = {}
if #ms > 0 then
  local seen = redis.call('ZMSCORE', KEYS[2], unpack(ms))
  for i, m in ipairs(ms) do
    if seen[i] then
      flags[i] = '1'
    else
      redis.call('ZREM', KEYS[1], m)
      flags[i] = '0'
    end
  end
end
local conns = {}
if ARGV[3] == '1' and redis.call('HLEN', KEYS[3]) <= ${PRESENCE_MAX_PODS} then
  local all = redis.call('HGETALL', KEYS[3])
  local cutoff = tonumber(ARGV[4])
  for i = 1, #all - 1, 2 do
    local s = redis.call('ZSCORE', KEYS[4], all[i])
    if s and tonumber(s) >= cutoff then
      conns[#conns + 1] = all[i]
      conns[#conns + 1] = all[i + 1]
    end
  end
end
local n = redis.call('ZCARD', KEYS[1])
if ARGV[3] == '1' then
  if n == 0 then redis.call('ZREM', KEYS[5], ARGV[5]) else redis.call('ZADD', KEYS[5], n, ARGV[5]) end
end
return {ms, table.concat(flags), n, conns}
`;

export interface Script {
  name: string;
  text: string;
  sha: string;
}

function script(name: string, body: string, prelude = true): Script {
  const text = prelude ? PRELUDE + body : body;
  return { name, text, sha: createHash("sha1").update(text).digest("hex") };
}

export const SCRIPTS = {
  join: script("join", JOIN),
  leave: script("leave", LEAVE),
  refresh: script("refresh", REFRESH),
  expire: script("expire", EXPIRE),
  window: script("window", WINDOW, false),
};

