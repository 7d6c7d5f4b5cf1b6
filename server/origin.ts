// Who is asking, as far as the request can tell: the client's IP and scheme (honouring a trusted
// proxy) and whether a browser request comes from this site. Used by the WebSocket upgrade and by
// every state-changing HTTP request, so both apply the same rule.

import type { IncomingMessage } from "node:http";
import type { Config } from "./config";

/**
 * The client's address: the socket's, or behind a trusted proxy the last X-Forwarded-For hop — the
 * one our own proxy wrote. Earlier hops are whatever the client chose to send.
 */
export function clientIpOf(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const fwd = req.headers["x-forwarded-for"];
    const hops = (Array.isArray(fwd) ? fwd.join(",") : (fwd ?? "")).split(",").map((h) => h.trim()).filter(Boolean);
    if (hops.length > 0) return hops[hops.length - 1];
  }
  return req.socket.remoteAddress ?? "unknown";
}

/** The scheme the client used: the socket's, or behind a trusted proxy the first X-Forwarded-Proto. */
export function clientSchemeOf(req: IncomingMessage, trustProxy: boolean): "http" | "https" {
  if ((req.socket as { encrypted?: boolean }).encrypted) return "https";
  if (trustProxy && String(req.headers["x-forwarded-proto"] ?? "").split(",")[0].trim().toLowerCase() === "https") return "https";
  return "http";
}

/**
 * True when a request may act with the visitor's cookie: it carries no `Origin` (not a browser's
 * cross-site request: browsers always send Origin on WebSocket upgrades and on cross-site POST/PUT/
 * DELETE), or its Origin — scheme included — is this site's own or one of ALLOWED_ORIGINS.
 */
export function originAllowed(req: IncomingMessage, config: Pick<Config, "allowedOrigins" | "trustProxy">): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  let given: string;
  try {
    given = new URL(origin).origin;
  } catch {
    return false; // "null" (sandboxed frames, file://) and garbage
  }
  if (config.allowedOrigins) return config.allowedOrigins.includes(given);
  const fwdHost = config.trustProxy ? req.headers["x-forwarded-host"] : undefined;
  const host = (Array.isArray(fwdHost) ? fwdHost[0] : fwdHost) ?? req.headers.host;
  if (!host) return false;
  try {
    return new URL(`${clientSchemeOf(req, config.trustProxy)}://${host}`).origin === given;
  } catch {
    return false;
  }
}
