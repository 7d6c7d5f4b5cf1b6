// Shared HTTP plumbing of the API: the error type and body, JSON replies with the API's security
// headers, and the one way request bodies are read (size-limited JSON objects). Cross-site forms
// are kept out by the same-site check of state-changing routes (guards.ts), not by the body's
// Content-Type: clients that send JSON without one keep working.

import type { IncomingMessage, ServerResponse } from "node:http";
import * as v from "valibot";
import { MAX_HTTP_BODY_BYTES } from "../../lib/limits";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: { retryAfterMs?: number } = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Headers every API response carries. */
export function apiHeaders(https: boolean): Record<string, string> {
  const h: Record<string, string> = { "X-Content-Type-Options": "nosniff" };
  if (https) h["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains";
  return h;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": String(Buffer.byteLength(text)),
    "Cache-Control": "no-store",
    ...headers,
  });
  res.end(res.req?.method === "HEAD" ? undefined : text);
}

export function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  extra: { retryAfterMs?: number } = {},
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // retryAfterMs also at the top level, as revision 1 documented it (docs/PROTOCOL.md).
  sendJson(res, status, { error: { code, message, ...extra }, ...extra }, headers);
}

/** Read a JSON object body of at most MAX_HTTP_BODY_BYTES: 413 when larger, 400 when not a JSON object. */
export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > MAX_HTTP_BODY_BYTES) {
    req.resume();
    throw new HttpError(413, "body_too_large", `request bodies are limited to ${MAX_HTTP_BODY_BYTES} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_HTTP_BODY_BYTES) {
      req.resume();
      throw new HttpError(413, "body_too_large", `request bodies are limited to ${MAX_HTTP_BODY_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError(400, "invalid_json", "request body must be a JSON object");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new HttpError(400, "invalid_json", "request body must be a JSON object");
  }
  return parsed as Record<string, unknown>;
}

/** Validate a body against a schema; the first issue becomes a 400 with `code`. Unknown fields are ignored. */
export function parseBody<S extends v.GenericSchema>(schema: S, body: unknown, code: string): v.InferOutput<S> {
  const r = v.safeParse(schema, body);
  if (r.success) return r.output;
  const issue = r.issues[0];
  const path = issue.path?.map((p) => String(p.key)).join(".");
  throw new HttpError(400, code, path ? `${path}: ${issue.message}` : issue.message);
}

/** A non-negative integer query parameter (at most `max`), its default when absent; 400 `code` when malformed. */
export function intParam(url: URL, name: string, def: number, max: number, code = "invalid_query"): number {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === "") return def;
  if (!/^\d{1,16}$/.test(raw) || Number(raw) > max) throw new HttpError(400, code, `${name} must be an integer from 0 to ${max}`);
  return Number(raw);
}

/** True when the request accepts gzip. */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  const value = Array.isArray(header) ? header.join(",") : (header ?? "");
  return value.split(",").some((part) => {
    const [coding, ...params] = part.trim().split(";");
    if (coding.trim().toLowerCase() !== "gzip") return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    return !q || Number(q.slice(2)) > 0;
  });
}

/** Resolve or reject within `ms`. */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("timed out")), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
