// Authenticated Redis messages. Anyone who can reach Redis can PUBLISH, so every message Tessera
// sends carries an HMAC made with a key derived from SESSION_SECRET (which every replica shares) and
// a receiver drops what it cannot verify. The signature is the JSON object's last field, so messages
// stay readable with redis-cli: {"type":…,…,"sig":"<base64url>"} — signed over the text before it.

import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";

const SIG_FIELD = ',"sig":"';
/** HMAC-SHA256 in base64url is 43 characters. */
const SIG_CHARS = 43;

export class Signer {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = Buffer.from(hkdfSync("sha256", secret, "", "tessera redis v1", 32));
  }

  /** The object as signed JSON text. It must be a non-empty plain object. */
  sign(message: object): string {
    const json = JSON.stringify(message);
    if (json.length < 3 || json[0] !== "{") throw new Error("only non-empty objects can be signed");
    const body = json.slice(0, -1);
    return `${body}${SIG_FIELD}${this.mac(body)}"}`;
  }

  /** The parsed object when `text` carries a valid signature; null otherwise (never throws). */
  verify(text: string): Record<string, unknown> | null {
    const at = text.lastIndexOf(SIG_FIELD);
    if (at < 1 || text.length !== at + SIG_FIELD.length + SIG_CHARS + 2 || !text.endsWith('"}')) return null;
    const body = text.slice(0, at);
    const given = Buffer.from(text.slice(at + SIG_FIELD.length, at + SIG_FIELD.length + SIG_CHARS));
    const expected = Buffer.from(this.mac(body));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    try {
      const parsed: unknown = JSON.parse(`${body}}`);
      return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }

  private mac(body: string): string {
    return createHmac("sha256", this.key).update(body).digest("base64url");
  }
}
