import { describe, expect, it } from "vitest";
import { SESSION_COOKIE, SESSION_MAX_AGE_S } from "../lib/limits";
import { readCookie, Sessions } from "./sessions";
import { createHmac } from "node:crypto";
import type { Storage, StoredUser } from "./canvas/store";

const SECRET = "test-secret-0123456789";

/** Storage whose only method these tests could reach fails loudly: signing must not touch it. */
const storage = {
  getUser: () => {
    throw new Error("getUser must not be called");
  },
} as unknown as Storage;

const sessions = new Sessions(SECRET, storage);

describe("Sessions.sign / verify", () => {
  const NOW = Date.UTC(2026, 11, 2);

  it("round-trips user ids with their issue time", () => {
    for (const id of ["u1", "a", "A-b_9", "x".repeat(64)]) {
      const v = sessions.sign(id, NOW);
      expect(v.startsWith(`v2.${id}.`)).toBe(true);
      expect(sessions.verify(v, NOW + 1_000)).toEqual({ userId: id, issuedAt: NOW });
    }
  });

  it("differs between users and between issue times, and signs with HMAC-SHA256", () => {
    expect(sessions.sign("alice", NOW)).toBe(new Sessions(SECRET, storage).sign("alice", NOW));
    const mac = (v: string) => v.split(".")[3];
    expect(mac(sessions.sign("alice", NOW))).not.toBe(mac(sessions.sign("bob", NOW)));
    expect(mac(sessions.sign("alice", NOW))).not.toBe(mac(sessions.sign("alice", NOW + 1)));
    expect(mac(sessions.sign("alice", NOW))).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("rejects a cookie whose id, issue time or MAC was changed", () => {
    const [v, id, issued, mac] = sessions.sign("alice", NOW).split(".");
    expect(sessions.verify(`${v}.bob.${issued}.${mac}`, NOW)).toBeNull();
    expect(sessions.verify(`${v}.${id}.${(NOW + 1).toString(36)}.${mac}`, NOW)).toBeNull();
    const flipped = (mac[0] === "A" ? "B" : "A") + mac.slice(1);
    expect(sessions.verify(`${v}.${id}.${issued}.${flipped}`, NOW)).toBeNull();
    expect(sessions.verify(`${v}.${id}.${issued}.${mac.slice(0, -1)}`, NOW)).toBeNull();
    expect(sessions.verify(`v3.${id}.${issued}.${mac}`, NOW)).toBeNull();
  });

  it("rejects a cookie signed with another secret", () => {
    const other = new Sessions("another-secret-9876543210", storage);
    const forged = other.sign("alice", NOW);
    expect(other.verify(forged, NOW)).toEqual({ userId: "alice", issuedAt: NOW });
    expect(sessions.verify(forged, NOW)).toBeNull();
  });

  it("expires a session SESSION_MAX_AGE_S after issue, and refuses one issued in the future", () => {
    const v = sessions.sign("alice", NOW);
    expect(sessions.verify(v, NOW + SESSION_MAX_AGE_S * 1000)).not.toBeNull();
    expect(sessions.verify(v, NOW + SESSION_MAX_AGE_S * 1000 + 1)).toBeNull();
    expect(sessions.verify(sessions.sign("alice", NOW + 3_600_000), NOW)).toBeNull();
  });

  it("renews a session in the second half of its life", () => {
    const token = { userId: "alice", issuedAt: NOW };
    expect(sessions.needsRenewal(token, NOW + 1_000)).toBe(false);
    expect(sessions.needsRenewal(token, NOW + (SESSION_MAX_AGE_S * 1000) / 2 + 1)).toBe(true);
  });

  it("still accepts a revision-1 cookie (issue time unknown: 0)", () => {
    // Revision 1 signed `v1.<id>` with the same secret.
    const mac = createHmac("sha256", SECRET).update("v1.alice").digest("base64url");
    expect(sessions.verify(`v1.alice.${mac}`, NOW)).toEqual({ userId: "alice", issuedAt: 0 });
    expect(sessions.verify(`v1.bob.${mac}`, NOW)).toBeNull();
  });

  it.each([
    "",
    "v2",
    "v2.alice",
    "v2...",
    "alice",
    "v2.alice.1.mac.extra",
    "v2.al ice.1.x",
    "v2.alice.ZZ.x",
    "v2.élise.1.x",
    `v2.${"x".repeat(65)}.1.x`,
    "\u0000",
  ])("rejects malformed value %j", (value) => {
    expect(sessions.verify(value)).toBeNull();
  });

  it("rejects an over-long id even when its MAC is right", () => {
    expect(sessions.verify(sessions.sign("x".repeat(65)))).toBeNull();
  });
});

describe("Sessions.sessionOf", () => {
  const user = (over: Partial<StoredUser> = {}): StoredUser => ({ id: "alice", name: "Alice", createdAt: 0, bannedUntil: null, banReason: null, moderator: false, sessionsAfter: 0, ...over });

  it("finds the user, and refuses sessions issued before the user's revocation", async () => {
    let stored = user();
    const s = new Sessions(SECRET, { getUser: async () => stored });
    const req = (issued: number) => ({ headers: { cookie: `${SESSION_COOKIE}=${s.sign("alice", issued)}` } }) as never;
    const issued = Date.now() - 60_000;
    expect((await s.sessionOf(req(issued)))?.user).toEqual({ id: "alice", name: "Alice" });
    stored = user({ sessionsAfter: issued + 1 });
    s.forget("alice");
    expect(await s.sessionOf(req(issued))).toBeNull();
    expect((await s.sessionOf(req(Date.now())))?.user.name).toBe("Alice");
  });

  it("answers null for no cookie, a forged one or an unknown user", async () => {
    const s = new Sessions(SECRET, { getUser: async () => null });
    expect(await s.sessionOf({ headers: {} } as never)).toBeNull();
    expect(await s.sessionOf({ headers: { cookie: `${SESSION_COOKIE}=v2.alice.1.forged` } } as never)).toBeNull();
    expect(await s.sessionOf({ headers: { cookie: `${SESSION_COOKIE}=${s.sign("ghost")}` } } as never)).toBeNull();
  });
});

describe("Sessions.cookieHeader", () => {
  function attrs(header: string): string[] {
    return header.split(";").map((s) => s.trim());
  }

  it("sets the signed cookie with HttpOnly, SameSite=Lax, Path=/ and Max-Age, without Secure", () => {
    const h = sessions.cookieHeader("alice", false);
    const parts = attrs(h);
    expect(parts[0].startsWith(`${SESSION_COOKIE}=v2.alice.`)).toBe(true);
    expect(sessions.verify(parts[0].slice(SESSION_COOKIE.length + 1))?.userId).toBe("alice");
    expect(parts).toContain("HttpOnly");
    expect(parts).toContain("SameSite=Lax");
    expect(parts).toContain("Path=/");
    expect(parts).toContain(`Max-Age=${SESSION_MAX_AGE_S}`);
    expect(parts).not.toContain("Secure");
  });

  it("adds Secure only when asked", () => {
    const parts = attrs(sessions.cookieHeader("alice", true));
    expect(parts.filter((p) => p === "Secure")).toHaveLength(1);
    expect(parts).toContain("HttpOnly");
    expect(parts).toContain("SameSite=Lax");
    expect(parts).toContain("Path=/");
  });

  it("produces a cookie that readCookie and verify accept", () => {
    const setCookie = sessions.cookieHeader("alice", true);
    const pair = setCookie.split(";")[0];
    const value = readCookie(`other=1; ${pair}`, SESSION_COOKIE);
    expect(value).not.toBeNull();
    expect(sessions.verify(value!)?.userId).toBe("alice");
  });
});

describe("readCookie", () => {
  it("returns null without a header", () => {
    expect(readCookie(undefined, "a")).toBeNull();
    expect(readCookie("", "a")).toBeNull();
  });

  it("finds a cookie among several, with or without spaces", () => {
    const header = "theme=dark;  tessera_session=v1.abc.def ;lang=en;x=1";
    expect(readCookie(header, "tessera_session")).toBe("v1.abc.def");
    expect(readCookie(header, "theme")).toBe("dark");
    expect(readCookie(header, "lang")).toBe("en");
    expect(readCookie(header, "x")).toBe("1");
    expect(readCookie(header, "missing")).toBeNull();
  });

  it("matches whole names only", () => {
    const header = "tessera_session_old=stale; my_tessera_session=no";
    expect(readCookie(header, "tessera_session")).toBeNull();
    expect(readCookie(`${header}; tessera_session=yes`, "tessera_session")).toBe("yes");
  });

  it("returns the first of repeated cookies", () => {
    expect(readCookie("a=1; a=2", "a")).toBe("1");
  });

  it("keeps '=' inside the value and allows an empty value", () => {
    expect(readCookie("a=b=c==; d=", "a")).toBe("b=c==");
    expect(readCookie("a=b=c==; d=", "d")).toBe("");
  });

  it("skips parts without '='", () => {
    expect(readCookie("junk; a=1; ;", "a")).toBe("1");
  });

  it("percent-decodes the value", () => {
    expect(readCookie("n=hello%20world", "n")).toBe("hello world");
  });

  it("does not throw on a malformed percent-encoding (the header comes from the client)", () => {
    expect(() => readCookie("tessera_session=%E0%A4%A", "tessera_session")).not.toThrow();
    expect(() => readCookie("tessera_session=100%", "tessera_session")).not.toThrow();
  });
});

describe("user cache", () => {
  it("keeps at most its capacity, evicting the least recently used, and re-reads evicted users", async () => {
    const users = new Map(["a", "b", "c"].map((id) => [id, { id, name: `user-${id}`, createdAt: 0, bannedUntil: null, banReason: null, moderator: false, sessionsAfter: 0 }]));
    let reads = 0;
    const counting = {
      getUser: async (id: string) => {
        reads++;
        return users.get(id) ?? null;
      },
    } as unknown as Storage;
    const s = new Sessions(SECRET, counting, 2);
    const req = (id: string) => ({ headers: { cookie: `${SESSION_COOKIE}=${s.sign(id)}` } }) as never;
    expect(await s.userOf(req("a"))).toEqual({ id: "a", name: "user-a" });
    expect(await s.userOf(req("b"))).toEqual({ id: "b", name: "user-b" });
    expect(reads).toBe(2);
    await s.userOf(req("a")); // cached; now the most recent
    expect(reads).toBe(2);
    await s.userOf(req("c")); // evicts b, the least recently used
    expect(s.cachedUsers).toBe(2);
    await s.userOf(req("a"));
    expect(reads).toBe(3);
    expect(await s.userOf(req("b"))).toEqual({ id: "b", name: "user-b" }); // read again
    expect(reads).toBe(4);
    expect(s.cachedUsers).toBe(2);
  });
});
