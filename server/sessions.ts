// Signed session cookies. A cookie names a user id and the time it was issued, with an HMAC made
// with SESSION_SECRET, so every replica sharing the secret accepts a session made on any of them and
// nobody can forge one. Sessions expire SESSION_MAX_AGE_S after issue (renewed by use, see
// `needsRenewal`) and are revoked by moving the user's `sessionsAfter` past their issue time
// (log out everywhere). Cookies of revision 1 (`v1`, no issue time) stay valid until revoked.

import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { SESSION_CACHE_USERS, SESSION_COOKIE, SESSION_MAX_AGE_S, SESSION_MAX_FUTURE_SKEW_MS, SESSION_USER_TTL_MS } from "../lib/limits";
import type { PublicUser } from "../lib/protocol";
import type { Storage, StoredUser } from "./canvas/store";

const VERSION = "v2";
const LEGACY = "v1";

/** A verified cookie: whose it is and when it was issued (0 for a revision-1 cookie). */
export interface SessionToken {
  userId: string;
  issuedAt: number;
}

/** A signed-in user and the cookie that proved it. */
export interface Session {
  user: PublicUser;
  token: SessionToken;
  /** The stored user as last read (moderator flag, ban, revocation). */
  stored: StoredUser;
}

interface Cached {
  user: StoredUser;
  at: number;
}

export class Sessions {
  /** Users by id, the most recent `capacity` of them, re-read after SESSION_USER_TTL_MS (revocations elsewhere). */
  private readonly cache = new Map<string, Cached>();

  constructor(
    private readonly secret: string,
    private readonly storage: Pick<Storage, "getUser">,
    private readonly capacity = SESSION_CACHE_USERS,
  ) {}

  /** The cookie value for a user id, issued at `now` (epoch ms). */
  sign(userId: string, now = Date.now()): string {
    const issued = now.toString(36);
    return `${VERSION}.${userId}.${issued}.${this.mac(`${VERSION}.${userId}.${issued}`)}`;
  }

  /** The user id and issue time in a cookie value, or null when it is malformed, forged or expired. */
  verify(value: string, now = Date.now()): SessionToken | null {
    const parts = value.split(".");
    if (parts.length === 3 && parts[0] === LEGACY && validId(parts[1])) {
      return this.macOk(`${LEGACY}.${parts[1]}`, parts[2]) ? { userId: parts[1], issuedAt: 0 } : null;
    }
    if (parts.length !== 4 || parts[0] !== VERSION || !validId(parts[1]) || !/^[0-9a-z]{1,11}$/.test(parts[2])) return null;
    if (!this.macOk(`${VERSION}.${parts[1]}.${parts[2]}`, parts[3])) return null;
    const issuedAt = parseInt(parts[2], 36);
    if (issuedAt > now + SESSION_MAX_FUTURE_SKEW_MS || now - issuedAt > SESSION_MAX_AGE_S * 1000) return null;
    return { userId: parts[1], issuedAt };
  }

  /** Set-Cookie header value for a new session. */
  cookieHeader(userId: string, secure: boolean): string {
    const attrs = [`${SESSION_COOKIE}=${this.sign(userId)}`, "Path=/", "HttpOnly", "SameSite=Lax", `Max-Age=${SESSION_MAX_AGE_S}`];
    if (secure) attrs.push("Secure");
    return attrs.join("; ");
  }

  /** True when a session is old enough that answering it should renew the cookie (sliding expiry). */
  needsRenewal(token: SessionToken, now = Date.now()): boolean {
    return now - token.issuedAt > (SESSION_MAX_AGE_S * 1000) / 2;
  }

  /** The signed-in user of a request and its session, or null (no cookie, forged, expired or revoked). */
  async sessionOf(req: IncomingMessage): Promise<Session | null> {
    const raw = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (!raw) return null;
    const token = this.verify(raw);
    if (!token) return null;
    const stored = await this.lookup(token.userId);
    if (!stored) return null;
    if (token.issuedAt < stored.sessionsAfter) return null;
    return { user: { id: stored.id, name: stored.name }, token, stored };
  }

  /** The signed-in user of a request, or null. */
  async userOf(req: IncomingMessage): Promise<PublicUser | null> {
    return (await this.sessionOf(req))?.user ?? null;
  }

  /** Remember a user just created or changed on this replica. */
  remember(user: StoredUser): void {
    this.cache.delete(user.id);
    this.cache.set(user.id, { user, at: performance.now() });
    if (this.cache.size > this.capacity) this.cache.delete(this.cache.keys().next().value as string);
  }

  /** Forget a user (changed elsewhere): the next request reads it again. */
  forget(userId: string): void {
    this.cache.delete(userId);
  }

  /** How many users are cached (tests). */
  get cachedUsers(): number {
    return this.cache.size;
  }

  private async lookup(id: string): Promise<StoredUser | null> {
    const hit = this.cache.get(id);
    if (hit && performance.now() - hit.at < SESSION_USER_TTL_MS) {
      // Refresh its place: the Map's insertion order is the eviction order.
      this.cache.delete(id);
      this.cache.set(id, hit);
      return hit.user;
    }
    const user = await this.storage.getUser(id);
    if (!user) {
      this.cache.delete(id);
      return null;
    }
    this.remember(user);
    return user;
  }

  private macOk(signed: string, given: string): boolean {
    const expected = Buffer.from(this.mac(signed));
    const g = Buffer.from(given);
    return g.length === expected.length && timingSafeEqual(g, expected);
  }

  private mac(text: string): string {
    return createHmac("sha256", this.secret).update(text).digest("base64url");
  }
}

function validId(id: string): boolean {
  return /^[A-Za-z0-9_-]{1,64}$/.test(id);
}

/** One cookie's value from a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(value);
    } catch {
      return null; // malformed escapes: not a cookie we issued
    }
  }
  return null;
}
