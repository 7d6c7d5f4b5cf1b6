// The API's routes (find-my-way, the router Fastify uses): declared once per resource module, with
// path parameters, one place for errors (HttpError → its status and JSON body; anything else → 500
// and a log line), 404 for unknown /api paths and 405 for a known path with another method. HEAD is
// served by the GET route (bodies are left out by the response helpers).

import type { IncomingMessage, ServerResponse } from "node:http";
import FindMyWay from "find-my-way";
import type { Logger } from "../logger";
import { apiHeaders, HttpError, sendError } from "./respond";

type Method = "GET" | "POST" | "PUT" | "DELETE";
const METHODS: Method[] = ["GET", "POST", "PUT", "DELETE"];

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  /** The client reached us over https (directly, or via a trusted proxy). */
  https: boolean;
}

export type Handler = (ctx: Ctx) => Promise<void> | void;

export class ApiRouter {
  private readonly fmw = FindMyWay({ ignoreTrailingSlash: false, caseSensitive: true, maxParamLength: 200 });

  constructor(
    private readonly log: Logger,
    private readonly isHttps: (req: IncomingMessage) => boolean,
  ) {}

  on(methods: Method | Method[], paths: string | string[], handler: Handler): void {
    for (const path of Array.isArray(paths) ? paths : [paths]) {
      this.fmw.on(methods, path, (() => {}) as never, handler);
    }
  }

  /** Handle the request if it is ours (/api/*); returns false to let Next serve it. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (!url.pathname.startsWith("/api/") && url.pathname !== "/api") return false;
    const https = this.isHttps(req);
    for (const [k, v] of Object.entries(apiHeaders(https))) res.setHeader(k, v);
    const method = (req.method === "HEAD" ? "GET" : (req.method ?? "GET")) as Method;
    const found = METHODS.includes(method) ? this.fmw.find(method, url.pathname) : null;
    if (!found) {
      const allowed = METHODS.filter((m) => this.fmw.find(m, url.pathname));
      if (allowed.length > 0) {
        sendError(res, 405, "method_not_allowed", `${req.method} is not allowed on ${url.pathname}`, {}, { Allow: allowed.join(", ") });
      } else {
        sendError(res, 404, "not_found", `no such endpoint: ${url.pathname.slice(0, 200)}`);
      }
      return true;
    }
    const handler = found.store as Handler;
    const params = found.params as Record<string, string>;
    Promise.resolve()
      .then(() => handler({ req, res, url, params, https }))
      .catch((err: unknown) => {
        if (err instanceof HttpError) {
          sendError(res, err.status, err.code, err.message, err.extra, err.headers);
        } else {
          this.log.error({ err: (err as Error).message, path: url.pathname }, "request failed");
          sendError(res, 500, "internal", "internal server error");
        }
      });
    return true;
  }
}
