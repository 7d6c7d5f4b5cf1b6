// Security headers for pages, with a Content-Security-Policy that allows no inline script except
// the exact ones the production build prerendered: the pages are static, so their inline scripts
// (Next's bootstrap and our snapshot prefetch) are known at start and allowed by hash.

import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

const INLINE_SCRIPT = /<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g;

/** sha256 sources of every inline script in the prerendered pages of a production build. */
function inlineScriptHashes(projectRoot: string): string[] {
  const dir = path.join(projectRoot, ".next", "server", "app");
  const hashes = new Set<string>();
  let files: string[] = [];
  try {
    files = fs.readdirSync(dir).filter((f) => f.endsWith(".html"));
  } catch {
    return [];
  }
  for (const f of files) {
    const html = fs.readFileSync(path.join(dir, f), "utf8");
    for (const m of html.matchAll(INLINE_SCRIPT)) {
      hashes.add(`'sha256-${createHash("sha256").update(m[1], "utf8").digest("base64")}'`);
    }
  }
  return [...hashes];
}

/** Headers for every page response. In development Next needs eval and inline scripts for hot reload. */
export function pageSecurityHeaders(projectRoot: string, dev: boolean): Record<string, string> {
  const hashes = dev ? [] : inlineScriptHashes(projectRoot);
  const scriptSrc = dev ? "'self' 'unsafe-inline' 'unsafe-eval'" : hashes.length > 0 ? `'self' ${hashes.join(" ")}` : "'self' 'unsafe-inline'";
  const csp = [
    "default-src 'self'",
    `script-src ${scriptSrc}`,
    // React sets style attributes (board transform); Next inlines critical CSS.
    "style-src 'self' 'unsafe-inline'",
    // https: so a template overlay may show an image from any https host (issue 14); images only —
    // scripts, styles and connections stay same-origin, and plain http: images stay blocked.
    "img-src 'self' data: blob: https:",
    "font-src 'self' data:",
    `connect-src 'self'${dev ? " ws: wss:" : ""}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
  return {
    "Content-Security-Policy": csp,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
  };
}
