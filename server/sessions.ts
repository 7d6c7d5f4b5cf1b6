// Signed session cookies. The cookie names a user id and carries an HMAC made with SESSION_SECRET,
// so every replica sharing the secret accepts a session made on any of them, and nobody can forge one.

import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { SESSION_CACHE_USERS, SESSION_COOKIE, SESSION_MAX_AGE_S } from "../lib/limits";
import type { PublicUser } from "../lib/protocol";
import type { Storage } from "./canvas/storage";

const VERSION = "v1";

export class Sessions {
  /** Users are immutable once created, so lookups are cached — the most recent `capacity` of them. */
  private readonly cache = new Map<string, PublicUser>();

  constructor(
    private readonly secret: string,
    private readonly storage: Storage,
    private readonly capacity = SESSION_CACHE_USERS,
  ) {}

  /** The cookie value for a user id. */
  sign(userId: string): string {
    return `${VERSION}.${userId}.${this.mac(userId)}`;
  }

  /** The user id in a cookie value, or null when it is malformed or its signature is wrong. */
  verify(value: string): string | null {
    const parts = value.split(".");
    if (parts.length !== 3 || parts[0] !== VERSION || !/^[A-Za-z0-9_-]{1,64}$/.test(parts[1])) return null;
    const expected = Buffer.from(this.mac(parts[1]));
    const given = Buffer.from(parts[2]);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    return parts[1];
  }

  /** Set-Cookie header value for a new session. */
  cookieHeader(userId: string, secure: boolean): string {
    const attrs = [`${SESSION_COOKIE}=${this.sign(userId)}`, "Path=/", "HttpOnly", "SameSite=Lax", `Max-Age=${SESSION_MAX_AGE_S}`];
    if (secure) attrs.push("Secure");
    return attrs.join("; ");
  }

  /** The signed-in user of a request, or null. */
  async userOf(req: IncomingMessage): Promise<PublicUser | null> {
    const raw = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (!raw) return null;
    const id = this.verify(raw);
    if (!id) return null;
    const cached = this.cache.get(id);
    if (cached) {
      // Refresh its place: the Map's insertion order is the eviction order.
      this.cache.delete(id);
      this.cache.set(id, cached);
      return cached;
    }
    const user = await this.storage.getUser(id);
    if (!user) return null;
    const pub = { id: user.id, name: user.name };
    this.remember(pub);
    return pub;
  }

  remember(user: PublicUser): void {
    this.cache.delete(user.id);
    this.cache.set(user.id, user);
    if (this.cache.size > this.capacity) this.cache.delete(this.cache.keys().next().value as string);
  }

  /** How many users are cached (tests). */
  get cachedUsers(): number {
    return this.cache.size;
  }

  private mac(userId: string): string {
    return createHmac("sha256", this.secret).update(`${VERSION}.${userId}`).digest("base64url");
  }
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
