import { describe, expect, it } from "vitest";
import { SESSION_COOKIE, SESSION_MAX_AGE_S } from "../lib/limits";
import { readCookie, Sessions } from "./sessions";
import type { Storage } from "./canvas/storage";

const SECRET = "test-secret-0123456789";

/** Storage whose only method these tests could reach fails loudly: signing must not touch it. */
const storage = {
  getUser: () => {
    throw new Error("getUser must not be called");
  },
} as unknown as Storage;

const sessions = new Sessions(SECRET, storage);

describe("Sessions.sign / verify", () => {
  it("round-trips user ids", () => {
    for (const id of ["u1", "a", "A-b_9", "x".repeat(64), "3f2a9c1e-7b7d-4a37-9c1c-2b7c1f0e9d11"]) {
      const v = sessions.sign(id);
      expect(v.startsWith(`v1.${id}.`)).toBe(true);
      expect(sessions.verify(v)).toBe(id);
    }
  });

  it("is deterministic for a secret and differs between users", () => {
    expect(sessions.sign("alice")).toBe(new Sessions(SECRET, storage).sign("alice"));
    const macA = sessions.sign("alice").split(".")[2];
    const macB = sessions.sign("bob").split(".")[2];
    expect(macA).not.toBe(macB);
    expect(macA).toMatch(/^[A-Za-z0-9_-]{43}$/); // HMAC-SHA256, base64url without padding
  });

  it("rejects a cookie whose id was changed", () => {
    const [v, , mac] = sessions.sign("alice").split(".");
    expect(sessions.verify(`${v}.bob.${mac}`)).toBeNull();
    expect(sessions.verify(`${v}.alicf.${mac}`)).toBeNull();
  });

  it("rejects a cookie whose MAC was changed", () => {
    const good = sessions.sign("alice");
    const [v, id, mac] = good.split(".");
    const flipped = (mac[0] === "A" ? "B" : "A") + mac.slice(1);
    expect(sessions.verify(`${v}.${id}.${flipped}`)).toBeNull();
    expect(sessions.verify(`${v}.${id}.${mac.slice(0, -1)}`)).toBeNull();
    expect(sessions.verify(`${v}.${id}.${mac}A`)).toBeNull();
    expect(sessions.verify(`${v}.${id}.`)).toBeNull();
  });

  it("rejects a cookie signed with another secret", () => {
    const other = new Sessions("another-secret-9876543210", storage);
    const forged = other.sign("alice");
    expect(other.verify(forged)).toBe("alice");
    expect(sessions.verify(forged)).toBeNull();
  });

  it("rejects a cookie signed for the same id under another version prefix", () => {
    const [, id, mac] = sessions.sign("alice").split(".");
    expect(sessions.verify(`v2.${id}.${mac}`)).toBeNull();
    expect(sessions.verify(`.${id}.${mac}`)).toBeNull();
  });

  it.each([
    "",
    "v1",
    "v1.alice",
    "v1..",
    "alice",
    "v1.alice.mac.extra",
    "v1.al ice.x",
    "v1.al%69ce.x",
    "v1.élise.x",
    `v1.${"x".repeat(65)}.x`,
    "\u0000",
  ])("rejects malformed value %j", (value) => {
    expect(sessions.verify(value)).toBeNull();
  });

  it("rejects an over-long id even when its MAC is right", () => {
    const id = "x".repeat(65);
    expect(sessions.verify(sessions.sign(id))).toBeNull();
  });
});

describe("Sessions.cookieHeader", () => {
  function attrs(header: string): string[] {
    return header.split(";").map((s) => s.trim());
  }

  it("sets the signed cookie with HttpOnly, SameSite=Lax, Path=/ and Max-Age, without Secure", () => {
    const h = sessions.cookieHeader("alice", false);
    const parts = attrs(h);
    expect(parts[0]).toBe(`${SESSION_COOKIE}=${sessions.sign("alice")}`);
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
    expect(sessions.verify(value!)).toBe("alice");
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
    const users = new Map(["a", "b", "c"].map((id) => [id, { id, name: `user-${id}`, lastPlacedAt: null }]));
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
